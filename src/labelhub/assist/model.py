"""A trained assist model: class probabilities for new items, and SWAG's weight samples for uncertainty."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import torch
from torch.optim.swa_utils import update_bn

from labelhub.assist._checks import check_number
from labelhub.assist.config import TrainConfig, TrainMode
from labelhub.assist.features import Batch, Features
from labelhub.assist.heads import Head
from labelhub.assist.swag import SwagPosterior
from labelhub.errors import ValidationError

__all__ = ["AssistModel", "TrainingHistory"]

CHUNK = 4096  # rows per forward pass at prediction time: bounded memory on large pools


@dataclass(frozen=True, slots=True)
class TrainingHistory:
    """What happened during training: optimiser steps, the mean loss of each epoch, snapshots averaged."""

    steps: int
    epoch_loss: tuple[float, ...]
    snapshots: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistModel:
    """A head with its final weights (last iterate, SWA mean, or SWAG mean and posterior) and a temperature.

    ``temperature`` divides the logits before the softmax (1.0 until :func:`~labelhub.assist.calibration.
    fit_temperature` sets another). With SWAG, the probabilities are the average over ``config.swag_samples``
    weight samples (Bayesian model averaging), each divided by the same temperature. The samples come from a
    generator seeded with ``config.seed``: the same model gives the same samples on every call.
    """

    head: Head
    config: TrainConfig
    n_classes: int
    dim: int
    sparse: bool
    history: TrainingHistory
    posterior: SwagPosterior | None = None
    temperature: float = 1.0
    bn_features: Features | None = field(default=None, repr=False)

    @property
    def mode(self) -> TrainMode:
        """The training mode the weights come from."""
        return self.config.mode

    @property
    def n_samples(self) -> int:
        """Weight samples per prediction: ``swag_samples`` with SWAG, else 1."""
        return self.config.swag_samples if self.posterior is not None else 1

    def with_temperature(self, temperature: float) -> AssistModel:
        """Return the same model with another softmax temperature (> 0)."""
        t = check_number(temperature, "temperature", low=0.0, high=1e4, open_low=True)
        return replace(self, temperature=t)

    def logit_samples(self, features: object) -> npt.NDArray[np.float32]:
        """Return the raw logits, shape ``(samples, items, classes)``, before the temperature.

        One sample for SGD and SWA; ``swag_samples`` for SWAG (the same samples on every call).
        """
        feats = self._features(features)
        return np.stack(list(self._iter_logits(feats)))

    def sample_proba(self, features: object) -> npt.NDArray[np.float64]:
        """Return the per-sample class probabilities, ``(samples, items, classes)``, with the temperature."""
        logits = torch.from_numpy(self.logit_samples(features)).double() / self.temperature
        return logits.softmax(dim=-1).numpy()

    def predict_proba(self, features: object) -> npt.NDArray[np.float64]:
        """Return the class probabilities, ``(items, classes)``: the mean over samples for SWAG."""
        return self._mean_softmax(self._iter_logits(self._features(features)))

    def proba_from_logits(self, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """:meth:`predict_proba` from :meth:`logit_samples` already drawn (with this model's temperature): the
        same numbers, without drawing the weight samples again (seconds for a SWAG text model)."""
        return self._mean_softmax(iter(logits))

    def _mean_softmax(self, samples: Iterator[npt.NDArray[np.float32]]) -> npt.NDArray[np.float64]:
        """The mean over weight samples of the softmax of their logits divided by the temperature."""
        total: npt.NDArray[np.float64] | None = None
        count = 0
        for logits in samples:
            p = (torch.from_numpy(logits).double() / self.temperature).softmax(dim=-1).numpy()
            total = p if total is None else total + p
            count += 1
        if total is None:  # pragma: no cover - there is always at least one sample
            raise RuntimeError("no weight sample")
        return total / count

    def predict(self, features: object) -> npt.NDArray[np.int64]:
        """Return the most probable class index per item."""
        return np.asarray(self.predict_proba(features).argmax(axis=1), dtype=np.int64)

    def _features(self, features: object) -> Features:
        feats = Features(features)
        if feats.dim != self.dim or feats.sparse != self.sparse:
            kind = "sparse" if self.sparse else "dense"
            raise ValidationError(f"features must be {kind} with {self.dim} columns, like the training features",
                                  field="features")  # fmt: skip
        return feats

    def _iter_logits(self, feats: Features) -> Iterator[npt.NDArray[np.float32]]:
        if self.posterior is None:
            yield _forward(self.head, feats)
            return
        generator = torch.Generator().manual_seed(self.config.seed + 7919)
        work = copy.deepcopy(self.head)
        for _ in range(self.config.swag_samples):
            self.posterior.load_into(work, self.posterior.sample(generator))
            if work.has_batch_norm and self.bn_features is not None:
                refresh_batch_norm(work, self.bn_features, self.config.batch_size)
            yield _forward(work, feats)


def _forward(head: Head, feats: Features) -> npt.NDArray[np.float32]:
    head.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(feats), CHUNK):
            rows = np.arange(start, min(start + CHUNK, len(feats)))
            out.append(head(feats.batch(rows)).float().numpy())
    return np.concatenate(out)


def refresh_batch_norm(head: Head, feats: Features, batch_size: int) -> None:
    """Recompute batch-norm running statistics for the head's current weights (averaged weights need it)."""
    starts = range(0, len(feats), batch_size)
    loader: list[Batch] = [feats.batch(np.arange(s, min(s + batch_size, len(feats)))) for s in starts]
    loader = [b for b in loader if len(b) > 1]  # batch norm cannot normalise a batch of one
    update_bn(loader, head)
    head.eval()
