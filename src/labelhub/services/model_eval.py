"""The validation report of a model version: the model against the project's accepted human labels.

- Whole-item labels (classes): the classification report (:func:`labelhub.assist.report.classification_report`)
  on the labels the version did not train on (all of them, flagged, when none was left out).
- Boxes: mAP and per-class AP against the accepted human boxes
  (:func:`labelhub.assist.report_detection.detection_report`), averaged over the classes the model proposes.
  A detector is judged on its boxes only: its top box's label is no whole-item class prediction.
- Masks (``volume_segmenter``): per class Dice and IoU on the volumes' labelled slices, per volume, mean ± std and
  pooled (:mod:`labelhub.services._volume_eval`), leaving out the volumes the version trained on.
- The share of the version's proposals accepted unchanged (:mod:`labelhub.services.proposal_review`).

The report is stored in the version's ``metrics.report``; the ``evaluate_model`` job runs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select

from labelhub.assist.predictors import Predictor, load_predictor
from labelhub.assist.report import classification_report, detection_report
from labelhub.domain.enums import AnnotationState, Source
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.models import (
    Report,
    get_version,
    item_inputs,
    model_ref,
    quiet,
    select_training_data,
    unusable_reason,
)
from labelhub.services.proposal_review import accepted_unchanged
from labelhub.storage.models import Annotation, ModelVersion

__all__ = ["evaluate_version", "run_evaluate_model"]

# Model kinds that predict whole-item classes only, and those that predict boxes only.
_CLASSIFIERS = frozenset({"text_classifier", "image_classifier"})
_DETECTORS = frozenset({"onnx_detector"})
_SEGMENTER = "volume_segmenter"  # judged on masks: labelhub.services._volume_eval


def _predict_all(predictor: Predictor, inputs: list[Any], progress: Report) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for start in range(0, len(inputs), 256):
        for p in predictor.predict(inputs[start : start + 256]):
            out[p.item_id] = p
        progress(0.1 + 0.8 * min(1.0, (start + 256) / max(1, len(inputs))), f"predicted {len(out)} items")
    return out


def evaluate_version(
    hub: Hub, actor: Actor, project_id: int, model_id: int, *, progress: Report = quiet
) -> dict[str, Any]:
    """Compute the validation report of a version, store it in ``metrics.report`` and return it."""
    with hub.db.session() as s:
        mv = get_version(s, actor, project_id, model_id, Action.TRAIN_MODEL, doing="evaluating a model version")
        reason = unusable_reason(mv)  # pruned (or failed) after the job was queued
        if reason is not None:
            raise ConflictError(reason, field="status")
        ref, trained, metrics = model_ref(hub, mv), dict(mv.data or {}), dict(mv.metrics or {})
        item_kind = require(s, actor, project_id, Action.READ).item_kind
    if ref.kind == _SEGMENTER:
        from labelhub.services._volume_eval import volume_report  # MONAI's side of the assist engine

        report = volume_report(hub, project_id, ref, trained, metrics, progress)
        return _store(hub, actor, project_id, model_id, ref.tag, report, None, progress)
    with hub.db.session() as s:
        data = select_training_data(s, hub, project_id, item_kind)
        boxes = _human_boxes(s, project_id) if ref.kind not in _CLASSIFIERS else {}
    fit = set(trained.get("annotation_ids") or []) - set(trained.get("held_out_ids") or [])
    rows = [] if ref.kind in _DETECTORS else [i for i, aid in enumerate(data.annotation_ids) if aid not in fit]
    on_training = not rows and ref.kind not in _DETECTORS
    if on_training:
        rows = list(range(len(data.labels)))
    if not rows and not boxes:
        what = "accepted human boxes" if ref.kind in _DETECTORS else "accepted human labels"
        raise ValidationError(
            f"nothing to evaluate {mv.name}@{mv.version} against: the project has no {what} yet; label some items "
            "(or accept the model's proposals after checking them) and evaluate again",
            field="model_id",
        )
    predictor = load_predictor(ref)
    progress(0.05, "model loaded")
    with hub.db.session() as s:
        proposal_items = [
            r[0]
            for r in s.execute(
                select(Annotation.item_id)
                .where(Annotation.project_id == project_id, Annotation.model_version == ref.tag)
                .distinct()
            )
        ]
        wanted = list(dict.fromkeys([data.item_ids[i] for i in rows] + proposal_items + list(boxes)))
        inputs = item_inputs(s, hub, project_id, wanted)
    predictions = _predict_all(predictor, inputs, progress)
    classes = list(predictor.classes)
    truth, probs = [], []
    for i in rows:
        p = predictions.get(data.item_ids[i])
        if p is None or p.error is not None:
            continue
        truth.append(data.labels[i])
        probs.append(p.probs if p.probs is not None else _one_hot(p, classes))
    report = classification_report(truth, np.asarray(probs).reshape(len(truth), len(classes)), classes)
    report |= {"kind": ref.kind, "on_training_data": on_training}
    if boxes:
        found = [
            [(q.label, tuple(q.geometry.get("bbox", (0, 0, 0, 0))), q.score) for q in predictions[i].proposals
             if q.kind == "box"] if i in predictions else []
            for i in boxes
        ]  # fmt: skip
        report |= detection_report(list(boxes.values()), found, classes or None)
    labels = {iid: p.proposals[0].label for iid, p in predictions.items() if p.proposals and p.probs is not None}
    return _store(hub, actor, project_id, model_id, ref.tag, report, labels or None, progress)


def _store(hub: Hub, actor: Actor, project_id: int, model_id: int, tag: str, report: dict[str, Any],
           labels: dict[int, str] | None, progress: Report) -> dict[str, Any]:  # fmt: skip
    """Add the share of the proposals accepted unchanged, store the report on the version and return it."""
    with hub.db.session(write=True) as s:
        report["accepted_unchanged"] = accepted_unchanged(s, project_id, tag, labels)
        row = s.get(ModelVersion, model_id)
        if row is not None:
            row.metrics = {**(row.metrics or {}), "report": report}
        audit.record(s, actor, "model.evaluate", "model_version", model_id, project_id=project_id)
    progress(1.0, "report ready")
    return report


def _one_hot(p: Any, classes: list[str]) -> np.ndarray:
    out = np.zeros(len(classes))
    for q in p.proposals[:1]:
        if q.label in classes:
            out[classes.index(q.label)] = 1.0
    return out


def _human_boxes(s: Any, project_id: int) -> dict[int, list[Any]]:
    stmt = select(Annotation.item_id, Annotation.label, Annotation.geometry).where(
        Annotation.project_id == project_id,
        Annotation.kind == "box",
        Annotation.source == Source.HUMAN.value,
        Annotation.state == AnnotationState.ACCEPTED.value,
    )
    out: dict[int, list[Any]] = {}
    for item_id, label, geometry in s.execute(stmt):
        bbox = (geometry or {}).get("bbox")
        if label and bbox and len(bbox) == 4:
            out.setdefault(item_id, []).append((label, tuple(float(v) for v in bbox)))
    return out


def run_evaluate_model(ctx: JobContext) -> dict[str, Any]:
    """The ``evaluate_model`` job: the validation report of ``params.model_id``."""
    if ctx.project_id is None:
        raise ValueError("an evaluation job needs a project")
    return evaluate_version(ctx.hub, ctx.actor, ctx.project_id, int(ctx.params["model_id"]), progress=ctx.progress)
