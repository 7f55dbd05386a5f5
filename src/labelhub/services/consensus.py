"""Consensus labelling: ``k`` people label an item independently, then their labels are merged.

A manager puts items under consensus (:mod:`.consensus_set`: ``Item.overlap = k``, 2..10). While such an item
is not merged yet (status new or in progress), the editor's ordinary annotation routes work on the caller's own
*replica* (:class:`~labelhub.storage.team_models.ConsensusReplica`): :func:`read_own` gives back only the caller's
labels (nobody sees another person's), :func:`save_own` stores them, checked exactly as ordinary annotations and
guarded by the replica's own version (409 when stale). Saving with ``status: "labeled"`` submits the replica.
When the k-th replica is submitted, the item is merged in the same transaction (:mod:`.consensus_merge`): the
merged labels become the item's annotations (source human, votes in their attributes), its status ``labeled``
(the review queue takes it from there) and ``meta["agreement"]`` its agreement (0..1). A manager may merge early
with the replicas submitted so far (:func:`force_merge`, at least two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub.domain.agreement import CONSENSUS_KINDS
from labelhub.domain.consensus import MAX_OVERLAP, OPEN, under_consensus
from labelhub.domain.enums import AnnotationState, ItemStatus, Source
from labelhub.domain.permissions import Action
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, check_item_access, project_schema, require
from labelhub.services.annotations import _FACTS, AnnotationInput, _ItemFacts, _validated_row
from labelhub.services.consensus_apply import merge_item
from labelhub.storage.models import Item, utcnow
from labelhub.storage.team_models import ConsensusReplica

__all__ = [
    "MAX_OVERLAP",
    "OPEN",
    "ConsensusState",
    "ReplicaView",
    "force_merge",
    "not_submitted_by",
    "read_own",
    "routed",
    "save_own",
    "submitted_counts",
    "under_consensus",
]

_I = cast(Table, Item.__table__).c
_R = ConsensusReplica


@dataclass(frozen=True, slots=True)
class ConsensusState:
    """What the editor shows of an item under consensus: how many people label it, how many submitted, and
    whether the caller did (``merged``: this save was the last one and the item is merged now)."""

    overlap: int
    submitted_count: int
    you_submitted: bool
    merged: bool = False


@dataclass(frozen=True, slots=True)
class ReplicaView:
    """The caller's replica in the shape of the item's annotations (the AnnotationsPublic body)."""

    item_id: int
    version: int
    annotations: list[dict[str, Any]]
    consensus: ConsensusState


def _submitted_count(session: Session, item_id: int) -> int:
    q = select(func.count()).select_from(_R).where(_R.item_id == item_id, _R.submitted.is_(True))
    return int(session.scalar(q) or 0)


def _public(item_id: int, user_id: int | None, rows: Sequence[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
    """A replica's annotations as the editor reads annotations: ids by position, a person's accepted labels."""
    return [
        {
            "id": a.get("id", i + 1),
            "item_id": item_id,
            "kind": a["kind"],
            "label": a.get("label"),
            "geometry": a.get("geometry", {}),
            "frame": None,
            "track_id": None,
            "source": Source.HUMAN.value,
            "model_version": None,
            "score": None,
            "state": AnnotationState.ACCEPTED.value,
            "attributes": a.get("attributes", {}),
            "author_id": user_id,
            "reviewed_by": None,
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }
        for i, a in enumerate(rows)
    ]


def _own(session: Session, item_id: int, user_id: int | None) -> ConsensusReplica | None:
    if user_id is None:
        return None
    return session.scalar(select(_R).where(_R.item_id == item_id, _R.user_id == user_id))


def _view(session: Session, item_id: int, overlap: int, user_id: int | None) -> ReplicaView:
    mine = _own(session, item_id, user_id)
    state = ConsensusState(overlap, _submitted_count(session, item_id), bool(mine and mine.submitted))
    if mine is None:
        return ReplicaView(item_id, 0, [], state)
    return ReplicaView(item_id, mine.version, _public(item_id, user_id, mine.annotations, mine.updated_at), state)


def _lock(session: Session, project_id: int, item_id: int) -> None:
    """Hold the item's row until the transaction ends (PostgreSQL; SQLite's one writer serialises anyway): two
    people submitting at the same moment must not both count one submission short of the merge."""
    session.execute(select(Item.id).where(Item.id == item_id, Item.project_id == project_id).with_for_update())


def routed(session: Session, project_id: int, item_id: int) -> bool:
    """True when the item's annotation routes work on each person's replica (one small read by primary key)."""
    row = session.execute(
        select(Item.overlap, Item.status).where(Item.id == item_id, Item.project_id == project_id)
    ).first()
    return row is not None and under_consensus(row.overlap, row.status)


def read_own(session: Session, actor: Actor, project_id: int, item_id: int) -> ReplicaView | None:
    """Return the caller's own replica of an item under consensus (version 0 and no labels before their first
    save), or None when the item is not under consensus (its ordinary annotations apply)."""
    _, _, (overlap, status) = check_item_access(session, actor, project_id, item_id, Action.READ,
                                                [_I.overlap, _I.status])  # fmt: skip
    if not under_consensus(overlap, status):
        return None
    return _view(session, item_id, overlap, actor.user_id)


def _checked_rows(
    schema: LabelSchema, item: _ItemFacts, annotations: Sequence[AnnotationInput], before: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Validate a replica's annotations exactly as an ordinary save does (kinds, labels, attributes, geometry), as
    a person's own new labels; keep what the merge needs (kind, label, geometry, attributes) and an id: the one
    the annotation had in ``before`` (the stored replica), or the next free one, as the editor expects of ids."""
    known = {a["id"] for a in before if isinstance(a.get("id"), int)}
    next_id = max(known, default=0)
    rows: list[dict[str, Any]] = []
    for i, a in enumerate(annotations):
        if a.kind not in CONSENSUS_KINDS:
            raise ValidationError(
                f"annotations[{i}]: consensus labelling merges class tags, boxes, polygons and spans; a "
                f"{a.kind.value} cannot be labelled by several people here",
                field=f"annotations[{i}].kind",
            )
        if a.frame is not None or a.track_id is not None:
            raise ValidationError(f"annotations[{i}]: an item under consensus has no frames or tracks",
                                  field=f"annotations[{i}].frame")  # fmt: skip
        own = replace(a, id=None, source=None, state=None, score=None, model_version=None)
        row = _validated_row(own, i, schema, item, None)
        if a.id in known:
            aid = a.id
        else:
            next_id += 1
            aid = next_id
        known.discard(aid)
        rows.append({"id": aid, "kind": row["kind"], "label": row["label"], "geometry": row["geometry"],
                     "attributes": row["attributes"]})  # fmt: skip
    return rows


def _submit_flag(status: ItemStatus | None, before: bool) -> bool:
    if status is None:
        return before
    if status is ItemStatus.LABELED:
        return True
    if status.value in OPEN:
        return False
    raise ValidationError(
        f"an item under consensus is reviewed after its replicas are merged; save your labels with status labeled"
        f" to submit them, not {status.value}",
        field="status",
    )


def save_own(
    session: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    expected_version: int,
    annotations: Sequence[AnnotationInput],
    status: ItemStatus | None = None,
) -> ReplicaView | None:
    """Store the caller's replica of an item under consensus (None: the item is not under consensus; save it the
    ordinary way), in the current write transaction.

    ``expected_version`` is the replica's version the caller read (0 before their first save): a stale one raises
    ConflictError (409) and writes nothing. ``status`` labeled submits the replica, new or in_progress takes the
    submission back, None keeps it. When this submission is the k-th, the item is merged here too, and the view
    says so (``consensus.merged``; its annotations are then the item's merged ones, at the item's version).
    """
    _lock(session, project_id, item_id)
    project, _, facts = check_item_access(session, actor, project_id, item_id, Action.ANNOTATE,
                                          [*_FACTS, _I.overlap])  # fmt: skip
    item, overlap = _ItemFacts(*facts[:-1]), int(facts[-1] or 0)
    if not under_consensus(overlap, item.status):
        return None
    if actor.user_id is None:
        raise ValidationError("a replica is one person's labels: log in as a member to label", field="annotations")
    mine = _own(session, item_id, actor.user_id)
    rows = _checked_rows(project_schema(session, project), item, annotations, mine.annotations if mine else [])
    current = mine.version if mine is not None else 0
    if expected_version != current:
        raise ConflictError(
            f"your labels of item {item_id} were saved elsewhere since (you had version {expected_version}, they are"
            f" now at {current}); reload the item",
            field="version",
            current_version=current,
        )
    was = bool(mine and mine.submitted)
    submitted = _submit_flag(status, was)
    now = utcnow()
    if mine is None:
        try:
            with session.begin_nested():
                session.execute(insert(_R).values(item_id=item_id, project_id=project_id, user_id=actor.user_id,
                                                  annotations=rows, submitted=submitted, version=1, created_at=now,
                                                  updated_at=now))  # fmt: skip
        except IntegrityError as exc:  # the same person's other tab saved first
            raise ConflictError(f"your labels of item {item_id} were saved elsewhere since; reload the item",
                                field="version", current_version=1) from exc  # fmt: skip
    else:
        done = session.execute(
            update(_R).where(_R.id == mine.id, _R.version == expected_version)
            .values(annotations=rows, submitted=submitted, version=_R.version + 1, updated_at=now)
        )  # fmt: skip
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise ConflictError(f"your labels of item {item_id} were saved elsewhere since; reload the item",
                                field="version", current_version=current + 1)  # fmt: skip
        session.expire(mine)
    count = _submitted_count(session, item_id)
    if submitted != was:
        audit.record(session, actor, "consensus.submit", "item", item_id, project_id=project_id,
                     detail={"submitted": submitted, "submitted_count": count, "overlap": overlap})  # fmt: skip
    if submitted and count >= overlap:
        version, merged = merge_item(session, actor, project_id, item_id, forced=False)
        return ReplicaView(item_id, version, merged, ConsensusState(overlap, count, True, merged=True))
    return _view(session, item_id, overlap, actor.user_id)


def force_merge(session: Session, actor: Actor, project_id: int, item_id: int) -> int:
    """Merge an item under consensus now, with the replicas submitted so far (a manager's; at least two), and
    return the item's new version."""
    require(session, actor, project_id, Action.CONSENSUS, doing="merging an item's replicas")
    _lock(session, project_id, item_id)
    found = session.execute(select(Item.overlap, Item.status).where(Item.id == item_id, Item.project_id == project_id))
    row = found.first()
    if row is None:
        raise NotFoundError(f"item {item_id} not found in project {project_id}", field="item_id")
    if not under_consensus(row.overlap, row.status):
        raise ValidationError(f"item {item_id} is not waiting for a consensus merge (it is {row.status}, overlap"
                              f" {row.overlap})", field="item_id")  # fmt: skip
    count = _submitted_count(session, item_id)
    if count < 2:
        raise ValidationError(f"item {item_id} has {count} submitted replica{'s' if count != 1 else ''}; a merge"
                              " needs at least 2", field="item_id")  # fmt: skip
    return merge_item(session, actor, project_id, item_id, forced=True)[0]


def _submitted_counts_all(session: Session, ids: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for start in range(0, len(ids), 5000):
        q = (select(_R.item_id, func.count()).where(_R.item_id.in_(ids[start : start + 5000]), _R.submitted.is_(True))
             .group_by(_R.item_id))  # fmt: skip
        out.update({r[0]: int(r[1]) for r in session.execute(q)})
    return out


def submitted_counts(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    """Return item id -> replicas submitted, for the grid's "2/3" (items without any left out)."""
    return _submitted_counts_all(session, item_ids) if item_ids else {}


def not_submitted_by(user_id: int) -> ColumnElement[bool]:
    """The condition on :class:`Item` for the labelling queue: the user has not submitted a replica of it (an
    item under consensus goes to ``overlap`` different people, never twice to the same one)."""
    return ~exists().where(_R.item_id == Item.id, _R.user_id == user_id, _R.submitted.is_(True))
