"""The exact backend: every query is compared with every vector, which numpy does fast enough for small projects.

Vectors live in a memory-mapped file (``vectors.f32``, rows of ``dim`` float32) and ids in another
(``ids.i64``), so a project's vectors are paged in by the operating system as a search reads them rather than
held in a Python list; only the id-to-row map is a Python dict. A removed item's row keeps its place with id
-1 until the removed rows outnumber the live ones, when the files are compacted. A search reads the rows in
blocks of 64k, so its temporary memory does not grow with the project.

It is the ground truth the approximate backend is measured against (``benchmarks/bench_index.py``), and the
backend of the tests. At 1M vectors of 256 dimensions one query reads 1 GB: use ``hnswlib`` beyond ~50k items.
Written here because it is a few lines of numpy: no library keeps a growable memory-mapped matrix with ids.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from labelhub.errors import ConflictError, FormatError, ValidationError
from labelhub.search._vectors import as_allowed, as_dim, as_ids, as_k, as_query, as_vectors
from labelhub.search.index import META_FILE, Hits, read_meta, write_meta

__all__ = ["ExactIndex"]

VECTORS_FILE = "vectors.f32"
IDS_FILE = "ids.i64"
BLOCK = 65_536
MIN_CAPACITY = 1_024
REMOVED = -1


class ExactIndex:
    """Brute-force cosine search over memory-mapped vectors; see the module docstring."""

    backend = "exact"

    def __init__(self, folder: Path, dim: int, used: int, capacity: int) -> None:
        """Open the files of an existing index; use :meth:`create` or :meth:`open` rather than this."""
        self._folder = Path(folder)
        self._dim = dim
        self._used = used
        self._capacity = capacity
        self._lock = threading.RLock()
        self._vectors = self._map(VECTORS_FILE, np.float32, (capacity, dim))
        self._ids = self._map(IDS_FILE, np.int64, (capacity,))
        live = np.flatnonzero(self._ids[:used] != REMOVED)
        self._slot: dict[int, int] = dict(zip(self._ids[live].tolist(), live.tolist(), strict=True))

    # --- construction -----------------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, dim: int, **options: Any) -> ExactIndex:
        """Create an empty index in ``folder`` (made if missing); ConflictError when it already holds one."""
        if options:
            raise ValidationError(f"the exact backend takes no options, got {sorted(options)}", field="options")
        dim = as_dim(dim)
        folder = Path(folder)
        if (folder / META_FILE).exists():
            raise ConflictError(f"{folder} already holds a vector index", field="folder")
        folder.mkdir(parents=True, exist_ok=True)
        for name, itemsize in ((VECTORS_FILE, 4 * dim), (IDS_FILE, 8)):
            with open(folder / name, "wb") as f:
                f.truncate(MIN_CAPACITY * itemsize)
        write_meta(folder, {"backend": cls.backend, "dim": dim, "used": 0, "capacity": MIN_CAPACITY})
        return cls(folder, dim, 0, MIN_CAPACITY)

    @classmethod
    def open(cls, folder: Path) -> ExactIndex:
        """Open the index saved in ``folder``."""
        meta = read_meta(folder)
        if meta["backend"] != cls.backend:
            raise FormatError(f"{folder} holds a {meta['backend']!r} index, not {cls.backend!r}", file=str(folder))
        return cls(Path(folder), int(meta["dim"]), int(meta["used"]), int(meta["capacity"]))

    def _map(self, name: str, dtype: type[np.generic], shape: tuple[int, ...]) -> np.memmap[Any, Any]:
        path = self._folder / name
        expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
        if not path.is_file() or path.stat().st_size < expected:
            raise FormatError(f"{path} is missing or shorter than {expected} bytes", file=str(path))
        return np.memmap(path, dtype=dtype, mode="r+", shape=shape)

    def _grow(self, needed: int) -> None:
        capacity = max(needed, 2 * self._capacity, MIN_CAPACITY)
        self._vectors.flush()
        self._ids.flush()
        del self._vectors, self._ids  # the maps must be closed before their files change size
        for name, itemsize in ((VECTORS_FILE, 4 * self._dim), (IDS_FILE, 8)):
            with open(self._folder / name, "r+b") as f:
                f.truncate(capacity * itemsize)
        self._capacity = capacity
        self._vectors = self._map(VECTORS_FILE, np.float32, (capacity, self._dim))
        self._ids = self._map(IDS_FILE, np.int64, (capacity,))

    def _compact(self) -> None:
        live = np.flatnonzero(self._ids[: self._used] != REMOVED)
        for start in range(0, live.size, BLOCK):  # rows only move down, so block by block is safe
            rows = live[start : start + BLOCK]
            self._vectors[start : start + rows.size] = self._vectors[rows]
            self._ids[start : start + rows.size] = self._ids[rows]
        self._used = int(live.size)
        self._slot = dict(zip(self._ids[: self._used].tolist(), range(self._used), strict=True))

    # --- the protocol -----------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def folder(self) -> Path:
        return self._folder

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, int | np.integer) and int(item_id) in self._slot

    def add(self, ids: Iterable[int] | npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add items, or overwrite the rows of ids already present."""
        keys = as_ids(ids)
        rows = as_vectors(vectors, self._dim, count=keys.size)
        with self._lock:
            slots = np.array([self._slot.get(k, -1) for k in keys.tolist()], dtype=np.int64)
            old = slots >= 0
            self._vectors[slots[old]] = rows[old]
            new = np.flatnonzero(~old)
            if new.size:
                if self._used + new.size > self._capacity:
                    self._grow(self._used + new.size)
                at = np.arange(self._used, self._used + new.size)
                self._vectors[at] = rows[new]
                self._ids[at] = keys[new]
                self._slot.update(zip(keys[new].tolist(), at.tolist(), strict=True))
                self._used += int(new.size)

    def remove(self, ids: Iterable[int] | npt.ArrayLike) -> int:
        """Remove items; return how many were present."""
        keys = as_ids(ids, unique=False)
        with self._lock:
            slots = [s for s in (self._slot.pop(k, None) for k in keys.tolist()) if s is not None]
            self._ids[slots] = REMOVED
            if self._used - len(self._slot) > max(MIN_CAPACITY, len(self._slot)):
                self._compact()
            return len(slots)

    def search(
        self, query: npt.ArrayLike, k: int = 10, allowed_ids: Iterable[int] | npt.ArrayLike | None = None
    ) -> Hits:
        """Return the ``k`` most similar items: every row (or every allowed row) is scored."""
        q = as_query(query, self._dim)
        k = as_k(k)
        allowed = as_allowed(allowed_ids)
        best_ids: list[npt.NDArray[np.int64]] = []
        best_scores: list[npt.NDArray[np.float32]] = []
        with self._lock:
            if allowed is not None and allowed.size < max(1, self._used // 8):
                # A small allowed set: score only its rows rather than every row.
                slots = np.array([s for s in (self._slot.get(a) for a in allowed.tolist()) if s is not None])
                if slots.size == 0:
                    return Hits.empty()
                slots.sort()
                scores = np.asarray(self._vectors[slots] @ q, dtype=np.float32)
                return Hits.top(np.asarray(self._ids[slots]), scores, k)
            for start in range(0, self._used, BLOCK):
                stop = min(start + BLOCK, self._used)
                ids = np.asarray(self._ids[start:stop])
                keep = ids != REMOVED
                if allowed is not None:
                    keep &= np.isin(ids, allowed, assume_unique=False)
                if not keep.any():
                    continue
                # Score the whole block and drop the unwanted scores: selecting rows first would copy the block.
                scores = np.asarray(self._vectors[start:stop] @ q, dtype=np.float32)
                top = Hits.top(ids[keep], scores[keep], k)
                best_ids.append(top.ids)
                best_scores.append(top.scores)
        if not best_ids:
            return Hits.empty()
        return Hits.top(np.concatenate(best_ids), np.concatenate(best_scores), k)

    def get(self, ids: Iterable[int] | npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Return the stored vectors of ``ids``."""
        keys = as_ids(ids, unique=False)
        with self._lock:
            missing = [k for k in keys.tolist() if k not in self._slot]
            if missing:
                raise ValidationError(f"ids not in the index: {missing[:5]}", field="ids")
            slots = np.array([self._slot[k] for k in keys.tolist()], dtype=np.int64)
            return np.array(self._vectors[slots], dtype=np.float32)

    def ids(self) -> npt.NDArray[np.int64]:
        """Return every id, ascending."""
        with self._lock:
            return np.sort(np.fromiter(self._slot, dtype=np.int64, count=len(self._slot)))

    def save(self) -> None:
        """Flush the memory-mapped files and record how many rows are in use."""
        with self._lock:
            self._vectors.flush()
            self._ids.flush()
            meta = {"backend": self.backend, "dim": self._dim, "used": self._used, "capacity": self._capacity}
            write_meta(self._folder, meta)
