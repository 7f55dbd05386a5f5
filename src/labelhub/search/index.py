"""The vector index protocol, the search result value, and the folder layout every backend shares.

An index maps item ids (whole numbers in [0, 2**63)) to unit vectors of one dimension and answers "the k
items most similar to this vector", optionally among a set of allowed ids (a label or status filter the
caller computed). Similarity is the inner product of unit vectors, that is the cosine, in [-1, 1].

Each index lives in its own folder (one per project and embedder) with a ``meta.json`` that names its
backend, so :func:`labelhub.search.open_index` can reopen it without being told which backend wrote it.
Changes are kept in memory (or in memory-mapped files) until :meth:`VectorIndex.save`, which the embedding
job calls after a batch: writing a million-vector graph after every item would cost more than the item.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from labelhub.errors import FormatError, ValidationError

__all__ = ["FORMAT_VERSION", "META_FILE", "Hits", "VectorIndex", "read_meta", "write_meta"]

META_FILE = "meta.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Hits:
    """The answer to one search: item ids and their cosine similarity to the query, most similar first.

    Fewer than ``k`` hits come back when the index (or the allowed set) holds fewer items.
    """

    ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        if self.ids.shape != self.scores.shape or self.ids.ndim != 1:
            raise ValidationError(f"ids {self.ids.shape} and scores {self.scores.shape} must be 1-D and alike")

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return iter(zip(self.ids.tolist(), self.scores.tolist(), strict=True))

    @classmethod
    def empty(cls) -> Hits:
        """Return a result with no hits."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    @classmethod
    def top(cls, ids: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], k: int) -> Hits:
        """Return the ``k`` best of ``ids`` by ``scores`` (any order in), ties broken by the smaller id."""
        if ids.size == 0:
            return cls.empty()
        if ids.size > k:
            part = np.argpartition(-scores, k - 1)[:k]
            ids, scores = ids[part], scores[part]
        order = np.lexsort((ids, -scores))
        return cls(np.ascontiguousarray(ids[order]), np.ascontiguousarray(scores[order], dtype=np.float32))


class VectorIndex(Protocol):
    """Unit vectors by item id, searched by cosine similarity; kept in one folder."""

    @property
    def dim(self) -> int:
        """The vectors' dimension."""
        ...

    @property
    def folder(self) -> Path:
        """The folder the index is saved in."""
        ...

    def __len__(self) -> int:
        """Return the number of items in the index (removed ones excluded)."""
        ...

    def __contains__(self, item_id: object) -> bool:
        """Return whether ``item_id`` is in the index."""
        ...

    def add(self, ids: Iterable[int] | npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add items, or replace the vectors of ids already present (rows are normalised)."""
        ...

    def remove(self, ids: Iterable[int] | npt.ArrayLike) -> int:
        """Remove items; return how many were there (unknown ids are ignored)."""
        ...

    def search(
        self, query: npt.ArrayLike, k: int = 10, allowed_ids: Iterable[int] | npt.ArrayLike | None = None
    ) -> Hits:
        """Return the ``k`` items most similar to ``query``, only among ``allowed_ids`` when given."""
        ...

    def get(self, ids: Iterable[int] | npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Return the stored (unit) vectors of ``ids``, one row each; ValidationError for an unknown id."""
        ...

    def ids(self) -> npt.NDArray[np.int64]:
        """Return every id in the index, ascending."""
        ...

    def save(self) -> None:
        """Write the index to its folder, so :func:`~labelhub.search.open_index` finds it as it is now."""
        ...


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` atomically (a reader sees the old file or the new one, never half of one)."""
    tmp = folder / f".{META_FILE}.tmp"
    tmp.write_text(json.dumps({"format": FORMAT_VERSION, **meta}, indent=2, sort_keys=True))
    os.replace(tmp, folder / META_FILE)


def read_meta(folder: Path) -> dict[str, Any]:
    """Return the ``meta.json`` of an index folder; FormatError (file) when it is missing or unreadable."""
    path = Path(folder) / META_FILE
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise FormatError(f"{folder} holds no vector index (no {META_FILE})", file=str(path)) from exc
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read {path}: {exc}", file=str(path)) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION or "backend" not in meta:
        raise FormatError(f"{path} is not a labelhub index description (format {FORMAT_VERSION})", file=str(path))
    return meta
