"""Each item's nearest neighbours in an index, computed once per saved index state, and leader groups from them.

The duplicates page asks for groups at one threshold after another (a slider). Searching the index once per
item for every request cost 228 s at 10k items on the exact backend under load (each search reads every
vector); so the k-nearest-neighbour graph is computed once per saved state of the index (its ``meta.json``
change time) and kept in memory, and a threshold only filters its edges:

- up to ``BLOCK_LIMIT`` items the vectors are read once and multiplied block by block (512 rows at a time
  against all: BLAS does the n² work, ~2 s at 10k x 512 on two idle cores);
- above, one index search per item (hnswlib answers in ~1 ms).

Groups follow ``labelhub.search.near_duplicates``'s leader rule (the item with the most near copies keeps a
group of its ungrouped neighbours, then the next...), so every member is above the threshold with the item kept;
written here because that function searches again for each call, which is the cost this module avoids.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from labelhub.search import VectorIndex
from labelhub.search.index import META_FILE

__all__ = ["BLOCK_LIMIT", "K", "Neighbours", "leader_groups", "neighbours"]

K = 10
BLOCK_LIMIT = 50_000
_ROWS = 512


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Row i: item ``ids[i]``'s ``K`` nearest other items (``nbr``, -1 when fewer) and their cosines."""

    ids: npt.NDArray[np.int64]
    nbr: npt.NDArray[np.int64]
    score: npt.NDArray[np.float32]


def _blocked(index: VectorIndex, ids: npt.NDArray[np.int64], k: int) -> Neighbours:
    vectors = np.concatenate([index.get(ids[s : s + 8_192]) for s in range(0, ids.size, 8_192)])
    n = ids.size
    take = min(k, n - 1)
    nbr = np.full((n, k), -1, dtype=np.int64)
    score = np.full((n, k), -np.inf, dtype=np.float32)
    for start in range(0, n, _ROWS):
        sims = vectors[start : start + _ROWS] @ vectors.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf  # not its own neighbour
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        nbr[start : start + _ROWS, :take] = ids[part]
        score[start : start + _ROWS, :take] = np.take_along_axis(sims, part, axis=1)
    return Neighbours(ids, nbr, score)


def _searched(index: VectorIndex, ids: npt.NDArray[np.int64], k: int) -> Neighbours:
    nbr = np.full((ids.size, k), -1, dtype=np.int64)
    score = np.full((ids.size, k), -np.inf, dtype=np.float32)
    for start in range(0, ids.size, 1_024):
        chunk = ids[start : start + 1_024]
        for row, (item_id, vector) in enumerate(zip(chunk.tolist(), index.get(chunk), strict=True)):
            found = [(i, s) for i, s in index.search(vector, k + 1) if i != item_id][:k]
            nbr[start + row, : len(found)] = [i for i, _ in found]
            score[start + row, : len(found)] = [s for _, s in found]
    return Neighbours(ids, nbr, score)


_CACHE: OrderedDict[tuple[Path, int], Neighbours] = OrderedDict()
_LOCK = threading.Lock()


def neighbours(index: VectorIndex, k: int = K) -> Neighbours:
    """Return the index's k-nearest-neighbour graph, computed once per saved state of the index."""
    key = (index.folder, (index.folder / META_FILE).stat().st_mtime_ns)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    ids = index.ids()
    if ids.size < 2:
        graph = Neighbours(ids, np.full((ids.size, k), -1, np.int64), np.full((ids.size, k), -np.inf, np.float32))
    elif ids.size <= BLOCK_LIMIT:
        graph = _blocked(index, ids, k)
    else:
        graph = _searched(index, ids, k)
    with _LOCK:
        _CACHE[key] = graph
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return graph


def leader_groups(graph: Neighbours, threshold: float) -> list[tuple[int, list[int]]]:
    """Return (kept item, its near copies) groups of the edges at or above ``threshold``, largest first."""
    edges: dict[int, set[int]] = defaultdict(set)
    rows, cols = np.nonzero((graph.score >= threshold) & (graph.nbr >= 0))
    for a, b in zip(graph.ids[rows].tolist(), graph.nbr[rows, cols].tolist(), strict=True):
        edges[a].add(b)
        edges[b].add(a)
    taken: set[int] = set()
    out = []
    for leader in sorted(edges, key=lambda i: (-len(edges[i]), i)):
        if leader in taken:
            continue
        members = sorted(o for o in edges[leader] if o not in taken)
        if members:
            taken.update([leader, *members])
            out.append((leader, members))
    return sorted(out, key=lambda g: (-len(g[1]), g[0]))
