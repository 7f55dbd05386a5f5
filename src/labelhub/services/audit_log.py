"""Reading the audit log: a project's events for its managers and owners, every event for administrators.

:mod:`labelhub.services.audit` writes the log (one row per write, in the write's transaction); this module only
reads it, newest first, a keyset page at a time (``after``: events older than this id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.errors import PermissionDenied, ValidationError
from labelhub.services.access import Actor, require
from labelhub.storage.models import AuditEvent, User

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which events to list; every field left at None matches every event.

    ``action`` is an exact action (``item.approve``) or, ending in a dot, a prefix (``annotations.``).
    ``since`` and ``until`` bound the event's time (both included); a time without a zone is taken as UTC.
    """

    action: str | None = None
    user_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event with the name of the user behind it (None for the system, or a user deleted since)."""

    id: int
    at: datetime
    user_id: int | None
    username: str | None
    project_id: int | None
    action: str
    object_type: str
    object_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEntry]
    next_after: int | None  # pass as ``after`` for the next (older) page; None on the last page


def list_events(
    session: Session,
    actor: Actor,
    *,
    project_id: int | None = None,
    whole_log: bool = False,
    filters: AuditFilter | None = None,
    after: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> AuditPage:
    """Return a page of audit events, newest first.

    With ``whole_log`` (administrators only) every event, optionally narrowed to ``project_id`` (which may name a
    deleted project: its history outlives it). Without it, the events of ``project_id``, which needs the project's
    manager or owner role (a non-member gets 404, as on every project route).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}", field="limit")
    if whole_log:
        if not actor.is_admin:
            raise PermissionDenied("reading the whole audit log needs an administrator", field="role")
    elif project_id is None:
        raise ValidationError("name the project whose audit log to read", field="project_id")
    else:
        require(session, actor, project_id, Action.AUDIT, doing="reading the audit log")

    stmt = (
        select(AuditEvent, User.username)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if project_id is not None:
        stmt = stmt.where(AuditEvent.project_id == project_id)
    if after is not None:
        stmt = stmt.where(AuditEvent.id < after)
    f = filters or AuditFilter()
    if f.action:
        if f.action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == f.action)
    if f.user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == f.user_id)
    if f.object_type is not None:
        stmt = stmt.where(AuditEvent.object_type == f.object_type)
    if f.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == f.object_id)
    if f.since is not None:
        stmt = stmt.where(AuditEvent.at >= _utc(f.since))
    if f.until is not None:
        stmt = stmt.where(AuditEvent.at <= _utc(f.until))

    rows = session.execute(stmt).all()
    events = [_entry(ev, name) for ev, name in rows[:limit]]
    return AuditPage(events, events[-1].id if len(rows) > limit else None)


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _entry(ev: AuditEvent, username: str | None) -> AuditEntry:
    return AuditEntry(
        id=ev.id,
        at=ev.at,
        user_id=ev.user_id,
        username=username,
        project_id=ev.project_id,
        action=ev.action,
        object_type=ev.object_type,
        object_id=ev.object_id,
        detail=dict(ev.detail or {}),
    )
