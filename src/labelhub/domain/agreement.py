"""How much independent labellers of the same item agree: per pair, per item, per annotator, per project.

A *replica* is one person's labels of one item: a list of annotation dicts in the API's input shape (``kind``,
``label``, ``geometry``, ``attributes``; boxes as absolute pixel ``{"bbox": [x1, y1, x2, y2]}``, polygons as
``{"points": [x, y, x, y, ...]}``, text spans as ``{"start": s, "end": e}`` character offsets, ``[s, e)``).
Only class tags, boxes, polygons and spans take part (see :data:`CONSENSUS_KINDS`).

Pairwise agreement of two replicas is the mean over the parts either of them has:

- class tags: the Jaccard index of the two label sets;
- shapes (boxes and polygons): the F1 of a one-to-one matching (SciPy's ``linear_sum_assignment`` on IoU) of
  shapes of the same kind and label with IoU >= :data:`IOU_MATCH`;
- spans: the character-level F1, label by label (micro-averaged over labels).

Two replicas that both hold nothing agree fully (1.0). Everything here is pure: no I/O, no database.
The project-level figure is Krippendorff's alpha (nominal) over the class labels, from the ``krippendorff``
package.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from labelhub.domain.enums import AnnotationKind

__all__ = [
    "CONSENSUS_KINDS",
    "IOU_MATCH",
    "SHAPE_KINDS",
    "agreement_table",
    "annotator_agreement",
    "box_iou",
    "box_ious",
    "class_alpha",
    "iou_matrix",
    "item_agreement",
    "matched_pairs",
    "pair_agreement",
    "pairwise_matrix",
]

Replica = Sequence[Mapping[str, Any]]

IOU_MATCH = 0.5  # two shapes of the same label are "the same object" from this IoU on
SHAPE_KINDS = (AnnotationKind.BOX.value, AnnotationKind.POLYGON.value)
CONSENSUS_KINDS = frozenset({AnnotationKind.CLASS, AnnotationKind.BOX, AnnotationKind.POLYGON, AnnotationKind.SPAN})


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the intersection over union of two ``[x1, y1, x2, y2]`` boxes (0.0 when either is empty)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _polygon_ious(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
    """IoU matrix of flat ``[x, y, ...]`` polygons, rasterised by pycocotools on a canvas that holds them all."""
    from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

    top = max(max(p) for p in [*a, *b])
    size = math.ceil(top) + 2
    ra = [mask_utils.merge(mask_utils.frPyObjects([list(map(float, p))], size, size)) for p in a]
    rb = [mask_utils.merge(mask_utils.frPyObjects([list(map(float, p))], size, size)) for p in b]
    return np.asarray(mask_utils.iou(ra, rb, [0] * len(rb)), dtype=np.float64).reshape(len(a), len(b))


def iou_matrix(kind: str, a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
    """Return the IoU of every geometry in ``a`` with every one in ``b`` (both boxes, or both polygons)."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    if kind == AnnotationKind.POLYGON.value:
        return _polygon_ious([g["points"] for g in a], [g["points"] for g in b])
    return box_ious(np.asarray([x["bbox"] for x in a], dtype=np.float64).reshape(-1, 4),
                    np.asarray([y["bbox"] for y in b], dtype=np.float64).reshape(-1, 4))  # fmt: skip


def box_ious(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Every IoU of the ``[x1, y1, x2, y2]`` rows of ``a`` with those of ``b`` at once (as :func:`box_iou`)."""
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    out: npt.NDArray[np.float64] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return out


def matched_pairs(ious: npt.NDArray[np.float64], threshold: float = IOU_MATCH) -> list[tuple[int, int]]:
    """Return the one-to-one (row, column) matching of highest total IoU, keeping pairs with IoU >= threshold."""
    if ious.size == 0:
        return []
    rows, cols = linear_sum_assignment(ious, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if ious[r, c] >= threshold]


def _shapes(replica: Replica) -> dict[tuple[str, str | None], list[Mapping[str, Any]]]:
    out: dict[tuple[str, str | None], list[Mapping[str, Any]]] = defaultdict(list)
    for a in replica:
        if a.get("kind") in SHAPE_KINDS:
            out[(str(a["kind"]), a.get("label"))].append(a["geometry"])
    return out


def _shape_f1(a: Replica, b: Replica) -> float | None:
    sa, sb = _shapes(a), _shapes(b)
    total = sum(map(len, sa.values())) + sum(map(len, sb.values()))
    if total == 0:
        return None
    matched = 0
    for key in sa.keys() & sb.keys():
        matched += len(matched_pairs(iou_matrix(key[0], sa[key], sb[key])))
    return 2 * matched / total


def _classes(replica: Replica) -> set[str]:
    return {str(a.get("label")) for a in replica if a.get("kind") == AnnotationKind.CLASS.value and a.get("label")}


def _class_jaccard(a: Replica, b: Replica) -> float | None:
    ca, cb = _classes(a), _classes(b)
    if not ca and not cb:
        return None
    return len(ca & cb) / len(ca | cb)


def _chars(replica: Replica) -> dict[str | None, set[int]]:
    out: dict[str | None, set[int]] = defaultdict(set)
    for a in replica:
        if a.get("kind") == AnnotationKind.SPAN.value:
            g = a["geometry"]
            out[a.get("label")].update(range(int(g["start"]), int(g["end"])))
    return out


def _span_f1(a: Replica, b: Replica) -> float | None:
    ca, cb = _chars(a), _chars(b)
    total = sum(map(len, ca.values())) + sum(map(len, cb.values()))
    if total == 0:
        return None
    common = sum(len(ca[label] & cb[label]) for label in ca.keys() & cb.keys())
    return 2 * common / total


def pair_agreement(a: Replica, b: Replica) -> float:
    """Return how much two replicas of one item agree, 0..1: the mean of the class-tag Jaccard, the shape F1 and
    the span character F1, over the parts either replica has (1.0 when both are empty)."""
    parts = [p for p in (_class_jaccard(a, b), _shape_f1(a, b), _span_f1(a, b)) if p is not None]
    return float(sum(parts) / len(parts)) if parts else 1.0


def pairwise_matrix(replicas: Sequence[Replica]) -> list[list[float]]:
    """Return the symmetric matrix of :func:`pair_agreement` between replicas (1.0 on the diagonal)."""
    n = len(replicas)
    m = [[1.0] * n for _ in range(n)]
    for i, j in combinations(range(n), 2):
        m[i][j] = m[j][i] = round(pair_agreement(replicas[i], replicas[j]), 6)
    return m


def item_agreement(replicas: Sequence[Replica]) -> float | None:
    """Return an item's agreement: the mean pairwise agreement of its replicas (None with fewer than two)."""
    if len(replicas) < 2:
        return None
    scores = [pair_agreement(a, b) for a, b in combinations(replicas, 2)]
    return float(sum(scores) / len(scores))


def annotator_agreement(items: Iterable[Mapping[int, Replica]]) -> dict[int, tuple[float, int]]:
    """Return, per annotator (user id), their mean agreement with the others on the items they share, and how
    many such items there are. ``items`` holds, per item, each annotator's replica."""
    return agreement_table(dict(enumerate(items)))[1]


def agreement_table(
    items: Mapping[int, Mapping[int, Replica]],
) -> tuple[dict[int, float], dict[int, tuple[float, int]]]:
    """Both :func:`item_agreement` of every item (by its key) with two replicas or more, and
    :func:`annotator_agreement` over them, from one :func:`pair_agreement` per pair of people per item."""
    scores: dict[int, float] = {}
    sums: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for key, by_user in items.items():
        users = list(by_user)
        if len(users) < 2:
            continue
        pairs = {(i, j): pair_agreement(by_user[users[i]], by_user[users[j]])
                 for i, j in combinations(range(len(users)), 2)}  # fmt: skip
        scores[key] = sum(pairs.values()) / len(pairs)
        for n, user in enumerate(users):
            mine = [v for (i, j), v in pairs.items() if n in (i, j)]
            sums[user] += sum(mine) / len(mine)
            counts[user] += 1
    return scores, {u: (sums[u] / counts[u], counts[u]) for u in counts}


def class_alpha(items: Iterable[Mapping[int, Replica]]) -> float | None:
    """Return Krippendorff's alpha (nominal) of the class tags, None when it is not defined.

    Units are items, coders are annotators, and a replica's value is its set of class tags taken as one nominal
    value (for single-label classification, simply the label); a replica without class tags is a missing value.
    Alpha is undefined (None) when fewer than two values are paired in any item, or when every value is the same
    (there is no variation to agree on).
    """
    import krippendorff

    rows: dict[int, dict[int, str]] = defaultdict(dict)
    units = 0
    for unit, by_user in enumerate(items):
        units = unit + 1
        for user, replica in by_user.items():
            labels = _classes(replica)
            if labels:
                rows[user][unit] = "|".join(sorted(labels))
    values = sorted({v for r in rows.values() for v in r.values()})
    if len(values) < 2 or units == 0:
        return None
    code = {v: float(i) for i, v in enumerate(values)}
    data = np.full((len(rows), units), np.nan)
    for r, by_unit in enumerate(rows.values()):
        for unit, value in by_unit.items():
            data[r, unit] = code[value]
    if not any(np.count_nonzero(~np.isnan(data[:, u])) >= 2 for u in range(units)):
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
