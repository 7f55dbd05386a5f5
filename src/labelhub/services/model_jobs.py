"""The body of the ``train_model`` job (and of ``labelhub model train --wait``).

Training registers the version first (status ``training``, so the UI shows it at once), trains outside any
transaction, saves the files, then records data, metrics and artifacts and marks it ``ready``; the first
ready version of a project becomes its active one, and so does a newer version of the active line (a
retraining). Any failure marks the version ``failed`` with the error; a cancelled training removes its
version, and so does one interrupted because its worker is stopping (the job goes back to the queue). A
training whose worker died (killed) is found by a live worker's stale-job check, which marks its version
``failed`` and removes its half-written folder (:func:`abandon_training`); a retry of the job trains a new
version. Once the new version is committed, the project's ``keep_versions`` setting is applied
(:mod:`labelhub.services.model_retention`): older versions' files are removed; a failure there is logged and
does not fail the training.

Metrics come from the held-out slice (the labels the temperature was fitted on, which the head never saw):
accuracy, NLL, ECE, the temperature and per-class precision, recall and F1. With under 20 held-out labels
there is no slice, and the figures are those on the training labels (``metrics.evaluated_on`` says which).

The evaluation is in :mod:`labelhub.services.model_eval`. A ``volume_segmenter`` learns from masks instead, with
its own data, files and metrics (:mod:`labelhub.services._volume_seg_train`).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.assist import TextFeaturizer, TrainConfig, TrainMode, nll, train_text_classifier
from labelhub.assist.image import EmbedderBackbone, held_out_rows, resolve_backbone, train_image_classifier
from labelhub.assist.persist import Classifier, save_classifier
from labelhub.assist.report import classification_report
from labelhub.assist.text import NGRAM_DIM, TextClassifier
from labelhub.assist.train import threads
from labelhub.domain.permissions import Action
from labelhub.errors import JobCancelled, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.search.sentence import load_encoder
from labelhub.services import audit
from labelhub.services._volume_seg_train import VOLUME_SEGMENTER, train_volume_version
from labelhub.services.access import Actor, require
from labelhub.services.model_retention import PruneResult, human_size, prune_versions
from labelhub.services.models import (
    MIN_LABELS,
    Report,
    TrainingData,
    TrainSpec,
    check_kind_fits,
    count_human_labels,
    models_dir,
    next_version,
    quiet,
    record_training,
    select_training_data,
)
from labelhub.storage.models import ModelVersion, ProjectAssist

__all__ = ["abandon_training", "run_train_model", "take_over", "train_version"]


TRAIN_THREADS = 1  # see labelhub.assist.train.threads: reproducible, and kind to a busy 2-core machine
log = logging.getLogger("labelhub.models")


def train_version(
    hub: Hub, actor: Actor, project_id: int, spec: TrainSpec, *, job_id: int | None = None, progress: Report = quiet
) -> int:
    """Train, save and register a model version from the project's labels; return its id."""
    with hub.db.session(write=True) as s:
        project = require(s, actor, project_id, Action.TRAIN_MODEL, doing="training a model")
        item_kind = project.item_kind
        check_kind_fits(spec, item_kind)  # before anything is stored (the CLI's --wait comes straight here)
        mv = ModelVersion(
            project_id=project_id,
            name=spec.line,
            kind=spec.kind,
            version=next_version(s, project_id, spec.line),
            status="training",
            active=False,
            mode=None if spec.kind == VOLUME_SEGMENTER else spec.mode,  # a U-Net keeps its last weights
            seed=spec.seed,
            params=spec.to_params(),
            job_id=job_id,
            created_by=actor.user_id,
        )
        s.add(mv)
        s.flush()
        mv_id, version = mv.id, mv.version
    rel = _relative_folder(project_id, spec.line, version, mv_id)
    try:
        with hub.db.session() as s:
            labels_now = count_human_labels(s, project_id)
        if spec.kind == VOLUME_SEGMENTER:  # trained from masks: its own data, files and metrics
            summary, held_ids, files, metrics = train_volume_version(hub, project_id, spec, models_dir(hub) / rel,
                                                                     progress)  # fmt: skip
        else:
            with hub.db.session() as s:
                data = select_training_data(s, hub, project_id, item_kind)
            progress(0.02, f"{len(data.labels)} labels of {len(set(data.labels))} classes")
            ssl = _ssl_encoder(hub, project_id) if not data.texts else None
            with threads(TRAIN_THREADS):
                clf = _train(data, spec, lambda f, m: progress(0.02 + 0.88 * f, m), ssl)
            progress(0.92, "saving")
            files = save_classifier(clf, models_dir(hub) / rel)
            metrics = _metrics(clf, data, spec)
            summary, held_ids = data.summary(), [data.annotation_ids[i] for i in _held(data, spec)]
        artifacts: dict[str, Any] = {"folder": rel.as_posix(), **{k: (rel / v).as_posix() for k, v in files.items()}}
    except BaseException as exc:
        shutil.rmtree(models_dir(hub) / rel, ignore_errors=True)
        with hub.db.session(write=True) as s:
            row = s.get(ModelVersion, mv_id)
            if row is None or row.status != "training":
                pass  # a live worker recovered the job (JobTakenOver) and marked the version failed already
            elif isinstance(exc, JobCancelled):
                s.delete(row)  # a cancelled training leaves nothing behind, as its job says
            else:  # a failed one stays, saying why it has no model
                row.status = "failed"
                row.metrics = {"error": getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"}
        raise
    with hub.db.session(write=True) as s:
        row = s.get(ModelVersion, mv_id)
        if row is None or row.status != "training":  # the project was deleted, or the job recovered as lost
            shutil.rmtree(models_dir(hub) / rel, ignore_errors=True)
            return mv_id
        row.status, row.metrics, row.artifacts = "ready", metrics, artifacts
        row.data = {**summary, "held_out_ids": held_ids}
        take_over(s, project_id, row, spec.activate)
        record_training(s, project_id, labels_now)
        audit.record(
            s,
            actor,
            "model.train",
            "model_version",
            mv_id,
            project_id=project_id,
            detail={"name": spec.line, "version": version, "labels": summary["count"]},
        )
    pruned = _prune_after_training(hub, actor, project_id)
    progress(1.0, f"{spec.line} v{version} ready" + _pruned_note(pruned))
    return mv_id


def _relative_folder(project_id: int, line: str, version: int, mv_id: int) -> Path:
    """Where a trained version's files go, relative to ``HOME/models``."""
    return Path(f"project-{project_id}") / f"{line}-v{version}-{mv_id}"


def abandon_training(session: Session, hub: Hub, job_id: int, reason: str) -> list[Path]:
    """Mark the versions that training job ``job_id`` left ``training`` (its worker died) as ``failed`` with
    ``reason``, and return their folders for the caller to remove (the half-written files of a killed run).

    Called in the transaction that requeues or ends the job, so a retry's new version is never among them."""
    folders: list[Path] = []
    rows = session.scalars(
        select(ModelVersion).where(ModelVersion.job_id == job_id, ModelVersion.status == "training")
    ).all()
    for row in rows:
        row.status, row.metrics, row.artifacts = "failed", {"error": reason}, {}
        folders.append(models_dir(hub) / _relative_folder(row.project_id, row.name, row.version, row.id))
    return folders


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


def take_over(s: Session, project_id: int, row: ModelVersion, activate: bool | None) -> None:
    """Make the newly trained ``row`` the project's active model when asked to (``activate``), or by default when
    nothing is active or the active model is an older version of the same line (a retraining): pre-labelling and
    the queue then follow the newest labels. A model of another line that a person made active stays active, and
    a training asked not to activate (to try a variant beside the live model) never does."""
    current = s.scalars(
        select(ModelVersion).where(ModelVersion.project_id == project_id, ModelVersion.active.is_(True))
    ).all()
    if activate or (activate is None and all(mv.name == row.name for mv in current)):
        for mv in current:
            mv.active = False
        row.active = True


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
        feats = None
        if spec.features or spec.text_encoder:
            encoder = None
            if spec.text_encoder:
                progress(0.0, f"loading the text encoder in {spec.text_encoder}")
                encoder = load_encoder(spec.text_encoder)
            feats = TextFeaturizer(dim=spec.features or NGRAM_DIM, seed=spec.seed, encoder=encoder)
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
    if isinstance(clf, TextClassifier):
        encoder = clf.featurizer.encoder
        backbone = None if encoder is None else f"sentence encoder {encoder.path.name} ({encoder.dim}-d)"
    else:
        backbone = clf.backbone.name
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
        out: dict[str, Any] = {"model_id": mv_id, "version": mv.version if mv else None,
                               "metrics": dict(mv.metrics) if mv else {}}  # fmt: skip
    if ctx.params.get("prelabel") and mv is not None:
        out["prelabel_job"] = queue_prelabel_after(ctx.hub, ctx.actor, ctx.project_id, mv_id)
    if ctx.hub.queue.warm_after_training:
        ctx.progress(1.0, "ranking the labelling queue with the active model")
        out["queue_ranked_s"] = warm_queue(ctx.hub, ctx.project_id)
    return out


def warm_queue(hub: Hub, project_id: int) -> float | None:
    """Rank the project's labelling queue now (the unassigned pool, with the active model) and return the
    seconds it took; None when it failed, which is logged and never fails the training that asked.

    The first ranking with a new version scores every item of the pool (BANKING77's 5,000: about 3 s), and the
    scores are kept per model version in this process: done here, after a training, nobody waits for them.
    """
    from labelhub.services.queue import queue

    started = time.perf_counter()
    try:
        with hub.db.session() as s:
            queue(s, hub, Actor.system(), project_id, limit=1)
    except Exception:  # a warm-up only: the queue ranks again when it is asked
        log.warning("ranking the labelling queue of project %s after a training failed", project_id, exc_info=True)
        return None
    return round(time.perf_counter() - started, 3)


def queue_prelabel_after(hub: Hub, actor: Actor, project_id: int, model_id: int) -> int:
    """Queue the pre-labelling of the items without an accepted label with a new version; return the job id."""
    from labelhub.services.prelabel import start_prelabel

    with hub.db.session(write=True) as s:
        return start_prelabel(s, actor, project_id, model_id=model_id).id
