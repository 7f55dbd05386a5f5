"""Detection part of the validation report: mAP and per-class AP of predicted boxes against accepted human boxes.

The figures are pycocotools' ``COCOeval`` (boxes converted from the hub's absolute ``x1, y1, x2, y2`` to COCO's
``x, y, w, h`` here, at that library's boundary). When the model's classes are given, the mean is taken over
the classes the model can propose that have a human box: a two-class detector on an 80-class project is judged
on its two classes, and the human boxes of the other classes are counted apart (``not_scored``) instead of
adding 78 APs of zero it could never raise.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelhub.errors import ValidationError

__all__ = ["Box", "Detection", "detection_map", "detection_report"]

Box = tuple[str, tuple[float, float, float, float]]
"""A labelled box in hub coordinates: (label, (x1, y1, x2, y2)) in absolute pixels."""

Detection = tuple[str, tuple[float, float, float, float], float]
"""A predicted box: (label, (x1, y1, x2, y2), score)."""

# How many class names the report lists for the human boxes the model cannot propose.
_LISTED = 20


def _ap(precision: np.ndarray) -> float | None:
    """COCO's average precision from a slice of ``COCOeval.eval["precision"]`` (-1 marks no ground truth)."""
    kept = precision[precision > -1]
    return float(kept.mean()) if kept.size else None


def detection_report(
    truth: Sequence[Sequence[Box]], predicted: Sequence[Sequence[Detection]], classes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Return mAP@0.5, mAP@0.5:0.95 and per-class AP of ``predicted`` against ``truth``, one list per image.

    ``classes``: the labels the model can propose (None: every label seen). The result has ``map50``,
    ``map50_95`` (0 when nothing can be measured) and ``detection``: the images, the human and predicted boxes
    counted, the classes averaged over, ``per_class`` rows (``ap50``, ``ap50_95``, ``true_boxes``,
    ``predicted_boxes``), and ``not_scored`` (human boxes of classes the model cannot propose).
    """
    if len(truth) != len(predicted):
        raise ValidationError(f"{len(predicted)} predictions for {len(truth)} images", field="predicted")
    true_counts = Counter(lab for boxes in truth for lab, _ in boxes)
    pred_counts = Counter(lab for dets in predicted for lab, _, _ in dets)
    proposable = set(classes) if classes is not None else set(true_counts) | set(pred_counts)
    scored = sorted(c for c in true_counts if c in proposable)
    other = {c: n for c, n in true_counts.items() if c not in proposable}
    detection: dict[str, Any] = {
        "images": len(truth),
        "true_boxes": sum(true_counts[c] for c in scored),
        "predicted_boxes": sum(pred_counts[c] for c in scored),
        "classes": scored,
        "per_class": [],
        "not_scored": {
            "classes": len(other),
            "true_boxes": sum(other.values()),
            "examples": sorted(other, key=lambda c: (-other[c], c))[:_LISTED],
        },
    }
    out: dict[str, Any] = {"map50": 0.0, "map50_95": 0.0, "detection": detection}
    if not scored:
        return out
    ap = _coco_ap(truth, predicted, scored)
    detection["per_class"] = [
        {"label": c, "ap50": ap[c][0], "ap50_95": ap[c][1], "true_boxes": true_counts[c],
         "predicted_boxes": pred_counts[c]}
        for c in scored
    ]  # fmt: skip
    out["map50"] = max(0.0, float(np.mean([ap[c][0] for c in scored])))
    out["map50_95"] = max(0.0, float(np.mean([ap[c][1] for c in scored])))
    return out


def _coco_ap(
    truth: Sequence[Sequence[Box]], predicted: Sequence[Sequence[Detection]], scored: list[str]
) -> dict[str, tuple[float, float]]:
    """(AP@0.5, AP@0.5:0.95) of each ``scored`` class, by COCOeval at up to 100 detections per image."""
    from pycocotools.coco import COCO  # type: ignore[import-untyped]
    from pycocotools.cocoeval import COCOeval  # type: ignore[import-untyped]

    cat = {n: i + 1 for i, n in enumerate(scored)}
    gts: list[dict[str, Any]] = []
    dts: list[dict[str, Any]] = []
    for i, boxes in enumerate(truth):
        for lab, b in boxes:
            if lab in cat:
                w, h = b[2] - b[0], b[3] - b[1]
                gts.append({"id": len(gts) + 1, "image_id": i + 1, "category_id": cat[lab], "bbox": [b[0], b[1], w, h],
                            "area": w * h, "iscrowd": 0})  # fmt: skip
    for i, dets in enumerate(predicted):
        for lab, b, score in dets:
            if lab in cat:
                dts.append({"image_id": i + 1, "category_id": cat[lab], "score": float(score),
                            "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]})  # fmt: skip
    if not dts:
        return dict.fromkeys(scored, (0.0, 0.0))
    coco = COCO()
    coco.dataset = {"images": [{"id": i + 1} for i in range(len(truth))], "annotations": gts,
                    "categories": [{"id": v, "name": k} for k, v in cat.items()]}  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(dts), "bbox")
        ev.evaluate()
        ev.accumulate()
    # precision: [IoU thresholds, recall points, classes, area ranges, max detections]; area "all", 100 detections.
    precision = ev.eval["precision"][:, :, :, 0, -1]
    out: dict[str, tuple[float, float]] = {}
    for k, c in enumerate(scored):
        ap50, ap = _ap(precision[0, :, k]), _ap(precision[:, :, k])
        out[c] = (0.0 if ap50 is None else ap50, 0.0 if ap is None else ap)
    return out


def detection_map(truth: Sequence[Sequence[Box]], predicted: Sequence[Sequence[Detection]]) -> dict[str, float]:
    """Return ``{"map50", "map50_95"}`` averaged over every class that has a human box, as COCO does."""
    report = detection_report(truth, predicted)
    return {"map50": report["map50"], "map50_95": report["map50_95"]}
