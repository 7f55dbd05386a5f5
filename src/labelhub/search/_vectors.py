"""Checks shared by the index backends: ids, vectors and ``k`` as the protocol accepts them.

Every backend stores unit vectors and compares them by inner product, which is then the cosine similarity.
Vectors are normalised here, so a caller may pass raw model outputs; a vector that cannot be normalised
(all zeros, NaN or infinite values) is refused with the row that is at fault, because one NaN in an HNSW
graph silently poisons every search that visits it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from labelhub.errors import ValidationError

__all__ = ["MAX_DIM", "MAX_ID", "as_allowed", "as_dim", "as_ids", "as_k", "as_query", "as_vectors"]

MAX_DIM = 65_536
# Ids are item ids from the database; the libraries take unsigned 64-bit (hnswlib) or signed 64-bit (faiss)
# keys, so the common range is [0, 2**63).
MAX_ID = 2**63 - 1

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def as_dim(dim: object) -> int:
    """Return ``dim`` as an int in [1, MAX_DIM]; ValidationError (field ``dim``) otherwise."""
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or not 1 <= int(dim) <= MAX_DIM:
        raise ValidationError(f"dim must be a whole number in [1, {MAX_DIM}], got {dim!r}", field="dim")
    return int(dim)


def as_k(k: object) -> int:
    """Return ``k`` as an int >= 1; ValidationError (field ``k``) otherwise."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or int(k) < 1:
        raise ValidationError(f"k must be a whole number >= 1, got {k!r}", field="k")
    return int(k)


def as_ids(ids: Iterable[int] | npt.ArrayLike, *, field: str = "ids", unique: bool = True) -> I64:
    """Return ``ids`` as a 1-D int64 array of values in [0, 2**63); duplicates refused when ``unique``."""
    try:
        arr = ids if isinstance(ids, np.ndarray) else np.asarray(list(cast(Iterable[int], ids)))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{field} must be a sequence of whole numbers: {exc}", field=field) from exc
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1:
        raise ValidationError(f"{field} must be one-dimensional, got shape {arr.shape}", field=field)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValidationError(f"{field} must be whole numbers, got dtype {arr.dtype}", field=field)
    if arr.dtype == np.uint64 and int(arr.max()) > MAX_ID:
        raise ValidationError(f"{field} must be below 2**63", field=field)
    out = arr.astype(np.int64, copy=False)
    if int(out.min()) < 0:
        raise ValidationError(f"{field} must not be negative, got {int(out.min())}", field=field)
    if unique and np.unique(out).size != out.size:
        raise ValidationError(f"{field} holds the same id more than once", field=field)
    return out


def _normalised(arr: npt.NDArray[Any], field: str) -> F32:
    out = np.array(arr, dtype=np.float32, copy=True)
    finite = np.isfinite(out).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise ValidationError(f"{field} row {row} holds NaN or infinite values", field=field, row=row)
    norms = np.linalg.norm(out, axis=1)
    if (norms <= 1e-12).any():
        row = int(np.flatnonzero(norms <= 1e-12)[0])
        raise ValidationError(f"{field} row {row} is all zeros and has no direction", field=field, row=row)
    out /= norms[:, None]
    return out


def as_vectors(vectors: npt.ArrayLike, dim: int, *, count: int | None = None, field: str = "vectors") -> F32:
    """Return ``vectors`` as a C-contiguous ``(n, dim)`` float32 array of unit rows.

    ``count``, when given, is the number of rows expected (the number of ids they go with).
    """
    try:
        arr = np.asarray(vectors)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{field} must be an array of numbers: {exc}", field=field) from exc
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValidationError(f"{field} must have shape (n, {dim}), got {arr.shape}", field=field)
    if arr.dtype.kind not in "fiu":
        raise ValidationError(f"{field} must hold numbers, got dtype {arr.dtype}", field=field)
    if count is not None and arr.shape[0] != count:
        raise ValidationError(f"{field} has {arr.shape[0]} rows for {count} ids", field=field)
    return _normalised(arr, field)


def as_query(query: npt.ArrayLike, dim: int) -> F32:
    """Return one query vector as a unit float32 array of shape ``(dim,)``."""
    arr = np.asarray(query)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1 or arr.shape[0] != dim:
        raise ValidationError(f"query must have shape ({dim},), got {arr.shape}", field="query")
    row: F32 = as_vectors(arr[None, :], dim, field="query")[0]
    return row


def as_allowed(allowed_ids: Iterable[int] | npt.ArrayLike | None) -> I64 | None:
    """Return the allowed ids as a sorted unique int64 array, or None for "no filter"."""
    if allowed_ids is None:
        return None
    return np.unique(as_ids(allowed_ids, field="allowed_ids", unique=False))
