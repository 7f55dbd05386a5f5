"""The approximate backend: an HNSW graph from hnswlib, chosen over usearch and faiss by ``bench_index.py``.

Why hnswlib (``docs/search.md`` has the measured table): on the benchmark's clustered vectors it built its
graph fastest of the three graph indexes and answered well within the target (faiss's HNSW answered ~20 %
faster at equal recall, but cannot remove an item without a rebuild; usearch was slower at both and its Python
search takes no filter). It adds items into the graph (``add_items``) and removes them by marking
(``mark_deleted``), reusing the slots of removed items for new ones (``allow_replace_deleted``), so neither
needs a rebuild; and its search takes a filter callback. The graph and
the vectors live in hnswlib's C++ memory (about ``4 * dim + 8 * M`` bytes an item), not in Python objects;
Python keeps only two sorted id arrays (8 bytes an item).

Ids are hnswlib's labels directly. ``_live`` holds the ids in the index; ``_dead`` the ids marked deleted
(some of whose slots hnswlib may since have given to new ids: a re-added id is first un-marked, and when
hnswlib no longer knows it, added as new). An id added again while present has its vector replaced in place.

Filters (``allowed_ids``), in order:

1. the allowed ids are cut to those in the index; when at most ``brute_force_limit`` remain (256 by
   default) their vectors are fetched and scored exactly: tiny sets are where a graph search is slowest (most
   of the graph it walks is filtered out), and fetching a vector from hnswlib costs ~15 us at 256 dimensions,
   so 256 of them cost ~4 ms;
2. otherwise hnswlib's own filter: the search walks the graph as usual but only allowed ids enter the result,
   so it walks further until it has ``ef`` of them (the filter is the allowed set's ``__contains__``, called
   from C++ without a Python frame);
3. when hnswlib still cannot return ``k`` (it raises), the exact scoring of step 1 answers.

The index is saved as hnswlib's own file (``index.bin``) plus ``live.npy`` and ``dead.npy``; every file is
written next to its old copy and moved over it, ``meta.json`` last.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from labelhub.errors import ConfigurationError, ConflictError, FormatError, ValidationError
from labelhub.search._vectors import as_allowed, as_dim, as_ids, as_k, as_query, as_vectors
from labelhub.search.index import META_FILE, Hits, read_meta, write_meta

__all__ = ["DEFAULTS", "HnswIndex"]

INDEX_FILE = "index.bin"
LIVE_FILE = "live.npy"
DEAD_FILE = "dead.npy"
MIN_CAPACITY = 1_024

# M and ef_construction set the graph's quality and build time, ef_search the query's recall and time. At 1M
# clustered vectors (bench_index.py, docs/search.md) M 16 / ef_construction 100 built in 8 min on 2 cores and
# ef_search 256 was the first value of the sweep past recall@10 0.95 with margin (192: 0.959, 256: 0.969, at
# 0.85 ms p50); the graph tops out near 0.97 there, so more ef buys little. 256 small ids score exactly in ~4 ms.
DEFAULTS: dict[str, int] = {"M": 16, "ef_construction": 100, "ef_search": 256, "brute_force_limit": 256,
                            "threads": 0, "seed": 100}  # fmt: skip
_LIMITS = {"M": (2, 256), "ef_construction": (8, 4_096), "ef_search": (1, 32_768),
           "brute_force_limit": (0, 10_000_000), "threads": (0, 1_024), "seed": (0, 2**31 - 1)}  # fmt: skip


def _hnswlib() -> ModuleType:
    try:
        return importlib.import_module("hnswlib")
    except ImportError as exc:
        raise ConfigurationError("the hnswlib backend needs the hnswlib package: pip install hnswlib") from exc


def _options(given: dict[str, Any]) -> dict[str, int]:
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValidationError(f"unknown hnswlib options {unknown}; known: {sorted(DEFAULTS)}", field="options")
    out = {**DEFAULTS, **given}
    for name, (low, high) in _LIMITS.items():
        value = out[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(f"{name} must be a whole number in [{low}, {high}], got {value!r}", field=name)
    return out


class HnswIndex:
    """An hnswlib HNSW graph over unit vectors (inner-product space); see the module docstring."""

    backend = "hnswlib"

    def __init__(self, folder: Path, dim: int, options: dict[str, int], graph: Any, live: Any, dead: Any) -> None:
        """Wrap a loaded graph; use :meth:`create` or :meth:`open` rather than this."""
        self._folder = Path(folder)
        self._dim = dim
        self._opts = options
        self._graph = graph
        self._live: npt.NDArray[np.int64] = live
        self._dead: npt.NDArray[np.int64] = dead
        self._lock = threading.RLock()

    # --- construction -----------------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, dim: int, **options: Any) -> HnswIndex:
        """Create an empty index in ``folder``; options: M, ef_construction, ef_search, brute_force_limit,
        threads (for adding; 0 means every core), seed."""
        dim = as_dim(dim)
        opts = _options(options)
        folder = Path(folder)
        if (folder / META_FILE).exists():
            raise ConflictError(f"{folder} already holds a vector index", field="folder")
        graph = _hnswlib().Index(space="ip", dim=dim)
        graph.init_index(max_elements=MIN_CAPACITY, M=opts["M"], ef_construction=opts["ef_construction"],
                         random_seed=opts["seed"], allow_replace_deleted=True)  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        index = cls(folder, dim, opts, graph, np.zeros(0, np.int64), np.zeros(0, np.int64))
        index.save()
        return index

    @classmethod
    def open(cls, folder: Path) -> HnswIndex:
        """Open the index saved in ``folder``."""
        folder = Path(folder)
        meta = read_meta(folder)
        if meta["backend"] != cls.backend:
            raise FormatError(f"{folder} holds a {meta['backend']!r} index, not {cls.backend!r}", file=str(folder))
        dim, opts = int(meta["dim"]), _options(dict(meta["options"]))
        graph = _hnswlib().Index(space="ip", dim=dim)
        try:
            graph.load_index(str(folder / INDEX_FILE), max_elements=int(meta["capacity"]), allow_replace_deleted=True)
            live = np.load(folder / LIVE_FILE).astype(np.int64)
            dead = np.load(folder / DEAD_FILE).astype(np.int64)
        except (OSError, RuntimeError, ValueError) as exc:
            raise FormatError(f"cannot read the hnswlib index in {folder}: {exc}", file=str(folder)) from exc
        return cls(folder, dim, opts, graph, live, dead)

    # --- the protocol -----------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def folder(self) -> Path:
        return self._folder

    @property
    def options(self) -> dict[str, int]:
        """The graph's settings (M, ef_construction, ef_search, ...), as saved in ``meta.json``."""
        return dict(self._opts)

    def __len__(self) -> int:
        return int(self._live.size)

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, int | np.integer) or isinstance(item_id, bool):
            return False
        with self._lock:
            at = int(np.searchsorted(self._live, int(item_id)))
            return at < self._live.size and int(self._live[at]) == int(item_id)

    def _threads(self) -> int:
        return self._opts["threads"] or (os.cpu_count() or 1)

    def add(self, ids: Iterable[int] | npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Add items into the graph, or replace the vectors of ids already present."""
        keys = as_ids(ids)
        rows = as_vectors(vectors, self._dim, count=keys.size)
        if keys.size == 0:
            return
        with self._lock:
            update = self._present(keys)
            for at in np.flatnonzero(~update & np.isin(keys, self._dead)).tolist():
                try:  # a removed id comes back: un-mark it and overwrite its vector below
                    self._graph.unmark_deleted(int(keys[at]))
                    update[at] = True
                except RuntimeError:  # hnswlib gave its slot to another id: it is new again
                    pass
            if update.any():
                self._graph.add_items(rows[update], keys[update], num_threads=self._threads())
            new = ~update
            if new.any():
                needed = self._graph.get_current_count() + int(new.sum())
                if needed > self._graph.get_max_elements():
                    self._graph.resize_index(max(needed, 2 * self._graph.get_max_elements()))
                self._graph.add_items(rows[new], keys[new], num_threads=self._threads(), replace_deleted=True)
            self._live = np.union1d(self._live, keys)
            self._dead = np.setdiff1d(self._dead, keys, assume_unique=True)

    def remove(self, ids: Iterable[int] | npt.ArrayLike) -> int:
        """Mark items deleted (their slots are reused by later additions); return how many were present."""
        keys = np.unique(as_ids(ids, unique=False))
        with self._lock:
            present = keys[self._present(keys)]
            for key in present.tolist():
                self._graph.mark_deleted(key)
            self._live = np.setdiff1d(self._live, present, assume_unique=True)
            self._dead = np.union1d(self._dead, present)
            return int(present.size)

    def search(
        self, query: npt.ArrayLike, k: int = 10, allowed_ids: Iterable[int] | npt.ArrayLike | None = None
    ) -> Hits:
        """Return the ``k`` most similar items (approximately: see ``ef_search``)."""
        q = as_query(query, self._dim)
        k = as_k(k)
        allowed = as_allowed(allowed_ids)
        with self._lock:
            if allowed is not None:
                allowed = allowed[self._present(allowed)]
                if allowed.size <= self._opts["brute_force_limit"]:
                    return self._exact(q, k, allowed)
            pool = self._live.size if allowed is None else allowed.size
            if pool == 0:
                return Hits.empty()
            count = min(k, pool)
            self._graph.set_ef(max(self._opts["ef_search"], count))
            keep = None if allowed is None else set(allowed.tolist()).__contains__
            try:
                labels, dists = self._graph.knn_query(q, k=count, num_threads=1, filter=keep)
            except RuntimeError:  # the graph walk found fewer than ``count`` allowed items
                return self._exact(q, k, self._live if allowed is None else allowed)
        scores = (1.0 - dists[0]).astype(np.float32)
        return Hits.top(labels[0].astype(np.int64), scores, k)

    def _present(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Return which of ``keys`` are live, by binary search (no sort of the live ids per call)."""
        if self._live.size == 0:
            return np.zeros(keys.shape, dtype=bool)
        at = np.minimum(np.searchsorted(self._live, keys), self._live.size - 1)
        found: npt.NDArray[np.bool_] = self._live[at] == keys
        return found

    def _exact(self, q: npt.NDArray[np.float32], k: int, ids: npt.NDArray[np.int64]) -> Hits:
        if ids.size == 0:
            return Hits.empty()
        vectors = np.asarray(self._graph.get_items(ids, return_type="numpy"), dtype=np.float32)
        return Hits.top(ids, (vectors @ q).astype(np.float32), k)

    def get(self, ids: Iterable[int] | npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Return the stored vectors of ``ids``."""
        keys = as_ids(ids, unique=False)
        with self._lock:
            missing = keys[~self._present(keys)]
            if missing.size:
                raise ValidationError(f"ids not in the index: {missing[:5].tolist()}", field="ids")
            if keys.size == 0:
                return np.zeros((0, self._dim), dtype=np.float32)
            return np.asarray(self._graph.get_items(keys, return_type="numpy"), dtype=np.float32)

    def ids(self) -> npt.NDArray[np.int64]:
        """Return every id, ascending."""
        with self._lock:
            return self._live.copy()

    def save(self) -> None:
        """Write the graph and the id arrays, then ``meta.json``."""
        with self._lock:
            if self._dead.size > self._graph.get_current_count() - self._live.size:
                # Some removed ids lost their slot to new ids: forget those, as hnswlib did.
                known = np.asarray(self._graph.get_ids_list(), dtype=np.int64)
                self._dead = np.intersect1d(self._dead, known)
            tmp = self._folder / f".{INDEX_FILE}.tmp"
            self._graph.save_index(str(tmp))
            os.replace(tmp, self._folder / INDEX_FILE)
            for name, arr in ((LIVE_FILE, self._live), (DEAD_FILE, self._dead)):
                with open(self._folder / f".{name}.tmp", "wb") as f:
                    np.save(f, arr)
                os.replace(self._folder / f".{name}.tmp", self._folder / name)
            meta = {"backend": self.backend, "dim": self._dim, "options": self._opts,
                    "capacity": int(self._graph.get_max_elements()), "count": int(self._live.size)}  # fmt: skip
            write_meta(self._folder, meta)
