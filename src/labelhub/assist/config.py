"""How an assist model is trained, as one validated value object.

The defaults are the method: they are fixed, not tuned per data set (the benchmarks run them on data nobody
here has seen), and chosen from the SWA and SWAG papers where those say something.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from labelhub.assist._checks import check_int, check_number
from labelhub.errors import ValidationError

__all__ = ["TrainConfig", "TrainMode"]


class TrainMode(StrEnum):
    """Which weights the trained model predicts with.

    - ``sgd``: the last iterate of SGD with a cosine learning-rate decay (the baseline).
    - ``swa``: the average of the iterates over the last part of training, at a constant learning rate
      (Izmailov et al. 2018), through :mod:`torch.optim.swa_utils`.
    - ``swag``: a Gaussian over the same iterates (SWA mean, diagonal plus low-rank covariance; Maddox et al.
      2019); predictions average the softmax over weights sampled from it.
    """

    SGD = "sgd"
    SWA = "swa"
    SWAG = "swag"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """The training settings; every field is checked, and a bad one raises ValidationError naming it.

    - ``mode``: see :class:`TrainMode`.
    - ``epochs``, ``min_steps``: passes over the labels, raised so that at least ``min_steps`` optimiser
      steps run (a project with 100 labels needs more passes than one with 10,000 to converge).
    - ``batch_size``, ``lr``, ``momentum``, ``weight_decay``: SGD with Nesterov momentum.
    - ``swa_start``: the share of the steps after which the iterates are averaged (SWA and SWAG); before it
      both follow the same cosine decay as ``sgd`` would over the whole run, from ``lr`` towards ``swa_lr``.
    - ``swa_lr``: the constant learning rate of the averaging phase (:class:`torch.optim.swa_utils.SWALR`
      anneals to it over ``anneal_steps``); None keeps the rate the cosine had reached at ``swa_start``.
    - ``snapshots``: how many iterates, evenly spaced over the averaging phase, are averaged.
    - ``swag_rank``: columns of SWAG's low-rank deviation matrix (the last ``K`` snapshots; the paper's 20).
    - ``swag_samples``: weight samples per prediction; ``swag_scale``: the covariance is multiplied by it
      (0.5 in the paper: half diagonal, half low-rank).
    - ``hidden``, ``dropout``, ``batch_norm``: the head; 0 hidden units is a linear head.
    - ``seed``: the one source of randomness: initial weights, batch order, dropout and SWAG samples.
    """

    mode: TrainMode = TrainMode.SWAG
    epochs: int = 20
    min_steps: int = 500
    batch_size: int = 64
    lr: float = 0.5
    momentum: float = 0.9
    weight_decay: float = 0.0
    swa_start: float = 0.5
    swa_lr: float | None = None
    anneal_steps: int = 20
    snapshots: int = 40
    swag_rank: int = 20
    swag_samples: int = 30
    swag_scale: float = 0.5
    hidden: int = 128
    dropout: float = 0.0
    batch_norm: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.mode, TrainMode):
            try:
                object.__setattr__(self, "mode", TrainMode(self.mode))
            except ValueError:
                names = ", ".join(m.value for m in TrainMode)
                raise ValidationError(f"mode must be one of {names}, got {self.mode!r}", field="mode") from None
        check_int(self.epochs, "epochs", low=1, high=10_000)
        check_int(self.min_steps, "min_steps", low=0, high=10_000_000)
        check_int(self.batch_size, "batch_size", low=1, high=1_000_000)
        check_number(self.lr, "lr", low=0.0, high=100.0, open_low=True)
        check_number(self.momentum, "momentum", low=0.0, high=0.999)
        check_number(self.weight_decay, "weight_decay", low=0.0, high=1.0)
        check_number(self.swa_start, "swa_start", low=0.0, high=0.95)
        if self.swa_lr is not None:
            check_number(self.swa_lr, "swa_lr", low=0.0, high=100.0, open_low=True)
        check_int(self.anneal_steps, "anneal_steps", low=1, high=1_000_000)
        check_int(self.snapshots, "snapshots", low=2, high=10_000)
        check_int(self.swag_rank, "swag_rank", low=2, high=1_000)
        check_int(self.swag_samples, "swag_samples", low=1, high=10_000)
        check_number(self.swag_scale, "swag_scale", low=0.0, high=100.0)
        check_int(self.hidden, "hidden", low=0, high=100_000)
        check_number(self.dropout, "dropout", low=0.0, high=0.9)
        if not isinstance(self.batch_norm, bool):
            raise ValidationError(f"batch_norm must be true or false, got {self.batch_norm!r}", field="batch_norm")
        if self.batch_norm and self.hidden == 0:
            raise ValidationError("batch_norm needs a hidden layer (hidden > 0)", field="batch_norm")
        check_int(self.seed, "seed", low=0, high=2**63 - 1)
