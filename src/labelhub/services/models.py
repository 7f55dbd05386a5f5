"""The model registry: a project's model versions, the data they train on, and the training job's body.

Training data (:func:`select_training_data`): the project's accepted annotations of kind ``class`` written
by a person or reviewed by one (a model's auto-accepted proposal that nobody looked at would teach the model
its own mistakes), one label per item: an item with two different accepted class labels is skipped and
counted. Text comes from ``item.text``, images from the media store. The data hash is the SHA-256 of the
sorted ``(annotation id, annotation version, label)`` triples, so any edit to a training label changes it.

A version's files live under ``HOME/models/project-<pid>/<name>-v<version>-<id>/``; ``artifacts`` holds
their paths relative to ``HOME/models`` (what :class:`~labelhub.assist.predictors.ModelRef` resolves). A
version whose files the retention setting removed is ``pruned`` (:mod:`labelhub.services.model_retention`):
its row, data and metrics stay, but it cannot be activated, evaluated or used.
The trained kinds' predictor loaders (:mod:`labelhub.assist.kinds`) register themselves when a model is first
loaded (:func:`labelhub.assist.predictors.load_predictor`), so importing this module does not load PyTorch.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from labelhub.assist.predictors import ItemInput, ModelRef
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.services import audit, jobs
from labelhub.services.access import Actor, require
from labelhub.services.train_spec import TRAINABLE, TrainSpec
from labelhub.storage.models import Annotation, Item, Job, Media, ModelVersion, Project, ProjectAssist, utcnow

__all__ = [
    "PRUNED",
    "TRAINABLE",
    "TrainSpec",
    "TrainingData",
    "activate_version",
    "check_kind_fits",
    "count_human_labels",
    "count_labelled_slices",
    "data_hash",
    "delete_version",
    "get_version",
    "item_inputs",
    "list_versions",
    "lock_project",
    "model_ref",
    "models_dir",
    "next_version",
    "pruned_detail",
    "queue_evaluation",
    "queue_training",
    "quiet",
    "select_training_data",
    "unusable_reason",
    "version_folder",
]

TRAIN_KIND = "train_model"
EVALUATE_KIND = "evaluate_model"
MIN_LABELS = 4
PRUNED = "pruned"  # the status of a version whose files the retention setting removed
Report = Callable[[float, str], None]


def quiet(fraction: float, message: str) -> None:
    """A :data:`Report` that reports nothing (the default of the job bodies when called directly)."""


def models_dir(hub: Hub) -> Path:
    """Return the folder all model files live under (``HOME/models``)."""
    return hub.settings.home / "models"


def model_ref(hub: Hub, mv: ModelVersion) -> ModelRef:
    """Return what a predictor loader needs of a version."""
    return ModelRef(
        id=mv.id,
        project_id=mv.project_id,
        name=mv.name,
        kind=mv.kind,
        version=mv.version,
        params=dict(mv.params or {}),
        artifacts=dict(mv.artifacts or {}),
        models_dir=models_dir(hub),
    )


def version_folder(hub: Hub, mv: ModelVersion) -> Path | None:
    """Return the resolved folder of a version's files (``artifacts.folder``), or None when it has none or the
    recorded path would lead outside ``HOME/models``."""
    folder = mv.artifacts.get("folder") if mv.artifacts else None
    if not isinstance(folder, str):
        return None
    root = models_dir(hub).resolve()
    target = (root / folder).resolve()
    return target if target.is_relative_to(root) and target != root else None


def pruned_detail(mv: ModelVersion) -> str:
    """Return what a person reads when they try to use a pruned version."""
    return (
        f"model version {mv.id} ({mv.name}@{mv.version}) is pruned: its files were removed by the project's "
        "retention setting (keep_versions); train the model again to get a version you can use"
    )


def unusable_reason(mv: ModelVersion) -> str | None:
    """Return why a version cannot be used (activated, evaluated, pre-labelled with), or None when it is ready."""
    if mv.status == "ready":
        return None
    return pruned_detail(mv) if mv.status == PRUNED else f"model version {mv.id} is {mv.status}, not ready"


def lock_project(session: Session, project_id: int) -> None:
    """Take the project's row lock for the rest of the caller's write transaction (registering, activating and
    pruning versions take it, so they do not interleave; SQLite's write transactions are serialised anyway)."""
    session.execute(select(Project.id).where(Project.id == project_id).with_for_update())


def list_versions(session: Session, actor: Actor, project_id: int) -> list[ModelVersion]:
    """Return the project's model versions, newest first."""
    require(session, actor, project_id, Action.READ)
    stmt = select(ModelVersion).where(ModelVersion.project_id == project_id).order_by(ModelVersion.id.desc())
    return list(session.scalars(stmt))


def get_version(
    session: Session,
    actor: Actor,
    project_id: int,
    model_id: int,
    action: Action = Action.READ,
    doing: str | None = None,
) -> ModelVersion:
    """Return one model version of the project; NotFoundError names ``model_id`` when it is not there.

    ``doing`` names the operation in a refusal ("activating a model version needs the manager role ...").
    """
    require(session, actor, project_id, action, doing=doing)
    mv = session.get(ModelVersion, model_id)
    if mv is None or mv.project_id != project_id:
        raise NotFoundError(f"model version {model_id} not found in project {project_id}", field="model_id")
    return mv


def activate_version(session: Session, actor: Actor, project_id: int, model_id: int) -> ModelVersion:
    """Make a ready version the project's active one (the others become inactive) and return it."""
    lock_project(session, project_id)  # the status is read after a prune that holds the lock has committed
    mv = get_version(session, actor, project_id, model_id, Action.TRAIN_MODEL, doing="activating a model version")
    if mv.status == PRUNED:
        raise ConflictError(pruned_detail(mv), field="status")
    if mv.status != "ready":
        raise ConflictError(
            f"model version {model_id} is {mv.status}; only a ready version can be active", field="status"
        )
    session.execute(update(ModelVersion).where(ModelVersion.project_id == project_id).values(active=False))
    mv.active = True
    session.flush()
    audit.record(session, actor, "model.activate", "model_version", mv.id, project_id=project_id)
    return mv


def delete_version(session: Session, hub: Hub, actor: Actor, project_id: int, model_id: int) -> int:
    """Delete a version, its files and its open proposals; return how many proposals went.

    A version still training is refused (cancel its job first). Proposals a person decided stay: accepted ones are
    labels, rejected ones the record of a decision. The items that lose a proposal move to a new version.
    """
    mv = get_version(session, actor, project_id, model_id, Action.TRAIN_MODEL, doing="deleting a model version")
    if mv.status == "training":
        raise ConflictError(f"model version {model_id} is still training; cancel job {mv.job_id} first", field="status")
    target = version_folder(hub, mv)
    tag = f"{mv.name}@{mv.version}"
    open_proposals = (
        Annotation.project_id == project_id,
        Annotation.model_version == tag,
        Annotation.source == Source.MODEL.value,
        Annotation.state == AnnotationState.PROPOSED.value,
    )
    # The items first (their proposals are still there to find them), then the proposals.
    touched = select(Annotation.item_id).where(*open_proposals).scalar_subquery()
    session.execute(update(Item).where(Item.id.in_(touched)).values(version=Item.version + 1, updated_at=utcnow()))
    gone = int(session.execute(delete(Annotation).where(*open_proposals)).rowcount or 0)  # type: ignore[attr-defined]
    session.delete(mv)
    audit.record(session, actor, "model.delete", "model_version", model_id, project_id=project_id,
                 detail={"name": mv.name, "version": mv.version, "open_proposals_removed": gone})  # fmt: skip
    if target is not None:
        shutil.rmtree(target, ignore_errors=True)
    return gone


def next_version(session: Session, project_id: int, name: str) -> int:
    """Return the next version number of the model line ``name`` in the project (1 for the first).

    Takes the project's row lock for the rest of the caller's write transaction, so two versions registered at
    the same moment (two trainings, or a training and a registration) get different numbers instead of one
    failing on the unique constraint. (SQLite's write transactions are serialised anyway; FOR UPDATE is a no-op.)
    """
    lock_project(session, project_id)
    top = session.scalar(
        select(func.max(ModelVersion.version)).where(ModelVersion.project_id == project_id, ModelVersion.name == name)
    )
    return int(top or 0) + 1


def check_kind_fits(spec: TrainSpec, item_kind: str) -> None:
    """Refuse (422 on ``kind``) a model kind that cannot learn from the project's items."""
    if item_kind != TRAINABLE[spec.kind].value:
        raise ValidationError(
            f"kind {spec.kind} needs a project of {TRAINABLE[spec.kind].value} items; this one holds {item_kind} items",
            field="kind",
        )


def queue_training(session: Session, actor: Actor, project_id: int, spec: TrainSpec, *, prelabel: bool = False) -> Job:
    """Queue a training job after checking the role and that the kind fits the project's items.

    ``prelabel``: when the new version is ready, the job queues a pre-labelling job with it (the items without
    an accepted label); the flag is the job's, not the version's, so retraining does not repeat it.
    """
    project = require(session, actor, project_id, Action.TRAIN_MODEL, doing="training a model")
    check_kind_fits(spec, project.item_kind)
    params = spec.to_params()
    if prelabel:
        require(session, actor, project_id, Action.PRELABEL)
        params["prelabel"] = True
    return jobs.enqueue(session, actor, TRAIN_KIND, params, project_id=project_id)


def queue_evaluation(session: Session, actor: Actor, project_id: int, model_id: int) -> Job:
    """Queue the validation report of a ready version."""
    mv = get_version(session, actor, project_id, model_id, Action.TRAIN_MODEL, doing="evaluating a model version")
    reason = unusable_reason(mv)
    if reason is not None:
        raise ConflictError(reason, field="status")
    return jobs.enqueue(session, actor, EVALUATE_KIND, {"model_id": model_id}, project_id=project_id)


@dataclass(slots=True)
class TrainingData:
    """The labels a model trains on: per item its annotation (id, version), label and text or image file."""

    annotation_ids: list[int] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    skipped: int = 0

    @property
    def hash(self) -> str:
        return data_hash(zip(self.annotation_ids, self.versions, self.labels, strict=True))

    def summary(self) -> dict[str, Any]:
        return {
            "count": len(self.labels),
            "hash": self.hash,
            "annotation_ids": self.annotation_ids,
            "skipped": self.skipped,
            "classes": sorted(set(self.labels)),
        }


def data_hash(rows: Iterable[tuple[int, int, str]]) -> str:
    """Return the SHA-256 (hex) of the sorted ``(annotation id, version, label)`` triples, one per line."""
    h = hashlib.sha256()
    for aid, version, label in sorted(rows):
        h.update(f"{aid}\t{version}\t{label}\n".encode())
    return h.hexdigest()


def _human_labels(project_id: int) -> Any:
    reviewed = (Annotation.source == Source.HUMAN.value) | Annotation.reviewed_by.is_not(None)
    return (
        (Annotation.project_id == project_id)
        & (Annotation.kind == AnnotationKind.CLASS.value)
        & (Annotation.state == AnnotationState.ACCEPTED.value)
        & Annotation.label.is_not(None)
        & reviewed
    )


def count_human_labels(session: Session, project_id: int) -> int:
    """Return the project's accepted class labels a person gave or reviewed (what training learns from); in a
    volume project, plus its labelled slices (:func:`count_labelled_slices`, what a segmenter learns from).

    ``ProjectAssist.labels_at_last_train`` holds this count at the last training; the retrain trigger compares.
    """
    labels = int(session.scalar(select(func.count()).select_from(Annotation).where(_human_labels(project_id))) or 0)
    if session.scalar(select(Project.item_kind).where(Project.id == project_id)) == ItemKind.VOLUME.value:
        labels += count_labelled_slices(session, project_id)
    return labels


def count_labelled_slices(session: Session, project_id: int) -> int:
    """Return the slices of the project's volumes holding an accepted mask or polygon that a person drew or
    reviewed: a slice counts once, whatever its number of masks (the unit "new labels" has for a segmenter)."""
    reviewed = (Annotation.source == Source.HUMAN.value) | Annotation.reviewed_by.is_not(None)
    pairs = (
        select(Annotation.item_id, Annotation.frame)
        .join(Item, Item.id == Annotation.item_id)
        .where(Annotation.project_id == project_id, Item.kind == ItemKind.VOLUME.value,
               Annotation.kind.in_((AnnotationKind.MASK.value, AnnotationKind.POLYGON.value)),
               Annotation.state == AnnotationState.ACCEPTED.value, Annotation.frame.is_not(None), reviewed)
        .distinct()
        .subquery()
    )  # fmt: skip
    return int(session.scalar(select(func.count()).select_from(pairs)) or 0)


def select_training_data(session: Session, hub: Hub, project_id: int, item_kind: str) -> TrainingData:
    """Return the project's training labels (see the module docstring), ordered by annotation id."""
    stmt = (
        select(Annotation.id, Annotation.version, Annotation.label, Item.id, Item.text, Item.media_key, Media.path)
        .join(Item, Item.id == Annotation.item_id)
        .outerjoin(Media, Media.key == Item.media_key)
        .where(_human_labels(project_id))
        .order_by(Annotation.id)
    )
    by_item: dict[int, list[tuple[Any, ...]]] = {}
    for row in session.execute(stmt):
        by_item.setdefault(row[3], []).append(tuple(row))
    out = TrainingData()
    for rows in sorted(by_item.values(), key=lambda r: r[0][0]):
        if len({r[2] for r in rows}) > 1:
            out.skipped += 1
            continue
        aid, version, label, item_id, text, key, linked = rows[0]
        if item_kind == ItemKind.TEXT.value:
            if text is None:
                out.skipped += 1
                continue
            out.texts.append(text)
        else:
            path = _media_path(hub, key, linked)
            if path is None:
                out.skipped += 1
                continue
            out.paths.append(path)
        out.annotation_ids.append(aid)
        out.versions.append(version)
        out.labels.append(label)
        out.item_ids.append(item_id)
    return out


def _media_path(hub: Hub, key: str | None, linked: str | None) -> Path | None:
    if key is None:
        return None
    try:
        return hub.media.local_path(key, linked)
    except NotFoundError:
        return None


def item_inputs(session: Session, hub: Hub, project_id: int, item_ids: Sequence[int]) -> list[ItemInput]:
    """Return the items as predictors take them (text, or the image file and its size), in the given order."""
    stmt = (
        select(Item.id, Item.kind, Item.text, Item.media_key, Media.path, Item.width, Item.height, Item.name)
        .outerjoin(Media, Media.key == Item.media_key)
        .where(Item.project_id == project_id, Item.id.in_(list(item_ids)))
    )
    rows = {r[0]: r for r in session.execute(stmt)}
    out = []
    for iid in item_ids:
        if iid in rows:
            r = rows[iid]
            out.append(
                ItemInput(
                    item_id=r[0],
                    kind=r[1],
                    text=r[2],
                    path=_media_path(hub, r[3], r[4]),
                    width=r[5],
                    height=r[6],
                    name=r[7],
                )
            )
    return out


def record_training(session: Session, project_id: int, labels: int) -> None:
    """Store the label count at this training on the project's assist row (created when missing)."""
    row = session.get(ProjectAssist, project_id)
    if row is None:
        session.add(ProjectAssist(project_id=project_id, labels_at_last_train=labels))
    else:
        row.labels_at_last_train = labels
        row.updated_at = utcnow()
    session.flush()
