"""Duplicates: items with the same content hash, and groups of items whose embeddings are nearly the same.

Both give :class:`DuplicateGroup` values: one item to keep and the others a person may drop.

**Near-duplicates** are found from the index: each item's ``k`` nearest neighbours above ``threshold`` make
the edges of a similarity graph, and the graph is cut into groups by **greedy leader grouping** (default):
the item with the most near copies leads a group of its not yet grouped neighbours, then the next, and so on.
Every member of such a group is above the threshold *with the one kept*, which is what "keep one, drop the
others" needs. Connected components (``method="components"``) are available too, but they chain: in a video,
frame 1 ~ frame 2 ~ ... ~ frame 300 becomes one group although frames 1 and 300 differ, and dropping all but
one would lose real content (the test in ``tests/search/test_duplicates.py`` builds such a chain).
Hand-written: the grouping is a few lines over the index's answers, and the graph libraries would add a
dependency for a union-find.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from labelhub.errors import ValidationError
from labelhub.search._vectors import as_ids
from labelhub.search.index import VectorIndex

__all__ = ["DuplicateGroup", "exact_duplicates", "near_duplicates"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
BATCH = 1_024


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Items that duplicate each other: ``keep`` and the ``others``, each with its similarity to ``keep``.

    ``kind`` is ``"exact"`` (same content hash; every score is 1.0) or ``"near"`` (cosine of the embeddings).
    """

    keep: int
    others: tuple[int, ...]
    scores: tuple[float, ...]
    kind: Literal["exact", "near"]

    @property
    def ids(self) -> tuple[int, ...]:
        """Every item of the group, the one to keep first."""
        return (self.keep, *self.others)


def exact_duplicates(items: Iterable[tuple[int, str]]) -> list[DuplicateGroup]:
    """Return groups of item ids whose content hashes (hex SHA-256) are equal, the smallest id kept.

    ``items`` are ``(id, sha256)`` pairs, as the media store records them. Groups come ordered by ``keep``.
    """
    by_hash: dict[str, list[int]] = defaultdict(list)
    for row, pair in enumerate(items):
        try:
            item_id, digest = pair
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"item {row} must be an (id, sha256) pair", field="items", row=row) from exc
        if isinstance(item_id, bool) or not isinstance(item_id, int | np.integer) or item_id < 0:
            raise ValidationError(f"item {row}: id must be a whole number >= 0, got {item_id!r}", field="id", row=row)
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
            raise ValidationError(f"item {row}: sha256 must be 64 hex digits, got {digest!r}", field="sha256", row=row)
        by_hash[digest.lower()].append(int(item_id))
    groups = []
    for ids in by_hash.values():
        unique = sorted(set(ids))
        if len(unique) > 1:
            groups.append(DuplicateGroup(unique[0], tuple(unique[1:]), (1.0,) * (len(unique) - 1), "exact"))
    return sorted(groups, key=lambda g: g.keep)


def _edges(
    index: VectorIndex,
    ids: npt.NDArray[np.int64],
    threshold: float,
    k: int,
    allowed: npt.NDArray[np.int64] | None,
    progress: Callable[[int, int], None] | None,
) -> dict[int, dict[int, float]]:
    """Return the similarity graph: for each id, its neighbours at or above ``threshold`` (symmetric)."""
    graph: dict[int, dict[int, float]] = defaultdict(dict)
    for start in range(0, ids.size, BATCH):
        chunk = ids[start : start + BATCH]
        for item_id, vector in zip(chunk.tolist(), index.get(chunk), strict=True):
            for other, score in index.search(vector, k + 1, allowed_ids=allowed):
                if other != item_id and score >= threshold:
                    graph[item_id][other] = max(score, graph[item_id].get(other, score))
                    graph[other][item_id] = max(score, graph[other].get(item_id, score))
        if progress is not None:
            progress(min(start + BATCH, ids.size), int(ids.size))
    return graph


def _leaders(graph: dict[int, dict[int, float]]) -> list[tuple[int, list[int]]]:
    order = sorted(graph, key=lambda i: (-len(graph[i]), i))
    taken: set[int] = set()
    out = []
    for leader in order:
        if leader in taken:
            continue
        members = sorted(o for o in graph[leader] if o not in taken)
        if members:
            taken.update([leader, *members])
            out.append((leader, members))
    return out


def _components(graph: dict[int, dict[int, float]]) -> list[tuple[int, list[int]]]:
    parent = {i: i for i in graph}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, neighbours in graph.items():
        for b in neighbours:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = defaultdict(list)
    for i in graph:
        members[root(i)].append(i)
    # The kept item is the one with the most near copies, as in the leader grouping.
    out = []
    for group in members.values():
        keep = min(group, key=lambda i: (-len(graph[i]), i))
        out.append((keep, sorted(i for i in group if i != keep)))
    return out


def near_duplicates(
    index: VectorIndex,
    threshold: float = 0.95,
    *,
    k: int = 10,
    ids: Iterable[int] | npt.ArrayLike | None = None,
    method: Literal["leader", "components"] = "leader",
    progress: Callable[[int, int], None] | None = None,
) -> list[DuplicateGroup]:
    """Return groups of items whose vectors have cosine similarity >= ``threshold``; see the module docstring.

    ``k`` is how many neighbours of each item are looked at (an item with more near copies still reaches
    them through theirs); ``ids`` limits the groups to those items (default: all). ``progress(done, total)`` is
    called after each batch of items. Groups come ordered by size, largest first, then by ``keep``.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.0 < threshold <= 1.0:
        raise ValidationError(f"threshold must be in (0, 1], got {threshold!r}", field="threshold")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError(f"k must be a whole number >= 1, got {k!r}", field="k")
    if method not in ("leader", "components"):
        raise ValidationError(f"method must be 'leader' or 'components', got {method!r}", field="method")
    known = index.ids()
    wanted = known if ids is None else np.intersect1d(np.unique(as_ids(ids, unique=False)), known)
    graph = _edges(index, wanted, float(threshold), k, None if ids is None else wanted, progress)
    grouped = _leaders(graph) if method == "leader" else _components(graph)
    groups = []
    for keep, others in grouped:
        vectors = index.get([keep, *others])
        scores = tuple(round(float(s), 6) for s in vectors[1:] @ vectors[0])
        groups.append(DuplicateGroup(keep, tuple(others), scores, "near"))
    return sorted(groups, key=lambda g: (-len(g.others), g.keep))
