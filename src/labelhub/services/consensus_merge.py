"""Merging the replicas of an item under consensus into one set of labels (pure: no database).

What the merge keeps, for ``k`` merged replicas (the people who submitted):

- class tags: a label is kept when more than half of the people gave it. A tie (exactly half, or no label with a
  majority while the top count is shared, as 1-1-1 among three) keeps no label and is flagged for the reviewer.
- boxes and polygons: shapes of the same kind and label are clustered (IoU >= 0.5, at most one shape per person;
  hand-written greedy clustering: each replica in turn is matched one-to-one to the clusters so far by SciPy's
  ``linear_sum_assignment`` against each cluster's first shape). A cluster is kept when at least ``ceil(k/2)``
  people drew it. Boxes are fused with weighted boxes fusion (the ``ensemble-boxes`` package, every person with
  the same weight, so the fused box is the mean of the cluster's boxes); a polygon cluster keeps its medoid (the
  polygon with the highest total IoU with the others).
- spans: per label, a character is kept when at least ``ceil(k/2)`` people covered it; runs of kept characters
  become spans.

Every merged annotation records its votes in ``attributes``: ``{"consensus_votes": 2, "consensus_of": 3}`` (for a
span, the fewest people behind any of its characters), next to the attribute values of the cluster's medoid (or the
most common values, for a class tag).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelhub.domain.agreement import SHAPE_KINDS, iou_matrix, matched_pairs
from labelhub.domain.enums import AnnotationKind

__all__ = ["MergeResult", "merge_replicas"]

Replica = Sequence[Mapping[str, Any]]


@dataclass(slots=True)
class MergeResult:
    """The merged labels (API input shape, without ids) and what the reviewer should look at (``flags``)."""

    annotations: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)


def _voted(attributes: Mapping[str, Any], votes: int, k: int) -> dict[str, Any]:
    return {**attributes, "consensus_votes": votes, "consensus_of": k}


def _merge_classes(replicas: Sequence[Replica], k: int, out: MergeResult) -> None:
    votes: Counter[str] = Counter()
    attrs: dict[str, list[str]] = defaultdict(list)
    for replica in replicas:
        seen: set[str] = set()
        for a in replica:
            label = a.get("label")
            if a.get("kind") == AnnotationKind.CLASS.value and label and label not in seen:
                seen.add(label)
                votes[label] += 1
                attrs[label].append(_key(a.get("attributes") or {}))
    kept = sorted(label for label, n in votes.items() if 2 * n > k)
    for label in kept:
        common = Counter(attrs[label]).most_common(1)[0][0]
        out.annotations.append({"kind": AnnotationKind.CLASS.value, "label": label, "geometry": {},
                                "attributes": _voted(_unkey(common), votes[label], k)})  # fmt: skip
    tied = sorted(label for label, n in votes.items() if 2 * n == k)
    if not kept and votes and not tied:
        top = max(votes.values())
        shared = sorted(label for label, n in votes.items() if n == top)
        tied = shared if len(shared) > 1 else []
    if tied:
        out.flags.append({"kind": "class_tie", "labels": tied, "votes": {t: votes[t] for t in tied}, "of": k})


def _key(attributes: Mapping[str, Any]) -> str:
    import json

    return json.dumps(attributes, sort_keys=True, default=str)


def _unkey(key: str) -> dict[str, Any]:
    import json

    value = json.loads(key)
    return value if isinstance(value, dict) else {}


def _clusters(kind: str, members: Sequence[Sequence[Mapping[str, Any]]]) -> list[list[Mapping[str, Any]]]:
    """Cluster one kind and label's shapes, ``members[r]`` being replica r's: one shape per replica per cluster."""
    clusters: list[list[Mapping[str, Any]]] = []
    for shapes in members:
        if not shapes:
            continue
        heads = [c[0]["geometry"] for c in clusters]
        pairs = matched_pairs(iou_matrix(kind, [s["geometry"] for s in shapes], heads))
        taken = set()
        for s, c in pairs:
            clusters[c].append(shapes[s])
            taken.add(s)
        clusters.extend([shape] for i, shape in enumerate(shapes) if i not in taken)
    return clusters


def _medoid(kind: str, cluster: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    if len(cluster) < 3:
        return cluster[0]
    ious = iou_matrix(kind, [m["geometry"] for m in cluster], [m["geometry"] for m in cluster])
    return cluster[int(np.argmax(ious.sum(axis=1)))]


def _fused_box(cluster: Sequence[Mapping[str, Any]], width: float, height: float) -> list[float]:
    """The cluster's boxes fused by weighted boxes fusion (every person weighs the same: score 1)."""
    from ensemble_boxes import weighted_boxes_fusion  # pandas and numba: loaded on the first merge of boxes

    scale = np.array([width, height, width, height], dtype=np.float64)
    boxes = [[np.clip(np.asarray(m["geometry"]["bbox"], dtype=np.float64) / scale, 0.0, 1.0).tolist()]
             for m in cluster]  # fmt: skip
    fused, scores, _ = weighted_boxes_fusion(boxes, [[1.0]] * len(cluster), [[0]] * len(cluster),
                                             iou_thr=0.0, skip_box_thr=0.0)  # fmt: skip
    best = fused[int(np.argmax(scores))] * scale
    return [round(float(v), 3) for v in best]


def _merge_shapes(replicas: Sequence[Replica], k: int, quorum: int, size: tuple[float, float],
                  out: MergeResult) -> None:  # fmt: skip
    by_key: dict[tuple[str, str], list[list[Mapping[str, Any]]]] = defaultdict(lambda: [[] for _ in replicas])
    for r, replica in enumerate(replicas):
        for a in replica:
            if a.get("kind") in SHAPE_KINDS:
                by_key[(str(a["kind"]), str(a.get("label")))][r].append(a)
    for (kind, label), members in sorted(by_key.items()):
        for cluster in _clusters(kind, members):
            if len(cluster) < quorum:
                continue
            medoid = _medoid(kind, cluster)
            geometry = dict(medoid["geometry"])
            if kind == AnnotationKind.BOX.value:
                geometry = {"bbox": _fused_box(cluster, *size)}
            out.annotations.append({"kind": kind, "label": label, "geometry": geometry,
                                    "attributes": _voted(medoid.get("attributes") or {}, len(cluster), k)})  # fmt: skip


def _merge_spans(replicas: Sequence[Replica], k: int, quorum: int, out: MergeResult) -> None:
    coverage: dict[str, Counter[int]] = defaultdict(Counter)
    for replica in replicas:
        chars: dict[str, set[int]] = defaultdict(set)
        for a in replica:
            if a.get("kind") == AnnotationKind.SPAN.value:
                g = a["geometry"]
                chars[str(a.get("label"))].update(range(int(g["start"]), int(g["end"])))
        for label, cs in chars.items():
            coverage[label].update(cs)
    for label in sorted(coverage):
        kept = sorted(c for c, n in coverage[label].items() if n >= quorum)
        start = prev = None
        for c in [*kept, None]:
            if start is not None and prev is not None and (c is None or c != prev + 1):
                votes = min(coverage[label][i] for i in range(start, prev + 1))
                out.annotations.append({"kind": AnnotationKind.SPAN.value, "label": label,
                                        "geometry": {"start": start, "end": prev + 1},
                                        "attributes": _voted({}, votes, k)})  # fmt: skip
                start = None
            if c is not None and start is None:
                start = c
            prev = c


def merge_replicas(
    replicas: Sequence[Replica], *, width: float | None = None, height: float | None = None
) -> MergeResult:
    """Return the merged labels of ``replicas`` (each one person's annotations of the same item), by the rules in
    this module's docstring. ``width`` and ``height`` are the image's size (for box fusion; None: the boxes' extent).
    """
    k = len(replicas)
    quorum = math.ceil(k / 2)
    out = MergeResult()
    _merge_classes(replicas, k, out)
    if width is None or height is None:
        boxes = [a["geometry"]["bbox"] for r in replicas for a in r if a.get("kind") == AnnotationKind.BOX.value]
        width = max([b[2] for b in boxes], default=1.0) or 1.0
        height = max([b[3] for b in boxes], default=1.0) or 1.0
    _merge_shapes(replicas, k, quorum, (float(width), float(height)), out)
    _merge_spans(replicas, k, quorum, out)
    return out
