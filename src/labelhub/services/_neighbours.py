"""Each item's nearest neighbours in an index, computed once per saved index state, and leader groups from them.

The duplicates page asks for groups at one threshold after another (a slider). Searching the index once per
item for every request cost 228 s at 10k items on the exact backend under load (each search reads every
vector); so the k-nearest-neighbour graph is computed once per saved state of the index (:func:`index_state`)
and a threshold only filters its edges:

- up to ``BLOCK_LIMIT`` items the vectors are read once and multiplied block by block (512 rows at a time
  against all: BLAS does the n² work, ~2 s at 10k x 512 on two idle cores); the few pairs near each row's k-th
  are scored again one by one, so a row's neighbours and cosines do not depend on the rows computed with it;
- above, one index search per item (hnswlib answers in ~1 ms).

**Where it is kept.** The embedding job computes the graph at its end (:func:`refresh_graph`) and saves it in
the index folder as ``neighbours.npz`` (ids, nbr, sims, and the state it was computed from), so the first
duplicates request after a run, in any server worker and after a restart, reads it instead of computing it
(BANKING77's 10k texts: 0.05 s instead of 0.7-0.9 s on two idle cores, 8.3 s under load). :func:`neighbours`
looks in memory (four graphs per process), then in the file, and only then computes the graph and saves it.
The file is trusted only when the state it records is the one the index has now (``meta.json``'s change time,
inode and size) *and* its ids are the index's ids: every save of the index writes ``meta.json`` anew, so an
index changed, refilled, or deleted with its project and made again under the same id does not match a graph
left from before. A file that cannot be read is logged as a warning and computed again. It is written to a
temporary file moved over the old one, so a reader sees the old graph or the new one, never half of one.
Removing items (a resolve on the duplicates page) saves the index too: :func:`patch_after_removal` derives the
new state's graph from the old one, computing only the rows that lost a neighbour (:func:`drop_from_graph`).

Groups follow ``labelhub.search.near_duplicates``'s leader rule (the item with the most near copies keeps a
group of its ungrouped neighbours, then the next...), so every member is above the threshold with the item kept;
written here because that function searches again for each call, which is the cost this module avoids. The file
format is a plain ``.npz`` (numpy's own, read without pickle) because the graph is three arrays. A run that
changed nothing in the index keeps the graph (``refresh_graph(unchanged_since=...)``) rather than computing it:
its saves give the index a new state but the same vectors.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from labelhub.errors import ConflictError, FormatError
from labelhub.search import VectorIndex
from labelhub.search.index import META_FILE

__all__ = [
    "BLOCK_LIMIT",
    "GRAPH_FILE",
    "K",
    "Neighbours",
    "compute_neighbours",
    "drop_from_graph",
    "held_graph",
    "index_state",
    "leader_groups",
    "load_graph",
    "neighbours",
    "patch_after_removal",
    "refresh_graph",
    "save_graph",
]

K = 10
BLOCK_LIMIT = 50_000
GRAPH_FILE = "neighbours.npz"
_FORMAT = 1
_ROWS = 512
Tick = Callable[[int, int], None]  # (items done, items in all)
Scores = npt.NDArray[np.float32]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Row i: item ``ids[i]``'s ``K`` nearest other items (``nbr``, -1 when fewer) and their cosines."""

    ids: npt.NDArray[np.int64]
    nbr: npt.NDArray[np.int64]
    score: npt.NDArray[np.float32]


def _eps(dim: int) -> float:
    """How far below a row's k-th product a column may be and still be among its k nearest by :func:`_scores`.

    A float32 product (BLAS) and :func:`_scores` each come within ``(dim + 8) * 2**-24`` of two unit vectors' true
    cosine (the worst case of summing ``dim`` products): the k nearest by score are within twice that of the k-th
    by product. Twice that again, for margin (at 10k x 512, 0.3 % more pairs are scored).
    """
    return 4.0 * (dim + 8) * 2.0**-24


def _scores(vectors: npt.NDArray[np.float32], a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> Scores:
    """Return the cosine of rows ``a[i]`` and ``b[i]``: products summed along the row by numpy (pairwise).

    Pair by pair, so a pair's score does not depend on which other rows were multiplied with it (a BLAS product's
    does, by an ulp): a graph patched row by row holds the numbers of one computed whole.
    """
    out = np.empty(a.size, dtype=np.float32)
    for s in range(0, a.size, 4_096):
        x = vectors[a[s : s + 4_096]]
        x *= vectors[b[s : s + 4_096]]
        out[s : s + 4_096] = x.sum(axis=1)
    return out


def _top(
    vectors: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], rows: npt.NDArray[np.int64], k: int
) -> tuple[npt.NDArray[np.int64], Scores]:
    """Return the k nearest other items of ``rows`` (positions in ``ids``), nearest first, ties to the smaller id.

    BLAS multiplies the rows with every vector; the columns within :func:`_eps` of a row's k-th product are scored
    again by :func:`_scores`, whose numbers choose: so the rows are the same whichever rows were computed together.
    """
    take = min(k, ids.size - 1)
    nbr = np.full((rows.size, k), -1, dtype=np.int64)
    score = np.full((rows.size, k), -np.inf, dtype=np.float32)
    if take < 1:
        return nbr, score
    sims = vectors[rows] @ vectors.T
    sims[np.arange(rows.size), rows] = -np.inf  # not its own neighbour
    kth = np.partition(sims, ids.size - take, axis=1)[:, ids.size - take]  # the take-th largest
    r, c = np.nonzero(sims >= (kth - _eps(vectors.shape[1]))[:, None])
    exact = _scores(vectors, rows[r], c)
    order = np.lexsort((c, -exact, r))  # by row, then score, then column (ids ascend with columns)
    r, c, exact = r[order], c[order], exact[order]
    rank = np.arange(r.size) - np.searchsorted(r, r)  # place within its row
    chosen = rank < take
    nbr[r[chosen], rank[chosen]] = ids[c[chosen]]
    score[r[chosen], rank[chosen]] = exact[chosen]
    return nbr, score


def _vectors(index: VectorIndex, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    return np.concatenate([index.get(ids[s : s + 8_192]) for s in range(0, ids.size, 8_192)])


def _blocked(index: VectorIndex, ids: npt.NDArray[np.int64], k: int, tick: Tick | None = None) -> Neighbours:
    vectors = _vectors(index, ids)
    n = ids.size
    nbr = np.full((n, k), -1, dtype=np.int64)
    score = np.full((n, k), -np.inf, dtype=np.float32)
    for start in range(0, n, _ROWS):
        rows = np.arange(start, min(start + _ROWS, n))
        nbr[rows], score[rows] = _top(vectors, ids, rows, k)
        if tick is not None:
            tick(int(rows[-1]) + 1, n)
    return Neighbours(ids, nbr, score)


def _searched(index: VectorIndex, ids: npt.NDArray[np.int64], k: int, tick: Tick | None = None) -> Neighbours:
    nbr = np.full((ids.size, k), -1, dtype=np.int64)
    score = np.full((ids.size, k), -np.inf, dtype=np.float32)
    for start in range(0, ids.size, 1_024):
        chunk = ids[start : start + 1_024]
        for row, (item_id, vector) in enumerate(zip(chunk.tolist(), index.get(chunk), strict=True)):
            found = [(i, s) for i, s in index.search(vector, k + 1) if i != item_id][:k]
            nbr[start + row, : len(found)] = [i for i, _ in found]
            score[start + row, : len(found)] = [s for _, s in found]
        if tick is not None:
            tick(start + chunk.size, ids.size)
    return Neighbours(ids, nbr, score)


def compute_neighbours(index: VectorIndex, k: int = K, tick: Tick | None = None) -> Neighbours:
    """Compute the index's k-nearest-neighbour graph (the costly part), reporting ``tick(done, total)``."""
    ids = index.ids()
    if ids.size < 2:
        return Neighbours(ids, np.full((ids.size, k), -1, np.int64), np.full((ids.size, k), -np.inf, np.float32))
    if ids.size <= BLOCK_LIMIT:
        return _blocked(index, ids, k, tick)
    return _searched(index, ids, k, tick)


def index_state(index: VectorIndex) -> str:
    """Return the saved state of the index: its ``meta.json``'s change time (ns), inode and size.

    Every save writes ``meta.json`` anew and moves it over the old one: the new file has another inode than the
    one it replaces, so two saves within one tick of the file system's clock (a few ms) still differ.
    """
    st = (index.folder / META_FILE).stat()
    return f"{st.st_mtime_ns}:{st.st_ino}:{st.st_size}"


def _read(path: Path, k: int) -> tuple[str, Neighbours]:
    """Return (state, graph) of a graph file; FormatError when it cannot be read or its arrays do not fit."""
    try:
        with np.load(path, allow_pickle=False) as data:
            fmt, state = int(data["format"]), data["state"].item()
            ids, nbr, sims = data["ids"], data["nbr"], data["sims"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise FormatError(f"cannot read {path}: {type(exc).__name__}: {exc}", file=str(path)) from exc
    n = ids.shape[0] if ids.ndim == 1 else -1
    if fmt != _FORMAT or not isinstance(state, str) or n < 0 or nbr.shape != (n, k) or sims.shape != (n, k):
        raise FormatError(f"{path} is not a neighbour graph of k={k} (format {_FORMAT})", file=str(path))
    graph = Neighbours(ids.astype(np.int64), nbr.astype(np.int64), sims.astype(np.float32))
    return state, graph


def load_graph(index: VectorIndex, state: str, k: int = K) -> Neighbours | None:
    """Return the saved graph when it was computed from ``state`` of this index, else None (a warning if broken)."""
    path = index.folder / GRAPH_FILE
    if not path.is_file():
        return None
    try:
        saved, graph = _read(path, k)
    except FormatError as exc:
        log.warning("ignoring the neighbour graph file, it is computed again: %s", exc)
        return None
    if saved != state or not np.array_equal(graph.ids, index.ids()):
        log.debug("the neighbour graph %s is of another state of the index", path)
        return None
    return graph


def save_graph(index: VectorIndex, graph: Neighbours, state: str) -> bool:
    """Write the graph of ``state`` atomically beside the index; False (and a warning) when it cannot be written.

    A temporary file of its own (two server workers may write at once) is moved over the old one.
    """
    folder = index.folder
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{GRAPH_FILE}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), (folder / META_FILE).stat().st_mode & 0o777)  # as the index, not mkstemp's 0600
            np.savez(fh, format=np.int64(_FORMAT), state=np.str_(state), ids=graph.ids, nbr=graph.nbr,
                     sims=graph.score)  # fmt: skip
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / GRAPH_FILE)
        return True
    except OSError as exc:
        log.warning("cannot save the neighbour graph in %s: %s", folder, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False


_CACHE: OrderedDict[tuple[Path, str, int], Neighbours] = OrderedDict()
_LOCK = threading.Lock()


def _remember(index: VectorIndex, state: str, k: int, graph: Neighbours) -> None:
    with _LOCK:
        _CACHE[(index.folder, state, k)] = graph
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)


def _keep(index: VectorIndex, graph: Neighbours, state: str, k: int) -> bool:
    """Save and hold the graph of ``state`` when the index is still in that state; return whether it was."""
    try:
        same = index_state(index) == state
    except FileNotFoundError:  # the index folder went (its project was deleted)
        same = False
    if same:  # else saved again meanwhile: the graph may be of neither state, so it is not kept
        save_graph(index, graph, state)
        _remember(index, state, k, graph)
    return same


def _compute_and_save(index: VectorIndex, state: str, k: int, tick: Tick | None = None) -> Neighbours:
    graph = compute_neighbours(index, k, tick)
    _keep(index, graph, state, k)
    return graph


def held_graph(index: VectorIndex, k: int = K) -> Neighbours | None:
    """Return the graph of the index's current state from memory or its file, or None: it is never computed here."""
    state = index_state(index)
    with _LOCK:
        held = _CACHE.get((index.folder, state, k))
    return held if held is not None else load_graph(index, state, k)


def drop_from_graph(index: VectorIndex, graph: Neighbours, removed: npt.ArrayLike, k: int = K) -> Neighbours:
    """Return the graph of ``index`` after ``removed`` left it, from ``graph``, its graph before.

    Rows of removed items go; a row that listed a removed item as a neighbour is computed again, alone, over the
    index as it is now (against every vector, in blocks of rows, up to ``BLOCK_LIMIT`` items, else one index
    search for k + 1 without the item itself); every other row is kept as it is. That is the graph computing it
    whole would give: a row holds the k items first in one order of all the others (score, then the smaller id),
    and taking away items that are not among those k leaves them the first k, so only a row that lost one of its
    k can change (a row of fewer than k lists every other item, so it lost one); and a row's numbers do not depend
    on the rows computed with it (:func:`_top`, :func:`_searched`). Above ``BLOCK_LIMIT`` the kept rows are the
    approximate searches made before rather than new ones. Hand-written: hnswlib and numpy answer searches, no
    library here keeps a neighbour graph up to date. ConflictError when the index does not hold the graph's items
    less ``removed``.
    """
    gone = np.asarray(removed, dtype=np.int64).ravel()
    alive = ~np.isin(graph.ids, gone)
    ids = graph.ids[alive]
    if not np.array_equal(ids, index.ids()):
        raise ConflictError(f"the index in {index.folder} does not hold the graph's items less the removed ones")
    nbr, score = graph.nbr[alive], graph.score[alive]
    stale = np.flatnonzero(np.isin(nbr, gone).any(axis=1))
    if stale.size and ids.size <= BLOCK_LIMIT:
        vectors = _vectors(index, ids)
        for start in range(0, stale.size, _ROWS):
            rows = stale[start : start + _ROWS]
            nbr[rows], score[rows] = _top(vectors, ids, rows, k)
    elif stale.size:
        again = _searched(index, ids[stale], k)
        nbr[stale], score[stale] = again.nbr, again.score
    return Neighbours(ids, nbr, score)


def patch_after_removal(
    index: VectorIndex, graph: Neighbours, removed: npt.ArrayLike, state: str, k: int = K
) -> Neighbours | None:
    """Derive the graph of ``state`` (the index saved after ``removed`` left it) from ``graph``, its graph
    before (:func:`drop_from_graph`), save it and hold it in memory; return it.

    None when it is left to the next request to compute: an index that shrank from above ``BLOCK_LIMIT`` to
    within it (computing it gives exact rows, patching would keep the approximate ones), or one saved again since
    ``state``.
    """
    if graph.ids.size > BLOCK_LIMIT >= len(index):
        return None
    patched = drop_from_graph(index, graph, removed, k)
    return patched if _keep(index, patched, state, k) else None


def neighbours(index: VectorIndex, k: int = K) -> Neighbours:
    """Return the index's k-nearest-neighbour graph: from memory, else its file, else computed (and saved)."""
    state = index_state(index)
    with _LOCK:
        held = _CACHE.get((index.folder, state, k))
    if held is not None:
        return held
    graph = load_graph(index, state, k)
    if graph is None:
        return _compute_and_save(index, state, k)
    _remember(index, state, k, graph)
    return graph


def refresh_graph(
    index: VectorIndex,
    *,
    unchanged_since: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    start: float = 0.0,
) -> Neighbours:
    """Compute and save the graph of the index as saved now: the end of an embedding run.

    ``unchanged_since`` is the state the run found the index in when the run changed nothing in it: a graph
    saved of that state is still right and is saved again under the new state (the run's saves rewrote
    ``meta.json``) rather than computed. ``progress(fraction, message)`` hears "neighbour graph: N of M items",
    the fraction going from ``start`` (the share of the bar the run's earlier phases took) to 1.
    """
    state = index_state(index)
    graph = load_graph(index, unchanged_since, K) if unchanged_since is not None else None
    if graph is not None:
        save_graph(index, graph, state)
        _remember(index, state, K, graph)
        if progress is not None:
            progress(1.0, f"neighbour graph: {graph.ids.size:,} items, unchanged")
        return graph

    def tick(done: int, total: int) -> None:
        if progress is not None:
            fraction = start + (1.0 - start) * done / max(total, 1)
            progress(fraction, f"neighbour graph: {done:,} of {total:,} items")

    tick(0, len(index))
    graph = _compute_and_save(index, state, K, tick)
    if progress is not None:
        progress(1.0, f"neighbour graph: {graph.ids.size:,} items")
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
