"""Calibration: how far a model's confidence is from its accuracy, and temperature scaling to close the gap.

An auto-accept threshold of 0.98 only means "98 % of these are right" when the scores are calibrated, so
every assist model is fitted a temperature on labels it did not train on (Guo, Pleiss, Sun and Weinberger,
"On Calibration of Modern Neural Networks", ICML 2017, arXiv:1706.04599): the one scalar ``T`` that
minimises the negative log-likelihood of ``softmax(logits / T)`` on the held-out slice. It changes no
prediction (the arg-max is the same), only how sure the model says it is.

The expected calibration error (ECE) is the usual one (Naeini et al. 2015; Guo et al. 2017): 15 equal-width
bins of the top-class confidence, ``sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|``, computed from
:func:`reliability_bins`, so the number and the diagram cannot disagree. It is written here rather than taken
from torchmetrics: importing torchmetrics imports its image metrics, which import torchvision whenever it is
installed, and a torchvision built for another torch release makes that import fail (it did in this very
environment), for one weighted mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from labelhub.assist._checks import check_int, check_labels, check_probs
from labelhub.assist.model import AssistModel
from labelhub.errors import ValidationError

__all__ = ["ReliabilityBin", "calibrate", "ece", "fit_temperature", "nll", "reliability_bins"]

EPS = 1e-12


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One bar of a reliability diagram: the confidence range, items in it, their mean confidence and accuracy."""

    lower: float
    upper: float
    count: int
    confidence: float
    accuracy: float

    @property
    def gap(self) -> float:
        """Mean confidence minus accuracy: positive when the model is over-confident in this bin."""
        return self.confidence - self.accuracy


def _probs_labels(probs: object, labels: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    p = check_probs(probs)
    if p.shape[0] == 0:
        raise ValidationError("probs must hold at least one item", field="probs")
    return p, check_labels(labels, p.shape[0], p.shape[1])


def nll(probs: object, labels: npt.ArrayLike) -> float:
    """Return the mean negative log-likelihood of the true classes (natural log; lower is better)."""
    p, y = _probs_labels(probs, labels)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], EPS, 1.0)).mean())


def ece(probs: object, labels: npt.ArrayLike, n_bins: int = 15) -> float:
    """Return the expected calibration error: the item-weighted mean ``|accuracy - confidence|`` over bins."""
    bins = reliability_bins(probs, labels, n_bins)
    n = sum(b.count for b in bins)
    return float(sum(b.count * abs(b.gap) for b in bins if b.count) / n)


def reliability_bins(probs: object, labels: npt.ArrayLike, n_bins: int = 15) -> list[ReliabilityBin]:
    """Return ``n_bins`` equal-width bins of the top-class confidence (``[lower, upper)``; 1.0 in the last).

    Empty bins are included with count 0 (and NaN confidence and accuracy), so a diagram keeps its axis.
    """
    p, y = _probs_labels(probs, labels)
    check_int(n_bins, "n_bins", low=1, high=1000)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    which = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    out = []
    for b in range(n_bins):
        mask = which == b
        count = int(mask.sum())
        out.append(ReliabilityBin(lower=b / n_bins, upper=(b + 1) / n_bins, count=count,
                                  confidence=float(conf[mask].mean()) if count else math.nan,
                                  accuracy=float(correct[mask].mean()) if count else math.nan))  # fmt: skip
    return out


def fit_temperature(logits: object, labels: npt.ArrayLike, *, max_iter: int = 100) -> float:
    """Return the temperature ``T`` that minimises the NLL of ``mean_s softmax(logits_s / T)`` on ``labels``.

    ``logits`` is ``(items, classes)`` for one set of weights, or ``(samples, items, classes)`` for SWAG:
    then each sample's logits are divided by the same ``T`` before their softmaxes are averaged, exactly as
    :meth:`AssistModel.predict_proba` does. Fitted by L-BFGS on ``log T`` (so ``T`` stays positive),
    starting at ``T = 1``; the result is clamped to ``[0.05, 20]``.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim == 2:
        z = z[None]
    if z.ndim != 3 or z.shape[1] == 0 or z.shape[2] < 2 or not np.all(np.isfinite(z)):
        raise ValidationError(f"logits must be finite, shape (items, classes) or (samples, items, classes), "
                              f"got {np.asarray(logits).shape}", field="logits")  # fmt: skip
    y = torch.from_numpy(check_labels(labels, z.shape[1], z.shape[2]))
    zt = torch.from_numpy(z)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")
    log_s = math.log(z.shape[0])

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        log_p = torch.logsumexp(torch.log_softmax(zt / log_t.exp(), dim=-1), dim=0) - log_s
        loss = -log_p[torch.arange(len(y)), y].mean()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return float(np.clip(math.exp(float(log_t.detach())), 0.05, 20.0))


def calibrate(model: AssistModel, features: object, labels: npt.ArrayLike) -> AssistModel:
    """Return ``model`` with the temperature fitted on held-out ``features`` and ``labels``."""
    return model.with_temperature(fit_temperature(model.logit_samples(features), labels))
