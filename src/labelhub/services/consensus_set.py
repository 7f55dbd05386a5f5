"""Putting items under consensus (``Item.overlap``) and taking them out: see :mod:`labelhub.services.consensus`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from labelhub.domain.consensus import MAX_OVERLAP, OPEN
from labelhub.domain.enums import AnnotationState, ItemKind
from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.consensus import _submitted_counts_all
from labelhub.services.items import ItemFilter, filtered_items, specs_for
from labelhub.storage.models import Annotation, Item, utcnow
from labelhub.storage.team_models import ConsensusReplica

__all__ = ["MAX_IDS", "OverlapResult", "set_overlap"]

MAX_IDS = 10_000  # explicit ids per request, as for the other bulk changes; a filter has no limit
_R = ConsensusReplica
_SHOWN_IDS = 100  # the audit event lists the item ids of a call this small


@dataclass(frozen=True, slots=True)
class OverlapResult:
    """What :func:`set_overlap` did: items now at ``overlap``, and why the others were left as they were."""

    overlap: int
    changed: list[int]
    skipped: dict[str, list[int]] = field(default_factory=dict)  # reason -> item ids


def _selected(session: Session, project_id: int, item_ids: Sequence[int] | None, f: ItemFilter | None,
              specs: Any) -> list[tuple[int, int, str]]:  # fmt: skip
    """The selected items' (id, overlap, status), in id order; ids not in the project are a ValidationError."""
    if (item_ids is None) == (f is None):
        raise ValidationError("give either item_ids or filter (the item list's filters)", field="item_ids")
    cols = (Item.id, Item.overlap, Item.status)
    if f is not None:
        stmt = filtered_items(project_id, f, specs).with_only_columns(*cols, maintain_column_froms=True)
        return [(r[0], r[1] or 0, r[2]) for r in session.execute(stmt)]
    wanted = sorted(set(item_ids or ()))
    if not wanted:
        raise ValidationError("select at least one item", field="item_ids")
    if len(wanted) > MAX_IDS:
        raise ValidationError(f"at most {MAX_IDS:,} item ids at once, got {len(wanted):,}; use a filter instead",
                              field="item_ids")  # fmt: skip
    rows: list[tuple[int, int, str]] = []
    for start in range(0, len(wanted), 5000):
        q = select(*cols).where(Item.project_id == project_id, Item.id.in_(wanted[start : start + 5000]))
        rows += [(r[0], r[1] or 0, r[2]) for r in session.execute(q.order_by(Item.id))]
    if len(rows) != len(wanted):
        missing = sorted(set(wanted) - {r[0] for r in rows})[:10]
        raise ValidationError(f"items {', '.join(map(str, missing))} are not in project {project_id}",
                              field="item_ids")  # fmt: skip
    return rows


def set_overlap(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    overlap: int,
    item_ids: Sequence[int] | None = None,
    item_filter: ItemFilter | None = None,
) -> OverlapResult:
    """Put items under consensus (``overlap`` 2..10 people label each), or take them out (0 or 1), in one
    transaction with one ``consensus.set`` audit event.

    Only items not labelled yet (status new or in progress, no accepted label) change; items already labelled, or
    already holding more submitted replicas than the new overlap (or any, to take them out), are skipped and
    reported. Consensus works on image and text projects (class tags, boxes, polygons, spans): a video or volume
    project is refused (field ``overlap``).
    """
    project = require(session, actor, project_id, Action.CONSENSUS, doing="putting items under consensus")
    if not 0 <= overlap <= MAX_OVERLAP:
        raise ValidationError(f"overlap must be 2..{MAX_OVERLAP} people (0 or 1: an ordinary item), got {overlap}",
                              field="overlap")  # fmt: skip
    if project.item_kind not in (ItemKind.IMAGE.value, ItemKind.TEXT.value):
        raise ValidationError(
            f"consensus labelling merges class tags, boxes, polygons and spans of image and text items; this is a"
            f" {project.item_kind} project, whose tracks, masks and slices are not merged",
            field="overlap",
        )
    specs = specs_for(session, project, item_filter) if item_filter is not None else ()
    rows = _selected(session, project_id, item_ids, item_filter, specs)
    ids = [r[0] for r in rows]
    labelled = _labelled(session, project_id, ids)
    counts = _submitted_counts_all(session, ids)
    target = overlap if overlap >= 2 else 0
    result = OverlapResult(target, [])
    for item_id, before, status in rows:
        if status not in OPEN or item_id in labelled:
            result.skipped.setdefault("already labelled", []).append(item_id)
        elif target == 0 and counts.get(item_id, 0) > 0:
            result.skipped.setdefault("replicas already submitted", []).append(item_id)
        elif target and counts.get(item_id, 0) >= target:
            result.skipped.setdefault("as many replicas already submitted", []).append(item_id)
        elif before != target:
            result.changed.append(item_id)
    now = utcnow()
    for start in range(0, len(result.changed), 5000):
        chunk = result.changed[start : start + 5000]
        session.execute(update(Item).where(Item.id.in_(chunk))
                        .values(overlap=target, version=Item.version + 1, updated_at=now)
                        .execution_options(synchronize_session=False))  # fmt: skip
        if target == 0:  # drafts of an item taken out of consensus go with it
            session.execute(delete(_R).where(_R.item_id.in_(chunk)))
    audit.record(session, actor, "consensus.set", "project", project_id, project_id=project_id,
                 detail={"overlap": target, "changed": len(result.changed),
                         "skipped": {k: len(v) for k, v in result.skipped.items()},
                         **({"item_ids": result.changed} if len(result.changed) <= _SHOWN_IDS else {})})  # fmt: skip
    return result


def _labelled(session: Session, project_id: int, ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        q = select(Annotation.item_id).where(
            Annotation.project_id == project_id, Annotation.item_id.in_(ids[start : start + 5000]),
            Annotation.state == AnnotationState.ACCEPTED.value,
        ).distinct()  # fmt: skip
        out.update(session.scalars(q))
    return out
