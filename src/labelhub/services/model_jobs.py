"""The bodies of the ``train_model`` and ``evaluate_model`` jobs (and of ``labelhub model train --wait``).

Training registers the version first (status ``training``, so the UI shows it at once), trains outside any
transaction, saves the files, then records data, metrics and artifacts and marks it ``ready``; the first
ready version of a project becomes its active one, and so does a newer version of the active line (a
retraining). Any failure marks the version ``failed`` with the error; a cancelled training removes its
version. Once the new version is committed, the project's ``keep_versions`` setting is applied
(:mod:`labelhub.services.model_retention`): older versions' files are removed; a failure there is logged and
does not fail the training.

Metrics come from the held-out slice (the labels the temperature was fitted on, which the head never saw):
accuracy, NLL, ECE, the temperature and per-class precision, recall and F1. With under 20 held-out labels
there is no slice, and the figures are those on the training labels (``metrics.evaluated_on`` says which).

The evaluation (:func:`evaluate_version`) compares the version with the accepted human labels it did not
train on (the held-out slice and every label given since); when there are none, with all of them
(``on_training_data: true``). It also counts the share of the version's proposals accepted unchanged
(:func:`labelhub.services.proposal_review.accepted_unchanged`).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from labelhub.assist import TextFeaturizer, TrainConfig, TrainMode, nll, train_text_classifier
from labelhub.assist.image import EmbedderBackbone, held_out_rows, resolve_backbone, train_image_classifier
from labelhub.assist.persist import Classifier, save_classifier
from labelhub.assist.predictors import Predictor, load_predictor
from labelhub.assist.report import classification_report, detection_map
from labelhub.assist.text import TextClassifier
from labelhub.assist.train import threads
from labelhub.domain.enums import AnnotationState, Source
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, JobCancelled, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.model_retention import PruneResult, human_size, prune_versions
from labelhub.services.models import (
    MIN_LABELS,
    Report,
    TrainingData,
    TrainSpec,
    count_human_labels,
    get_version,
    item_inputs,
    model_ref,
    models_dir,
    next_version,
    record_training,
    select_training_data,
    unusable_reason,
)
from labelhub.services.proposal_review import accepted_unchanged
from labelhub.storage.models import Annotation, ModelVersion, ProjectAssist

__all__ = ["evaluate_version", "run_evaluate_model", "run_train_model", "train_version"]


TRAIN_THREADS = 1  # see labelhub.assist.train.threads: reproducible, and kind to a busy 2-core machine
log = logging.getLogger("labelhub.models")


def _quiet(fraction: float, message: str) -> None:
    return None


def train_version(
    hub: Hub, actor: Actor, project_id: int, spec: TrainSpec, *, job_id: int | None = None, progress: Report = _quiet
) -> int:
    """Train, save and register a model version from the project's labels; return its id."""
    with hub.db.session(write=True) as s:
        project = require(s, actor, project_id, Action.TRAIN_MODEL, doing="training a model")
        item_kind = project.item_kind
        mv = ModelVersion(
            project_id=project_id,
            name=spec.line,
            kind=spec.kind,
            version=next_version(s, project_id, spec.line),
            status="training",
            active=False,
            mode=spec.mode,
            seed=spec.seed,
            params=spec.to_params(),
            job_id=job_id,
            created_by=actor.user_id,
        )
        s.add(mv)
        s.flush()
        mv_id, version = mv.id, mv.version
    rel = Path(f"project-{project_id}") / f"{spec.line}-v{version}-{mv_id}"
    try:
        with hub.db.session() as s:
            data = select_training_data(s, hub, project_id, item_kind)
            labels_now = count_human_labels(s, project_id)
        progress(0.02, f"{len(data.labels)} labels of {len(set(data.labels))} classes")
        ssl = _ssl_encoder(hub, project_id) if not data.texts else None
        with threads(TRAIN_THREADS):
            clf = _train(data, spec, lambda f, m: progress(0.02 + 0.88 * f, m), ssl)
        progress(0.92, "saving")
        files = save_classifier(clf, models_dir(hub) / rel)
        artifacts: dict[str, Any] = {"folder": rel.as_posix(), **{k: (rel / v).as_posix() for k, v in files.items()}}
        metrics = _metrics(clf, data, spec)
    except BaseException as exc:
        shutil.rmtree(models_dir(hub) / rel, ignore_errors=True)
        with hub.db.session(write=True) as s:
            row = s.get(ModelVersion, mv_id)
            if row is not None and isinstance(exc, JobCancelled):
                s.delete(row)  # a cancelled training leaves nothing behind, as its job says
            elif row is not None:  # a failed one stays, saying why it has no model
                row.status = "failed"
                row.metrics = {"error": getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"}
        raise
    with hub.db.session(write=True) as s:
        row = s.get(ModelVersion, mv_id)
        if row is None:  # the project was deleted while training: the files go too
            shutil.rmtree(models_dir(hub) / rel, ignore_errors=True)
            return mv_id
        row.status, row.metrics, row.artifacts = "ready", metrics, artifacts
        row.data = {**data.summary(), "held_out_ids": [data.annotation_ids[i] for i in _held(data, spec)]}
        # The new version takes over when asked to (``spec.activate``), or by default when nothing is active or
        # the active model is an older version of the same line (a retraining): pre-labelling and the queue then
        # follow the newest labels. A model of another line that a person made active stays active, and a
        # training asked not to activate (to try a variant beside the live model) never does.
        current = s.scalars(
            select(ModelVersion).where(ModelVersion.project_id == project_id, ModelVersion.active.is_(True))
        ).all()
        if spec.activate or (spec.activate is None and all(mv.name == row.name for mv in current)):
            for mv in current:
                mv.active = False
            row.active = True
        record_training(s, project_id, labels_now)
        audit.record(
            s,
            actor,
            "model.train",
            "model_version",
            mv_id,
            project_id=project_id,
            detail={"name": spec.line, "version": version, "labels": len(data.labels)},
        )
    pruned = _prune_after_training(hub, actor, project_id)
    progress(1.0, f"{spec.line} v{version} ready" + _pruned_note(pruned))
    return mv_id


def _prune_after_training(hub: Hub, actor: Actor, project_id: int) -> PruneResult | None:
    """Apply the retention setting after a new version is committed; None when that failed (logged)."""
    try:
        return prune_versions(hub, actor, project_id)
    except Exception:  # the version is trained and committed: a failed clean-up must not fail the job
        log.exception("removing old model versions' files of project %s failed", project_id)
        return None


def _pruned_note(result: PruneResult | None) -> str:
    if result is None or not result.pruned:
        return ""
    n = len(result.pruned)
    return f"; removed the files of {n} old version{'s' if n != 1 else ''} ({human_size(result.bytes_freed)})"


def _held(data: TrainingData, spec: TrainSpec) -> np.ndarray:
    return held_out_rows(len(data.labels), spec.held_out, spec.seed)[1]


def _ssl_encoder(hub: Hub, project_id: int) -> dict[str, str] | None:
    """Return the settings of the project's trained self-supervised encoder, when one was trained and is on disk.

    The embedder training job records it in the assist settings (``settings["embedders"]["ssl"]["path"]``,
    relative to HOME); read here by that documented shape rather than through the search services.
    """
    with hub.db.session() as s:
        settings = s.scalar(select(ProjectAssist.settings).where(ProjectAssist.project_id == project_id))
    record = ((settings or {}).get("embedders") or {}).get("ssl")
    path = record.get("path") if isinstance(record, dict) else None
    if not isinstance(path, str) or not (hub.settings.home / path / "encoder.json").is_file():
        return None
    return {"path": str(hub.settings.home / path)}


def _train(data: TrainingData, spec: TrainSpec, progress: Report, ssl: dict[str, str] | None = None) -> Classifier:
    n_classes = len(set(data.labels))
    if len(data.labels) < MIN_LABELS or n_classes < 2:
        raise ValidationError(
            f"training a classifier needs at least {MIN_LABELS} items with an accepted class label (a whole-item"
            f" tag or class, not a box or span), of two classes or more; the project has {len(data.labels)} such"
            f" label(s) of {n_classes} class(es)",
            field="labels",
        )
    cfg = TrainConfig(mode=TrainMode(spec.mode), seed=spec.seed)
    if spec.epochs:
        cfg = dataclasses.replace(cfg, epochs=spec.epochs)
    if spec.min_steps is not None:
        cfg = dataclasses.replace(cfg, min_steps=spec.min_steps)
    if data.texts:
        feats = TextFeaturizer(dim=spec.features, seed=spec.seed) if spec.features else None
        if feats is not None:
            feats.fit(data.texts)
        return train_text_classifier(
            data.texts, data.labels, config=cfg, featurizer=feats, held_out=spec.held_out, progress=progress
        )
    backbone: EmbedderBackbone | None = resolve_backbone(spec.open_clip, ssl)
    return train_image_classifier(
        data.paths, data.labels, backbone=backbone, config=cfg, held_out=spec.held_out, progress=progress
    )


def _proba(clf: Classifier, data: TrainingData, rows: np.ndarray) -> np.ndarray:
    if isinstance(clf, TextClassifier):
        return clf.predict_proba([data.texts[i] for i in rows])
    return clf.predict_proba([data.paths[i] for i in rows])


def _metrics(clf: Classifier, data: TrainingData, spec: TrainSpec) -> dict[str, Any]:
    rows = _held(data, spec)
    where = "held-out labels"
    if not len(rows):
        rows, where = np.arange(len(data.labels)), "training labels"
    probs = _proba(clf, data, rows)
    truth = [data.labels[i] for i in rows]
    rep = classification_report(truth, probs, clf.classes)
    index = {c: i for i, c in enumerate(clf.classes)}
    h = clf.held_out
    held = None
    if where == "held-out labels":  # the bands are suggested from these: never from the training labels
        best = probs.argmax(axis=1)
        held = {
            "scores": [float(probs[i, b]) for i, b in enumerate(best)],
            "correct": [clf.classes[b] == t for b, t in zip(best, truth, strict=True)],
        }
    backbone = None if isinstance(clf, TextClassifier) else clf.backbone.name
    return {
        "held_out": held,
        "backbone": backbone,
        "evaluated_on": where,
        "n": len(rows),
        "accuracy": rep["accuracy"],
        "ece": rep["ece"],
        "nll": nll(probs, [index[t] for t in truth]),
        "temperature": clf.model.temperature,
        "nll_before_temperature": h.nll_before if h else None,
        "per_class": rep["per_class"],
        "classes": list(clf.classes),
        "steps": clf.model.history.steps,
    }


def run_train_model(ctx: JobContext) -> dict[str, Any]:
    """The ``train_model`` job: train the version described by the job's params."""
    if ctx.project_id is None:
        raise ValueError("a training job needs a project")
    mv_id = train_version(
        ctx.hub, ctx.actor, ctx.project_id, TrainSpec.from_params(ctx.params), job_id=ctx.job_id, progress=ctx.progress
    )
    with ctx.hub.db.session() as s:
        mv = s.get(ModelVersion, mv_id)
        out = {"model_id": mv_id, "version": mv.version if mv else None, "metrics": dict(mv.metrics) if mv else {}}
    if ctx.params.get("prelabel") and mv is not None:
        out["prelabel_job"] = queue_prelabel_after(ctx.hub, ctx.actor, ctx.project_id, mv_id)
    return out


def queue_prelabel_after(hub: Hub, actor: Actor, project_id: int, model_id: int) -> int:
    """Queue the pre-labelling of the items without an accepted label with a new version; return the job id."""
    from labelhub.services.prelabel import start_prelabel

    with hub.db.session(write=True) as s:
        return start_prelabel(s, actor, project_id, model_id=model_id).id


def _predict_all(predictor: Predictor, inputs: list[Any], progress: Report) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for start in range(0, len(inputs), 256):
        for p in predictor.predict(inputs[start : start + 256]):
            out[p.item_id] = p
        progress(0.1 + 0.8 * min(1.0, (start + 256) / max(1, len(inputs))), f"predicted {len(out)} items")
    return out


def evaluate_version(
    hub: Hub, actor: Actor, project_id: int, model_id: int, *, progress: Report = _quiet
) -> dict[str, Any]:
    """Compute the validation report of a version, store it in ``metrics.report`` and return it."""
    with hub.db.session() as s:
        mv = get_version(s, actor, project_id, model_id, Action.TRAIN_MODEL, doing="evaluating a model version")
        reason = unusable_reason(mv)  # pruned (or failed) after the job was queued
        if reason is not None:
            raise ConflictError(reason, field="status")
        ref, trained = model_ref(hub, mv), dict(mv.data or {})
        item_kind = require(s, actor, project_id, Action.READ).item_kind
        data = select_training_data(s, hub, project_id, item_kind)
        boxes = _human_boxes(s, project_id) if ref.kind not in ("text_classifier", "image_classifier") else {}
    predictor = load_predictor(ref)
    progress(0.05, "model loaded")
    fit = set(trained.get("annotation_ids") or []) - set(trained.get("held_out_ids") or [])
    rows = [i for i, aid in enumerate(data.annotation_ids) if aid not in fit]
    on_training = not rows
    rows = rows or list(range(len(data.labels)))
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
            [
                (q.label, tuple(q.geometry.get("bbox", (0, 0, 0, 0))), q.score)
                for q in predictions[i].proposals
                if q.kind == "box"
            ]
            if i in predictions
            else []
            for i in boxes
        ]
        report |= detection_map(list(boxes.values()), found)
    labels = {iid: p.proposals[0].label for iid, p in predictions.items() if p.proposals and p.probs is not None}
    with hub.db.session(write=True) as s:
        report["accepted_unchanged"] = accepted_unchanged(s, project_id, ref.tag, labels if labels else None)
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
