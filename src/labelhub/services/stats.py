"""Counts of a project's items and annotations, by kind, label, source, state and status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    }
