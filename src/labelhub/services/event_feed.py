"""The event feed: committed audit events after a cursor, for the consumers that act on them as they happen
(the browser's live event stream, project webhooks, alert rules).

The audit log is the outbox (every write records its event in its own transaction, see
:mod:`labelhub.services.audit`), so a consumer only ever sees writes that committed. Its ids are not always
committed in order: on PostgreSQL two transactions take ids 11 and 12 from the sequence, and 12 may commit
first. A reader that moved its cursor to 12 would never see 11. :func:`horizon` therefore stops before the
first missing id until that gap has lasted :data:`GAP_WAIT` seconds (judged by the time of the event after it):
a transaction still open fills it, and a rolled-back one (PostgreSQL never reuses the id) is passed over then.
SQLite has one writer at a time, so its ids commit in order and it has no such gaps. Written here: the
libraries that tail a table (Debezium, pg logical decoding) need a server-side setup that SQLite lacks.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.storage.models import AuditEvent

__all__ = ["GAP_WAIT", "FeedEvent", "horizon", "last_id", "matches", "read_after"]

GAP_WAIT = 10.0  # seconds a missing id holds the feed back before it counts as rolled back
_SCAN = 2_000  # ids looked at per horizon call


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One committed audit event: who (``user_id``; ``actor`` is their name at the time) did ``action`` to
    which object, in which project, and ``detail`` as the audit log recorded it."""

    id: int
    at: datetime
    project_id: int | None
    action: str
    object_type: str
    object_id: str | None
    user_id: int | None
    actor: str | None
    detail: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """The event as JSON-ready data: what the event stream and webhooks send (``detail`` without ``actor``,
        which is a field of its own)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "project_id": self.project_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "user_id": self.user_id,
            "actor": self.actor,
            "detail": self.detail,
        }


def last_id(session: Session) -> int:
    """The newest audit event id (0 on an empty log): where a new consumer starts, so it sees no backlog."""
    return int(session.scalar(select(func.max(AuditEvent.id))) or 0)


def horizon(session: Session, after: int, *, now: datetime | None = None) -> int:
    """The highest id up to which every event after ``after`` is committed, or known never to come.

    Walks the ids after ``after`` in order and stops before the first gap that is younger than
    :data:`GAP_WAIT`; returns ``after`` when nothing can be read yet.
    """
    now = now or datetime.now(UTC)
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.at).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(_SCAN)
    ).all()
    settled = now - timedelta(seconds=GAP_WAIT)
    expected, reached = after + 1, after
    for event_id, at in rows:
        if event_id != expected and _aware(at) > settled:
            break
        reached, expected = event_id, event_id + 1
    return reached


def read_after(
    session: Session,
    after: int,
    *,
    project_id: int | None = None,
    projects: Collection[int] | None = None,
    actions: Collection[str] | None = None,
    limit: int = 500,
    now: datetime | None = None,
) -> tuple[list[FeedEvent], int]:
    """Events after ``after`` up to the :func:`horizon`, oldest first (at most ``limit``), and the cursor to pass
    next time: the last id returned, or the horizon when nothing in ``project_id`` lay before it (so a quiet
    project's cursor still moves on past other projects' events). ``projects`` and ``actions`` narrow it further:
    events of any of these projects, with one of these exact actions."""
    top = horizon(session, after, now=now)
    if top <= after:
        return [], after
    query = select(AuditEvent).where(AuditEvent.id > after, AuditEvent.id <= top)
    if project_id is not None:
        query = query.where(AuditEvent.project_id == project_id)
    if projects is not None:
        query = query.where(AuditEvent.project_id.in_(list(projects)))
    if actions is not None:
        query = query.where(AuditEvent.action.in_(list(actions)))
    rows = session.scalars(query.order_by(AuditEvent.id).limit(limit)).all()
    events = [_feed_event(row) for row in rows]
    cursor = events[-1].id if len(events) == limit else top
    return events, cursor


def matches(action: str, patterns: Sequence[str]) -> bool:
    """True when ``action`` matches one of ``patterns``: ``*`` (every action), ``item.*`` (every action of a
    kind of object) or an exact action (``item.approve``)."""
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in patterns)


def _feed_event(row: AuditEvent) -> FeedEvent:
    detail = dict(row.detail or {})
    actor = detail.pop("actor", None)
    return FeedEvent(
        id=row.id,
        at=_aware(row.at),
        project_id=row.project_id,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        user_id=row.user_id,
        actor=actor if isinstance(actor, str) else None,
        detail=detail,
    )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
