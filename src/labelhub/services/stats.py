"""Counts of a project's items and annotations, by kind, label, source, state and status.

``by_label`` counts every annotation row (a track is one row per frame, a proposal counts like a label);
``labels`` says per label how many are accepted, proposed and rejected, and how many tracks there are, which is
what the project page shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.permissions import Action
from labelhub.services.access import Actor, require
from labelhub.storage.models import Annotation, Item


def project_stats(session: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """Return item counts (total, by status) and annotation counts (total, by kind, label, source, state)."""
    project = require(session, actor, project_id, Action.READ)

    def grouped(column: Any, table: Any) -> dict[str, int]:
        rows = session.execute(
            select(column, func.count()).select_from(table).where(table.project_id == project_id).group_by(column)
        ).all()
        return {str(k): int(n) for k, n in sorted(rows, key=lambda r: (-r[1], str(r[0])))}

    by_status = grouped(Item.status, Item)
    by_kind = grouped(Annotation.kind, Annotation)
    return {
        "project": project.name,
        "items": {"total": sum(by_status.values()), "by_status": by_status},
        "annotations": {
            "total": sum(by_kind.values()),
            "by_kind": by_kind,
            "by_label": grouped(Annotation.label, Annotation),
            "by_source": grouped(Annotation.source, Annotation),
            "by_state": grouped(Annotation.state, Annotation),
        },
        "labels": _labels(session, project_id),
    }


def _labels(session: Session, project_id: int) -> dict[str, dict[str, int]]:
    """{label: {accepted, proposed, rejected, tracks}} (labelled annotations only)."""
    a = Annotation
    out: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(a.label, a.state, func.count()).where(a.project_id == project_id, a.label.is_not(None))
        .group_by(a.label, a.state)
    )  # fmt: skip
    for label, state, n in rows:
        out.setdefault(str(label), {"accepted": 0, "proposed": 0, "rejected": 0, "tracks": 0})[str(state)] = int(n)
    tracks = (
        select(a.label, a.item_id, a.track_id)
        .where(a.project_id == project_id, a.kind == AnnotationKind.TRACK_BOX.value, a.label.is_not(None))
        .distinct()
        .subquery()
    )
    for label, n in session.execute(select(tracks.c.label, func.count()).group_by(tracks.c.label)):
        out.setdefault(str(label), {"accepted": 0, "proposed": 0, "rejected": 0, "tracks": 0})["tracks"] = int(n)
    return out
