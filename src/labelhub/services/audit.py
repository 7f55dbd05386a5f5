"""The audit log: every write records who did what to which object."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from labelhub.services.access import Actor
from labelhub.storage.models import AuditEvent, utcnow

_AUDIT_TABLE = cast(Table, AuditEvent.__table__)


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
    # A constant statement with the row as parameters: ``insert(AuditEvent).values(...)`` built bind
    # parameters and a cache key over every value on each call, which cost more than the insert itself.
    session.execute(
        insert(_AUDIT_TABLE),
        {
            "at": utcnow(),
            "user_id": actor.user_id,
            "project_id": project_id,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "detail": {"actor": actor.username, **(detail or {})},
        },
    )
