"""Reading an item's annotations and replacing them all in one call, guarded by the item's version."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, cast

from sqlalchemy import Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from labelhub.domain.attributes import check_values
from labelhub.domain.consensus import under_consensus
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemStatus, Source
from labelhub.domain.geometry import validate_geometry
from labelhub.domain.keypoints import check_instance
from labelhub.domain.permissions import Action, allows
from labelhub.domain.schema import LabelSchema
from labelhub.errors import NotFoundError, PermissionDenied, ValidationError
from labelhub.services import audit
from labelhub.services._proposal_rules import edited_proposal, open_proposal, restores_proposal
from labelhub.services._stale import stale_item
from labelhub.services.access import Actor, check_item_access, project_schema
from labelhub.services.consensus_reset import restart_if_reopened
from labelhub.services.frame_annotations import check_frame, scope_inputs
from labelhub.services.retrain import maybe_retrain
from labelhub.storage.json_text import json_text
from labelhub.storage.models import Annotation, Item, utcnow

# The Core table, for the executemany insert below (declarative types ``__table__`` as a FromClause).
_ANNOTATIONS_TABLE = cast(Table, Annotation.__table__)
_ITEMS_TABLE = cast(Table, Item.__table__)

_ACCEPTED = AnnotationState.ACCEPTED.value
# What a save compares to tell whether an annotation changed.
_COMPARED = ("kind", "label", "geometry", "frame", "track_id", "source", "model_version", "score", "state",
             "attributes")  # fmt: skip


@dataclass(slots=True, kw_only=True)
class AnnotationInput:
    """One annotation as a client sends it; ``id`` is set for annotations that already exist."""

    kind: AnnotationKind
    label: str | None = None
    geometry: dict[str, Any] = field(default_factory=dict)
    frame: int | None = None
    track_id: int | None = None
    source: Source | None = None  # None: keep an existing annotation's source; human for a new one
    model_version: str | None = None
    score: float | None = None
    state: AnnotationState | None = None  # None: keep an existing annotation's state; the source's default
    attributes: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


# What a client sees of an annotation, in the order of the API's AnnotationPublic. Table columns, not ORM
# attributes: a select of them is plain Core and skips the ORM's compile and result machinery.
_A = _ANNOTATIONS_TABLE.c
ANNOTATION_FIELDS = (_A.id, _A.item_id, _A.kind, _A.label, _A.geometry, _A.frame, _A.track_id, _A.source,
                     _A.model_version, _A.score, _A.state, _A.attributes, _A.author_id, _A.reviewed_by, _A.version,
                     _A.created_at, _A.updated_at)  # fmt: skip
_I = _ITEMS_TABLE.c


@dataclass(frozen=True, slots=True)
class SaveResult:
    version: int
    annotations: list[Row[Any]]  # rows of ANNOTATION_FIELDS, read back after the write
    added: int
    updated: int
    deleted: int


def list_annotations(
    session: Session, item_id: int, *, tracks: bool = True, frame: int | None = None
) -> list[Row[Any]]:
    """Return the item's annotations as plain rows of ANNOTATION_FIELDS, in id order (``tracks=False``: without
    the ``track_box`` rows, which the video editor reads through its own route; ``frame``: those of that frame).

    Rows, not ORM objects: the editor reads and saves one item at a time, many times a second, and building
    ORM instances was a large share of a request's CPU.
    """
    q = select(*ANNOTATION_FIELDS).where(Annotation.item_id == item_id)
    if not tracks:
        q = q.where(Annotation.kind != AnnotationKind.TRACK_BOX.value)
    if frame is not None:
        q = q.where(Annotation.frame == frame)
    return list(session.execute(q.order_by(Annotation.id)))


def read_annotations(
    session: Session, actor: Actor, project_id: int, item_id: int, *, tracks: bool = True, frame: int | None = None
) -> tuple[int, list[Row[Any]]]:
    """Return the item's version and its annotations (``frame``: of that frame only), for a reader of the project."""
    cols = [_I.version, _I.kind, _I.frame_count]
    _, _, (version, kind, frame_count) = check_item_access(session, actor, project_id, item_id, Action.READ, cols)
    if frame is not None:
        check_frame(kind, frame_count, frame, item_id)
    return version, list_annotations(session, item_id, tracks=tracks, frame=frame)


class _ItemFacts(NamedTuple):
    width: int | None
    height: int | None
    text: str | None
    status: str
    version: int
    annotator_id: int | None
    kind: str
    frame_count: int | None


_FACTS = [_I.width, _I.height, _I.text, _I.status, _I.version, _I.annotator_id, _I.kind, _I.frame_count]


def _validated_row(
    a: AnnotationInput, i: int, schema: LabelSchema, item: _ItemFacts, old: Row[Any] | None
) -> dict[str, Any]:
    where = f"annotations[{i}]"
    if a.kind not in schema.kinds:
        raise ValidationError(f"{where}: kind {a.kind.value!r} is not allowed in this project", field=f"{where}.kind")
    if a.kind is not AnnotationKind.CLASS or a.label is not None:
        if a.label is None:
            raise ValidationError(f"{where}: a label is required", field=f"{where}.label")
        if schema.classes and not schema.has_class(a.label):
            raise ValidationError(f"{where}: label {a.label!r} is not in the project's classes", field=f"{where}.label")
    if schema.attributes and a.attributes:
        check_values(
            schema.attributes,
            a.label,
            a.attributes,
            where,
            before=old.attributes if old is not None else None,
            label_before=old.label if old is not None else None,
        )
    if a.attributes:
        json_text(a.attributes, f"{where}.attributes")  # what the database and the exports can hold
    try:
        geometry = validate_geometry(
            a.kind,
            a.geometry,
            width=item.width,
            height=item.height,
            text_length=len(item.text) if item.text is not None else None,
        )
    except ValidationError as exc:
        raise ValidationError(
            f"{where}: {exc.detail}", field=f"{where}.{exc.context.get('field', 'geometry')}"
        ) from exc
    if a.kind is AnnotationKind.KEYPOINTS and (old is None or old.label != a.label or old.geometry != geometry):
        check_instance(schema.keypoint_names(a.label), a.label or "", geometry["points"], where)
    if a.score is not None and not 0.0 <= a.score <= 1.0:
        raise ValidationError(f"{where}: score must be within 0..1", field=f"{where}.score")
    source = a.source or (Source(old.source) if old is not None else Source.HUMAN)
    if old is not None and old.source == Source.HUMAN.value and not restores_proposal(a, old):
        source = Source.HUMAN  # a person's label never turns into a model's (an editor may hold a stale copy)
    elif old is not None and old.source == Source.HUMAN.value and a.state is None:
        a = replace(a, state=AnnotationState.PROPOSED)  # the proposal it was, open again
    model_version = a.model_version or (old.model_version if old is not None else None)
    if source is Source.HUMAN and old is not None and old.source == Source.HUMAN.value:
        model_version = old.model_version  # the model a person's label came from is the server's record
    if source is Source.MODEL and not model_version:
        raise ValidationError(f"{where}: a model annotation needs model_version", field=f"{where}.model_version")
    default_state = AnnotationState.ACCEPTED if source is Source.HUMAN else AnnotationState.PROPOSED
    if old is not None:
        default_state = AnnotationState(old.state)
    if source is Source.HUMAN and (a.state or default_state) is AnnotationState.PROPOSED:
        # A person's label is accepted or rejected, never an open proposal: a client that sends a person's row
        # back as "proposed" (an undo that cannot restore the model's proposal) gets an accepted label.
        default_state, a = AnnotationState.ACCEPTED, replace(a, state=None, score=None)
    return {
        "kind": a.kind.value,
        "label": a.label,
        "geometry": geometry,
        "frame": a.frame,
        "track_id": a.track_id,
        "source": source.value,
        "model_version": model_version,  # on a person's row: the model whose proposal it was edited from
        "score": a.score,
        "state": (a.state or default_state).value,
        "attributes": a.attributes,
    }


@dataclass(slots=True)
class SavePlan:
    """What a save will write, worked out (and checked) before the write transaction begins."""

    project_id: int
    item_id: int
    expected_version: int
    status: str
    inserts: list[dict[str, Any]]
    updates: list[tuple[int, dict[str, Any]]]  # (annotation id, new values)
    deletes: list[int]
    annotator_id: int | None = None  # set on the item when not None
    status_before: str | None = None  # the item's status when the plan was made (the audit records a change)
    # Nothing to write (same annotations, no new status): version and status stay, so a reviewed item stays so.
    unchanged: bool = False


def plan_save(
    session: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    expected_version: int,
    annotations: list[AnnotationInput],
    status: ItemStatus | None = None,
    frame: int | None = None,
) -> SavePlan:
    """Check a save and work out its rows, reading only; :func:`apply_save` writes them. With ``frame``, only
    that frame's annotations are replaced (services/frame_annotations.py has the rules).

    Everything that can refuse a save (roles, labels, geometry, ids, a stale version) is decided here, in a
    read transaction, so the write transaction, which holds SQLite's single write lock, does only the writes.
    ``apply_save`` guards the gap with the item's version: every change to an item's annotations moves it, so
    if the version is still ``expected_version`` then, the annotations read here are still the stored ones.
    """
    cols = [*_FACTS, _I.overlap]
    project, role, facts = check_item_access(session, actor, project_id, item_id, Action.ANNOTATE, cols)
    item = _ItemFacts(*facts[:-1])
    if item.version != expected_version:
        raise stale_item(item_id, expected_version, item.version)
    if under_consensus(facts[-1], item.status):  # each person's labels are their replica: services/consensus.py
        raise stale_item(item_id, expected_version, item.version, "it is labelled by several people now; reload it")
    schema = project_schema(session, project)
    annotations = scope_inputs(annotations, frame, item, item_id)
    stored = list_annotations(session, item_id)
    existing = {a.id: a for a in stored if frame is None or a.frame == frame}
    olds: list[Row[Any] | None] = []
    for i, a in enumerate(annotations):
        if a.id is not None and a.id not in existing:
            raise ValidationError(
                f"annotations[{i}]: annotation {a.id} does not belong to item {item_id}"
                + (f", frame {frame}" if frame is not None else ""),
                field=f"annotations[{i}].id",
            )
        olds.append(existing[a.id] if a.id is not None else None)
    rows = [_validated_row(a, i, schema, item, old) for i, (a, old) in enumerate(zip(annotations, olds, strict=True))]

    can_review = allows(role, Action.REVIEW, is_admin=actor.is_admin)
    if not can_review and status in _REVIEW_STATUSES and status != item.status:
        raise PermissionDenied(
            f"setting an item's status to {status.value} is review work, for the reviewer "
            "role; save it as labeled for a reviewer to decide",
            field="status",
        )
    plan = SavePlan(project_id, item_id, expected_version, (status or ItemStatus(item.status)).value, [], [], [],
                    status_before=item.status)  # fmt: skip
    keep: set[int] = set()
    for i, (old, row) in enumerate(zip(olds, rows, strict=True)):
        from_model = row["source"] == Source.MODEL.value or (old is not None and old.source == Source.MODEL.value)
        old_state = old.state if old is not None else AnnotationState.PROPOSED.value
        # A person's label given back to the proposal it was made from (an undo): no decision, anyone may do it.
        restored = old is not None and old.source == Source.HUMAN.value and row["source"] == Source.MODEL.value
        decided = from_model and row["state"] != old_state and not restored
        if old is not None and (
            edited_proposal(old, row) or (decided and not can_review and row["state"] == _ACCEPTED)
        ):
            # Relabelling, reshaping or setting an attribute of a model's proposal, or confirming it without the
            # reviewer role, makes it one's own label (human, no score, accepted, its model version kept). Only a
            # reviewer's accept keeps it the model's (counted in the model's report as accepted unchanged).
            keep.add(old.id)
            plan.updates.append((old.id, {**row, "source": Source.HUMAN.value, "score": None, "state": _ACCEPTED,
                                          "author_id": actor.user_id, "model_version": old.model_version}))  # fmt: skip
            continue
        rejects = row["state"] == AnnotationState.REJECTED.value and (old is None or old.state != row["state"])
        if not can_review and (decided or (old is None and from_model) or rejects):
            # Rejecting a proposal is review work; storing a new one would claim a model's output as the model's.
            what = ("storing model proposals" if old is None and from_model
                    else "rejecting proposals" if decided else "marking an annotation rejected")  # fmt: skip
            raise PermissionDenied(f"annotations[{i}]: {what} needs the reviewer role", field=f"annotations[{i}].state")
        reviewed = actor.user_id if decided and row["state"] != AnnotationState.PROPOSED.value else None
        reopened = (decided or restored) and row["state"] == AnnotationState.PROPOSED.value  # undone: no reviewer
        if old is None:
            plan.inserts.append({"item_id": item_id, "project_id": project_id, "author_id": actor.user_id,
                                 "reviewed_by": reviewed, "version": 1, **row})  # fmt: skip
            continue
        keep.add(old.id)
        if any(getattr(old, k) != row[k] for k in _COMPARED):
            marks = {"reviewed_by": reviewed} if reviewed is not None or reopened else {}
            plan.updates.append((old.id, {**row, **marks}))
    # Track boxes are edited through the tracks routes (``tracks=false`` reads leave them out): kept, not deleted.
    plan.deletes = [aid for aid, a in existing.items() if aid not in keep and a.kind != AnnotationKind.TRACK_BOX.value]
    if not can_review:
        dropped = [aid for aid in plan.deletes if open_proposal(existing[aid])]
        if dropped:
            raise PermissionDenied(
                f"removing the model's proposal {dropped[0]} rejects it, which needs the reviewer role; label the "
                "item yourself and leave the proposal for a reviewer",
                field="annotations",
            )
    # The item's annotator (to whom a rejected item goes back): whoever labels it, unless a reviewer fixes it.
    if actor.user_id is not None and (not can_review or item.annotator_id is None):
        plan.annotator_id = actor.user_id
    if status is None:
        others = any(a.state == _ACCEPTED for a in stored if a.id not in existing)  # other frames' labels
        plan.status = _status_after(ItemStatus(item.status), plan, rows, others)
    plan.unchanged = not (plan.inserts or plan.updates or plan.deletes) and (status is None or status == item.status)
    return plan


_REVIEW_STATUSES = frozenset({ItemStatus.REVIEWED, ItemStatus.REJECTED})


def _status_after(current: ItemStatus, plan: SavePlan, rows: list[dict[str, Any]], others: bool = False) -> str:
    """The item's status after a save that does not set one: labelled when an accepted annotation remains (a
    proposal or a rejected one labels nothing), back to new when a labelled item keeps none; else as it was."""
    # Every annotation the item keeps is one of ``rows``; an update may only turn a proposal into an accepted label.
    # ``others``: the save replaced one frame, and another frame keeps an accepted label.
    if others or any(row["state"] == _ACCEPTED for row in rows + [new for _, new in plan.updates]):
        return ItemStatus.LABELED.value
    return (ItemStatus.NEW if current is ItemStatus.LABELED else current).value


def apply_save(session: Session, actor: Actor, plan: SavePlan) -> int:
    """Write a planned save in the current (write) transaction and return the item's new version.

    Raises ConflictError (HTTP 409), writing nothing, when the item moved on since the plan was made. A plan
    that changes nothing writes nothing and returns the version it was made at.
    """
    if plan.unchanged:
        return plan.expected_version
    now = utcnow()
    item_id = plan.item_id
    res = session.execute(
        # Core statements on the tables (here and below): the ORM's bulk-update and bulk-delete paths evaluate
        # and synchronise the session, which this function does not need.
        update(_ITEMS_TABLE)
        .where(_ITEMS_TABLE.c.id == item_id, _ITEMS_TABLE.c.version == plan.expected_version)
        .values(
            version=_ITEMS_TABLE.c.version + 1,
            status=plan.status,
            updated_at=now,
            **({"annotator_id": plan.annotator_id} if plan.annotator_id is not None else {}),
        )
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        current = session.scalar(select(_I.version).where(_I.id == item_id))
        if current is None:
            raise NotFoundError(f"item {item_id} not found in project {plan.project_id}", field="item_id")
        raise stale_item(item_id, plan.expected_version, current)
    restart_if_reopened(session, actor, plan.project_id, item_id, plan.status_before, plan.status)  # a new round
    for aid, values in plan.updates:
        session.execute(
            update(_ANNOTATIONS_TABLE).where(_A.id == aid).values(version=_A.version + 1, updated_at=now, **values)
        )
    if plan.inserts:
        # One executemany of a constant statement: building ``insert(Annotation).values(**row)`` per row (bind
        # parameters, ORM bookkeeping, cache key over every value) cost more than the database's own work.
        # Inserted before the delete, as before, so SQLite never reuses a deleted row's id.
        session.execute(insert(_ANNOTATIONS_TABLE), [{**r, "created_at": now, "updated_at": now} for r in plan.inserts])
    if plan.deletes:
        # executemany of one constant statement; an IN list is compiled anew for every length.
        session.execute(delete(_ANNOTATIONS_TABLE).where(_A.id == bindparam("gone_id")),
                        [{"gone_id": aid} for aid in plan.deletes])  # fmt: skip
    version = plan.expected_version + 1
    maybe_retrain(session, plan.project_id)  # queues a training job after every retrain_every new labels
    audit.record(
        session,
        actor,
        "annotations.replace",
        "item",
        item_id,
        project_id=plan.project_id,
        detail={
            "added": len(plan.inserts),
            "updated": len(plan.updates),
            "deleted": len(plan.deletes),
            "version": version,
            **({"status": [plan.status_before, plan.status]} if plan.status != plan.status_before else {}),
        },
    )
    return version


def replace_annotations(
    session: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    expected_version: int,
    annotations: list[AnnotationInput],
    status: ItemStatus | None = None,
) -> SaveResult:
    """Replace all of an item's annotations if the item is still at ``expected_version``, in one transaction.

    Annotations with an ``id`` are updated in place (their own ``version`` goes up when they change), new ones
    are inserted and missing ones deleted. Moving an annotation's state to accepted or rejected is a review
    action and needs the reviewer role. A stale version raises ConflictError (HTTP 409) and writes nothing.
    The API does the same in two transactions (:func:`plan_save` reading, :func:`apply_save` writing).
    """
    plan = plan_save(session, actor, project_id, item_id, expected_version=expected_version,
                     annotations=annotations, status=status)  # fmt: skip
    version = apply_save(session, actor, plan)
    return SaveResult(version, list_annotations(session, item_id), len(plan.inserts), len(plan.updates),
                      len(plan.deletes))  # fmt: skip
