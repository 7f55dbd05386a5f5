"""Each consensus item's pair scores, worked out once at its merge and kept with it (``Item.meta["consensus"]``),
so the agreement report sums stored numbers instead of comparing every replica again.

What is kept (hand-written, small: at most 45 pairs for 10 people): ``pairs``, ``[user, user, score]`` for every
pair of people (:func:`~labelhub.domain.agreement.pair_agreement`), and ``classes``, each person's
class tags (``{"<user id>": ["cat"]}``, people without any left out), which is all Krippendorff's alpha reads of a
replica. :func:`pair_table` gives the figures :func:`~labelhub.domain.agreement.agreement_table` gives from the
replicas themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from labelhub.domain.agreement import Replica, pair_agreement
from labelhub.domain.enums import AnnotationKind

__all__ = ["Pair", "class_replica", "class_tags", "pair_scores", "pair_table"]

Pair = tuple[int, int, float]  # two people (user ids) and how much their replicas of one item agree, 0..1


def class_tags(replica: Replica) -> list[str]:
    """The replica's class tags, sorted, without repeats (what alpha compares)."""
    return sorted({str(a["label"]) for a in replica if a.get("kind") == AnnotationKind.CLASS.value and a.get("label")})


def class_replica(tags: Sequence[str]) -> list[dict[str, Any]]:
    """A replica reduced to its class tags: enough for :func:`~labelhub.domain.agreement.class_alpha`."""
    return [{"kind": AnnotationKind.CLASS.value, "label": t} for t in tags]


def pair_scores(replicas: Sequence[tuple[int, Replica]]) -> list[Pair]:
    """Every pair of the (user id, replica) list, in its order: one comparison per pair of people."""
    return [(u, v, pair_agreement(a, b)) for (u, a), (v, b) in combinations(replicas, 2)]


def pair_table(items: Mapping[int, Sequence[Sequence[Any]]]) -> tuple[dict[int, float], dict[int, tuple[float, int]]]:
    """From each item's pairs (by item id): the item's agreement (the mean over its pairs), and per person
    their mean agreement with the others over the items they share and how many those are (per item, the mean
    of their pairs there), as :func:`~labelhub.domain.agreement.agreement_table` computes them."""
    scores: dict[int, float] = {}
    sums: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for key, pairs in items.items():
        if not pairs:
            continue
        scores[key] = sum(float(p[2]) for p in pairs) / len(pairs)
        mine: dict[int, list[float]] = defaultdict(list)
        for u, v, score in pairs:
            mine[int(u)].append(float(score))
            mine[int(v)].append(float(score))
        for user, values in mine.items():
            sums[user] += sum(values) / len(values)
            counts[user] += 1
    return scores, {u: (sums[u] / counts[u], counts[u]) for u in counts}
