"""The audit log: every write records who did what to which object."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from labelhub.services.access import Actor
from labelhub.storage.models import AuditEvent, utcnow


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    *,
    project_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the current transaction, so it commits or rolls back with the write."""
    session.execute(
        insert(AuditEvent).values(
            at=utcnow(),
            user_id=actor.user_id,
            project_id=project_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail={"actor": actor.username, **(detail or {})},
        )
    )
