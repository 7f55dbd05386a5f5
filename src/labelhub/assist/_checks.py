"""Input checks shared by the assist modules: each failure is a ValidationError naming the field at fault.

The checks of single values (``check_int``, ``check_number``) are :mod:`labelhub.domain.checks`'s, re-exported."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from labelhub.domain.checks import check_int, check_number
from labelhub.errors import ValidationError

__all__ = ["check_int", "check_labels", "check_number", "check_probs", "check_sample_probs"]


def check_probs(probs: object, name: str = "probs") -> npt.NDArray[np.float64]:
    """Return ``probs`` as an ``(n, classes)`` float array of rows that are probability distributions."""
    arr = np.asarray(probs, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValidationError(f"{name} must have shape (items, classes), got {arr.shape}", field=name)
    _check_distribution(arr, name)
    return arr


def check_sample_probs(samples: object, name: str = "samples") -> npt.NDArray[np.float64]:
    """Return ``samples`` as an ``(samples, n, classes)`` float array of probability distributions."""
    arr = np.asarray(samples, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[2] < 1:
        raise ValidationError(f"{name} must have shape (samples, items, classes), got {arr.shape}", field=name)
    _check_distribution(arr, name)
    return arr


def _check_distribution(arr: npt.NDArray[np.float64], name: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} holds a value that is not finite", field=name)
    if arr.size and (arr.min() < -1e-6 or arr.max() > 1 + 1e-6):
        raise ValidationError(f"{name} must hold probabilities in [0, 1]", field=name)
    sums = arr.sum(axis=-1)
    if sums.size and np.abs(sums - 1.0).max() > 1e-3:
        worst = float(sums.flat[int(np.abs(sums - 1.0).argmax())])
        raise ValidationError(f"each row of {name} must sum to 1 (found a sum of {worst:.4f})", field=name)


def check_labels(labels: Sequence[int] | npt.ArrayLike, n: int, n_classes: int, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as ``n`` int64 class indices in ``[0, n_classes)``."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValidationError(f"{name} must be {n} class indices, got shape {arr.shape}", field=name)
    if n and not np.issubdtype(arr.dtype, np.integer):
        raise ValidationError(f"{name} must be whole class indices, got {arr.dtype}", field=name)
    out = arr.astype(np.int64)
    if n and (out.min() < 0 or out.max() >= n_classes):
        bad = int(out[(out < 0) | (out >= n_classes)][0])
        raise ValidationError(f"{name} holds class {bad}, outside [0, {n_classes})", field=name)
    return out
