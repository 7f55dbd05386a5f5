"""A user's alerts across projects as one live stream (``GET /alerts/events``), for the sidebar's bell.

The stream carries ``alert.raised`` and ``alert.ack`` of every project whose alerts the user reads (reviewer or
above; an administrator: every project) and runs on the project streams' machinery (:func:`.live_events.source_stream`:
the shared feed, the framing, ``Last-Event-ID`` resume, the keep-alives, the per-user count, the end after a few
minutes). Its :class:`AlertSource` reads the user's projects when it opens, again at each access check (every
:attr:`.StreamLimits.recheck_seconds`, which also ends the stream when the session stops working), and again
before it sends a batch when that list is older than :data:`PROJECTS_SECONDS`: a member removed from a project (or
made a viewer) gets none of its alerts from then on, and a new one gets them within one access check.

Every reader of the stream may read these alerts (``GET /projects/{pid}/alerts``), so the events come whole
(``detail``: ``alert_id``, ``kind``, ``severity``, ``title``; an acknowledgement: ``count``, ``all``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import Role
from labelhub.domain.permissions import MINIMUM_ROLE, Action
from labelhub.errors import AuthenticationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.event_feed import FeedEvent
from labelhub.services.live_feed import Scope, SharedFeed
from labelhub.services.users import actor_for, resolve_token_with_expiry
from labelhub.storage.models import Membership

__all__ = ["ALERT_ACTIONS", "PROJECTS_SECONDS", "AlertSource", "alert_projects", "open_alert_source"]

ALERT_ACTIONS = frozenset({"alert.raised", "alert.ack"})
PROJECTS_SECONDS = 2.0  # a batch of alerts is sent only to a list of projects read at most this long ago


def alert_projects(session: Session, actor: Actor) -> frozenset[int] | None:
    """The projects whose alerts ``actor`` reads (reviewer or above), or None for an administrator (every one)."""
    if actor.is_admin:
        return None
    if actor.user_id is None:
        return frozenset()
    roles = [r.value for r in Role if r.at_least(MINIMUM_ROLE[Action.REVIEW])]
    query = select(Membership.project_id).where(Membership.user_id == actor.user_id, Membership.role.in_(roles))
    return frozenset(session.scalars(query))


@dataclass(slots=True)
class AlertSource:
    """The alerts of the user behind ``secret`` (a :class:`.live_events.StreamSource`)."""

    hub: Hub
    secret: str
    actor: Actor
    projects: frozenset[int] | None
    read_at: float
    clock: Callable[[], float] = field(default=time.monotonic)
    lost: bool = False

    def recheck(self) -> bool:
        """In a worker thread: read the user's projects again; False once the session no longer works."""
        with self.hub.db.session() as s:
            try:
                self.actor = actor_for(resolve_token_with_expiry(s, self.secret)[0])
            except AuthenticationError:
                self.lost = True
                return False
            self.projects = alert_projects(s, self.actor)
        self.read_at = self.clock()
        return True

    async def read(
        self, feed: SharedFeed, cursor: int, limiter: anyio.CapacityLimiter, clock: Callable[[], float]
    ) -> tuple[list[FeedEvent], int]:
        if self.lost:
            return [], cursor
        events, cursor = await feed.read_scope(self.hub, cursor, Scope(self.projects, ALERT_ACTIONS), limiter, clock)
        if events and self.clock() - self.read_at >= PROJECTS_SECONDS:
            if not await anyio.to_thread.run_sync(self.recheck, limiter=limiter):
                return [], cursor  # the next access check ends the stream
            if self.projects is not None:
                events = [e for e in events if e.project_id in self.projects]
        return events, cursor

    def body(self, event: FeedEvent) -> dict[str, Any]:
        return event.body()


def open_alert_source(session: Session, hub: Hub, secret: str) -> AlertSource:
    """The alert source of the user behind ``secret``; raises AuthenticationError as every route does."""
    actor = actor_for(resolve_token_with_expiry(session, secret)[0])
    return AlertSource(hub, secret, actor, alert_projects(session, actor), time.monotonic())
