"""The training engine: a classifier head from (features, labels), reproducible from one seed.

One run of SGD serves all three modes, so they differ only where they should:

1. Steps ``0 .. swa_start * total``: SGD (Nesterov momentum, weight decay) on shuffled mini-batches, with
   the learning rate on a cosine from ``lr`` towards 0 over the whole run.
2. After that, ``sgd`` goes on down the cosine and keeps its last iterate. ``swa`` and ``swag`` switch to
   :class:`torch.optim.swa_utils.SWALR`, which holds the learning rate at ``swa_lr`` (by default the
   cosine's value at the switch, so the rate does not jump), and average ``snapshots`` evenly spaced
   iterates in an :class:`torch.optim.swa_utils.AveragedModel` (Izmailov et al., "Averaging Weights Leads
   to Wider Optima and Better Generalization", UAI 2018, arXiv:1803.05407). Batch-norm statistics are then
   recomputed for the averaged weights with :func:`torch.optim.swa_utils.update_bn`.
3. ``swag`` also fits the Gaussian of :mod:`labelhub.assist.swag` to the same snapshots.

The number of passes is ``max(epochs, min_steps / batches per pass)``: with 100 labels a pass is four
steps, and a fixed epoch count would stop long before the weights settle.

Reproducibility: the run happens inside :func:`deterministic`, which seeds a private copy of PyTorch's
random state (restored afterwards, so the caller's is untouched) and turns on
``torch.use_deterministic_algorithms``. The same seed, data and thread count give the same weights bit for
bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import cast

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel

from labelhub.assist._checks import check_int, check_labels
from labelhub.assist.config import TrainConfig, TrainMode
from labelhub.assist.features import Features
from labelhub.assist.heads import Head
from labelhub.assist.model import AssistModel, TrainingHistory, refresh_batch_norm
from labelhub.assist.swag import SwagCollector
from labelhub.errors import ValidationError

__all__ = ["Progress", "deterministic", "train_head"]

Progress = Callable[[float, str], None]
"""Called with (fraction done, message) once per pass; may raise JobCancelled to stop the run."""


@contextmanager
def threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` PyTorch threads; restore the previous count after.

    Training here uses one: the weights are bit-for-bit reproducible for the same seed, data *and thread
    count*, and two threads spinning on a busy 2-core machine made a training several times slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Run the block with PyTorch's global random state seeded and deterministic algorithms on; restore both."""
    previous = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous)


def train_head(
    features: object,
    labels: npt.ArrayLike,
    n_classes: int,
    config: TrainConfig | None = None,
    *,
    progress: Progress | None = None,
    initial: Mapping[str, torch.Tensor] | None = None,
) -> AssistModel:
    """Return a head trained on ``features`` (dense or SciPy sparse, ``items x dim``) and class ``labels``.

    ``labels`` are class indices in ``[0, n_classes)``; classes without a label are allowed (the head
    still has an output for them, which training pushes down). ``initial``, a head's ``state_dict``, is where
    training starts instead of the seeded random weights (a federated round starts from the global weights);
    the seed still draws the same batch order. Raises ValidationError naming the field.
    """
    cfg = config or TrainConfig()
    check_int(n_classes, "n_classes", low=2)
    feats = Features(features)
    y = torch.from_numpy(check_labels(labels, len(feats), n_classes))
    if cfg.batch_norm and len(feats) < 2:
        raise ValidationError("batch norm needs at least two labelled items", field="features")
    with deterministic(cfg.seed):
        return _train(feats, y, n_classes, cfg, progress, initial)


def _load_initial(head: Head, initial: Mapping[str, torch.Tensor]) -> None:
    """Copy ``initial`` into ``head``; a missing, extra or differently shaped tensor raises ValidationError."""
    own = head.state_dict()
    missing, extra = sorted(set(own) - set(initial)), sorted(set(initial) - set(own))
    if missing or extra:
        raise ValidationError(f"initial weights: missing {missing}, unexpected {extra}", field="initial")
    for name, value in initial.items():
        if tuple(value.shape) != tuple(own[name].shape):
            raise ValidationError(
                f"initial weights: {name} has shape {tuple(value.shape)}, the head needs {tuple(own[name].shape)}",
                field=f"initial.{name}",
            )
    head.load_state_dict({k: v.detach().to(own[k].dtype).clone() for k, v in initial.items()})


def _schedule(cfg: TrainConfig, n: int) -> tuple[int, int, int, list[int]]:
    """Return batches per pass, passes, the step averaging starts at, and the steps after which to snapshot."""
    per_pass = math.ceil(n / cfg.batch_size)
    if cfg.batch_norm and n % cfg.batch_size == 1 and per_pass > 1:
        per_pass -= 1  # batch norm cannot normalise a batch of one: that row waits for the next shuffle
    passes = max(cfg.epochs, math.ceil(cfg.min_steps / per_pass))
    total = passes * per_pass
    if cfg.mode is TrainMode.SGD:
        return per_pass, passes, total, []
    start = int(total * cfg.swa_start)
    span = total - start
    count = min(cfg.snapshots, span)
    return per_pass, passes, start, [start + round((j + 1) * span / count) for j in range(count)]


def _begin_averaging(head: Head, optimizer: torch.optim.SGD, cfg: TrainConfig) -> tuple[AveragedModel, SWALR]:
    """Switch to SWALR (at ``swa_lr``, or the rate reached so far) and start an AveragedModel of the head."""
    swa_lr = cfg.swa_lr if cfg.swa_lr is not None else optimizer.param_groups[0]["lr"]
    scheduler = SWALR(optimizer, swa_lr=swa_lr, anneal_epochs=cfg.anneal_steps, anneal_strategy="cos")
    return AveragedModel(head), scheduler


def _train(
    feats: Features,
    y: torch.Tensor,
    n_classes: int,
    cfg: TrainConfig,
    progress: Progress | None,
    initial: Mapping[str, torch.Tensor] | None = None,
) -> AssistModel:
    generator = torch.Generator().manual_seed(cfg.seed)
    head = Head(feats.dim, n_classes, sparse=feats.sparse, hidden=cfg.hidden, dropout=cfg.dropout,
                batch_norm=cfg.batch_norm, generator=generator)  # fmt: skip
    if initial is not None:
        _load_initial(head, initial)
    n = len(feats)
    per_pass, passes, start, snap_steps = _schedule(cfg, n)
    total = passes * per_pass
    optimizer = torch.optim.SGD(head.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.momentum > 0,
                                weight_decay=cfg.weight_decay)  # fmt: skip
    cosine = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    averaged: AveragedModel | None = None
    swa_sched: SWALR | None = None
    collector = SwagCollector(head, rank=cfg.swag_rank) if cfg.mode is TrainMode.SWAG else None
    snapshots = set(snap_steps)
    loss_fn = nn.CrossEntropyLoss()
    epoch_loss: list[float] = []
    step = 0
    for epoch in range(passes):
        head.train()
        order = torch.randperm(n, generator=generator).numpy()
        losses: list[float] = []
        for b in range(per_pass):
            rows = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            if averaged is None and cfg.mode is not TrainMode.SGD and step >= start:  # only when swa_start is 0
                averaged, swa_sched = _begin_averaging(head, optimizer, cfg)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(head(feats.batch(rows)), y[torch.from_numpy(rows)])
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            step += 1
            if averaged is None and cfg.mode is not TrainMode.SGD and step >= start:
                averaged, swa_sched = _begin_averaging(head, optimizer, cfg)
            if swa_sched is not None:
                swa_sched.step()
            else:
                cosine.step()
            if step in snapshots and averaged is not None:
                averaged.update_parameters(head)
                if collector is not None:
                    collector.collect(head)
        epoch_loss.append(float(np.mean(losses)) if losses else float("nan"))
        if progress is not None:
            progress((epoch + 1) / passes, f"pass {epoch + 1}/{passes}, loss {epoch_loss[-1]:.4f}")
    final = head
    if averaged is not None:
        final = cast(Head, averaged.module)  # a copy of the head holding the averaged weights
        if final.has_batch_norm:
            refresh_batch_norm(final, feats, cfg.batch_size)
    final.eval()
    history = TrainingHistory(steps=step, epoch_loss=tuple(epoch_loss), snapshots=len(snap_steps))
    return AssistModel(
        head=final,
        config=cfg,
        n_classes=n_classes,
        dim=feats.dim,
        sparse=feats.sparse,
        history=history,
        posterior=collector.posterior(scale=cfg.swag_scale) if collector is not None else None,
        bn_features=feats if final.has_batch_norm and collector is not None else None,
    )
