"""Accepting a model's proposals on many items at once: a reviewer's decision over a grid selection.

What the editor's "accept" does for one proposal, done for every open proposal (source ``model``, state
``proposed``) of the chosen items, optionally only those scoring at least ``min_score``: the proposal becomes
accepted and stays the model's (``reviewed_by`` is the reviewer, so the model's report counts it accepted
unchanged), and the item becomes ``labeled`` (a reviewed or rejected item keeps its status) with a new version, so
an editor that still holds the item is told to reload on save.

A class proposal is left alone on an item that already has an accepted class label (a person's, or one accepted
before): two classes on one item would be a new label nobody chose. Those are counted as skipped. Track boxes are
not proposals of this kind (a track is edited through the video routes) and are never touched.

Filters narrow the proposals: ``label`` (one class), ``model_version`` (one version's ``name@version``, or
``interpolation``, the masks "fill between slices" made) and ``min_score`` (a proposal without a score never
passes it). ``reject=True`` rejects the chosen proposals instead (``reviewed_by`` the reviewer, so the report
counts them reviewed): the items keep their status and get a new version. ``dry_run=True`` counts what would
change and writes nothing (the volume editor shows the count on its buttons).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemStatus, Source
from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.retrain import maybe_retrain
from labelhub.storage.models import Annotation, Item, utcnow

__all__ = ["MAX_ITEMS", "Accepted", "accept_proposals"]

MAX_ITEMS = 10_000
_OPEN = (Annotation.source == Source.MODEL.value, Annotation.state == AnnotationState.PROPOSED.value)
_KEEP_STATUS = frozenset({ItemStatus.REVIEWED.value, ItemStatus.REJECTED.value})


@dataclass(frozen=True, slots=True)
class Accepted:
    items: int  # items with at least one proposal accepted (or rejected)
    accepted: int  # proposals accepted
    skipped: int  # class proposals left open: their item already has an accepted class label
    rejected: int = 0  # proposals rejected


def accept_proposals(
    session: Session,
    actor: Actor,
    project_id: int,
    item_ids: Iterable[int],
    *,
    min_score: float | None = None,
    label: str | None = None,
    model_version: str | None = None,
    reject: bool = False,
    dry_run: bool = False,
) -> Accepted:
    """Accept (``reject``: reject) the open proposals of the project's items ``item_ids`` that pass the filters, in
    the caller's transaction; needs the reviewer role. Every id must be the project's, or nothing changes."""
    require(session, actor, project_id, Action.REVIEW, doing="rejecting proposals" if reject else "accepting proposals")
    wanted = sorted(set(item_ids))
    if not wanted:
        raise ValidationError("select at least one item", field="item_ids")
    if len(wanted) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS:,} items at once, got {len(wanted):,}", field="item_ids")
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise ValidationError(f"min_score must be in [0, 1], got {min_score}", field="min_score")
    found = set(session.scalars(select(Item.id).where(Item.project_id == project_id, Item.id.in_(wanted))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationError(f"items {missing[:10]} not in project {project_id}; nothing was accepted",
                              field="item_ids")  # fmt: skip
    rows = session.execute(
        select(Annotation.id, Annotation.item_id, Annotation.kind).where(
            Annotation.project_id == project_id, Annotation.item_id.in_(wanted), *_OPEN,
            Annotation.kind != AnnotationKind.TRACK_BOX.value,
            *([Annotation.score >= min_score] if min_score is not None else []),
            *([Annotation.label == label] if label is not None else []),
            *([Annotation.model_version == model_version] if model_version is not None else []),
        )
    ).all()  # fmt: skip
    if reject:
        return _reject(session, actor, project_id, rows, dry_run=dry_run,
                       detail={"label": label, "model_version": model_version, "min_score": min_score})  # fmt: skip
    classed = set(session.scalars(select(Annotation.item_id).distinct().where(
        Annotation.project_id == project_id, Annotation.item_id.in_(wanted),
        Annotation.kind == AnnotationKind.CLASS.value, Annotation.state == AnnotationState.ACCEPTED.value,
    )))  # fmt: skip
    chosen: dict[int, list[int]] = {}
    skipped = 0
    for aid, item_id, kind in sorted(rows, key=lambda r: r[0]):
        if kind == AnnotationKind.CLASS.value:
            if item_id in classed:  # one class per item: the first open class proposal, unless it has one
                skipped += 1
                continue
            classed.add(item_id)
        chosen.setdefault(item_id, []).append(aid)
    result = Accepted(len(chosen), sum(map(len, chosen.values())), skipped)
    if dry_run:
        return result
    if chosen:
        _write(session, actor, project_id, chosen)
    detail = {"items": result.items, "accepted": result.accepted, "skipped": skipped, "min_score": min_score,
              "label": label, "model_version": model_version}  # fmt: skip
    kept = {k: v for k, v in detail.items() if v is not None or k == "min_score"}
    audit.record(session, actor, "item.accept_proposals", "project", project_id, project_id=project_id, detail=kept)
    return result


def _reject(
    session: Session, actor: Actor, project_id: int, rows: Any, *, dry_run: bool, detail: dict[str, Any]
) -> Accepted:
    """Reject the proposals ``rows`` (id, item id, kind): the items keep their status and get a new version."""
    ids = sorted(r[0] for r in rows)
    items = sorted({r[1] for r in rows})
    result = Accepted(len(items), 0, 0, len(ids))
    if dry_run:
        return result
    now = utcnow()
    for chunk in _chunks(ids):
        session.execute(
            update(Annotation).where(Annotation.id.in_(chunk))
            .values(state=AnnotationState.REJECTED.value, reviewed_by=actor.user_id, version=Annotation.version + 1,
                    updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    for chunk in _chunks(items):
        session.execute(
            update(Item).where(Item.id.in_(chunk)).values(version=Item.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    counts = {"items": len(items), "rejected": len(ids)}
    audit.record(session, actor, "item.reject_proposals", "project", project_id, project_id=project_id,
                 detail={**counts, **{k: v for k, v in detail.items() if v is not None}})  # fmt: skip
    return result


def _chunks(ids: list[int], size: int = 5_000) -> list[list[int]]:
    """``ids`` in runs short enough for one IN list (SQLite binds at most 32,766 values per statement)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _write(session: Session, actor: Actor, project_id: int, chosen: dict[int, list[int]]) -> None:
    now = utcnow()
    accept = {"state": AnnotationState.ACCEPTED.value, "reviewed_by": actor.user_id,
              "version": Annotation.version + 1, "updated_at": now}  # fmt: skip
    for ids in _chunks([aid for aids in chosen.values() for aid in aids]):
        session.execute(
            update(Annotation).where(Annotation.id.in_(ids)).values(**accept)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    for items in _chunks(list(chosen)):
        session.execute(
            update(Item).where(Item.id.in_(items), Item.status.not_in(_KEEP_STATUS))
            .values(status=ItemStatus.LABELED.value, version=Item.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        session.execute(
            update(Item).where(Item.id.in_(items), Item.status.in_(_KEEP_STATUS))
            .values(version=Item.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    maybe_retrain(session, project_id)  # bulk labels count towards the next retraining, as saves do
