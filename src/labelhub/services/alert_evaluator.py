"""The alert evaluator: a notifier task that reads the audit log after its cursor and applies each event's
project's active alert rules to it, raising alerts for the project's reviewers.

One cursor row (``event_cursors``, name ``alerts``) serves every server process. A step takes the row's lease (a
conditional UPDATE: free, expired or already ours; a short write transaction), reads a batch of events and runs
the rules' checks (a read transaction, so SQLite's writers never wait on them), then, in one write transaction,
moves the cursor on (only from where this step started, and only while the lease is still ours) and inserts the
alerts with their ``alert.raised`` audit events. So an alert goes out on the live stream and the webhooks like any
other write, and two processes never handle the same events: the lease keeps a second process out, and a process
whose lease ran out during its checks finds the cursor moved and writes nothing. A new evaluator (no cursor row)
starts at the newest event, so it raises nothing about the past.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from labelhub.domain.alert_kinds import AlertKind
from labelhub.errors import ConflictError
from labelhub.services import event_feed
from labelhub.services.alert_checks import backlog_draft, check_event
from labelhub.services.alerts import AlertDraft, raise_alert
from labelhub.storage.models import utcnow
from labelhub.storage.team_models import AlertRule, EventCursor

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["CURSOR", "AlertEvaluator"]

log = logging.getLogger("labelhub.alerts")
CURSOR = "alerts"
_QUIET = ("alert.raised", "alert.ack")  # the evaluator's own output and its answers never set a rule off


class AlertEvaluator:
    """The ``alerts`` notifier task (see :class:`labelhub.services.notifier.NotifierTask`).

    ``batch`` is how many events one step reads, ``lease_seconds`` how long a step's lease keeps other processes
    out (a process that dies lets go after that), ``clock`` the time of "now" (for tests).
    """

    name = "alerts"

    def __init__(
        self, *, batch: int = 500, lease_seconds: float = 30.0, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self._cursor_ready = False

    def step(self, hub: Hub, owner: str) -> bool:
        """Handle one batch of events as lease holder ``owner``; True when more events are waiting."""
        self._ensure_cursor(hub)
        now = self.clock()
        with hub.db.session() as s:  # idle (nothing new, or another process at work): no write at all
            row = s.execute(select(EventCursor).where(EventCursor.name == CURSOR)).scalar_one_or_none()
            if row is None or row.last_event_id >= event_feed.last_id(s) or not self._free(row, owner, now):
                return False
        with hub.db.session(write=True) as s:
            if not self._take_lease(s, owner, now):
                return False
            start = int(s.scalar(select(EventCursor.last_event_id).where(EventCursor.name == CURSOR)) or 0)
        # The checks only read: outside the write transaction, so that on SQLite no writer waits for them.
        with hub.db.session() as s:
            events, cursor = event_feed.read_after(s, start, limit=self.batch, now=now)
            found = self._evaluate(s, events)
        if cursor == start:
            return False
        with hub.db.session(write=True) as s:
            moved = s.execute(
                update(EventCursor)
                .where(EventCursor.name == CURSOR, EventCursor.lease_owner == owner, EventCursor.last_event_id == start)
                .values(last_event_id=cursor)
            )
            if not moved.rowcount:  # type: ignore[attr-defined]
                # Our lease ran out during the checks and another process took over: its alerts stand.
                log.warning("alerts: events %d..%d were taken over by another process", start + 1, cursor)
                return False
            raised = self._raise_all(s, found, now)
        if raised:
            log.info("alerts: %d raised from events %d..%d", raised, start + 1, cursor)
        return len(events) >= self.batch

    def _ensure_cursor(self, hub: Hub) -> None:
        if self._cursor_ready:
            return
        with hub.db.session() as s:
            if s.scalar(select(EventCursor.name).where(EventCursor.name == CURSOR)) is not None:
                self._cursor_ready = True
                return
        try:
            with hub.db.session(write=True) as s:
                if s.scalar(select(EventCursor.name).where(EventCursor.name == CURSOR)) is None:
                    s.execute(insert(EventCursor).values(name=CURSOR, last_event_id=event_feed.last_id(s)))
        except ConflictError:  # another process created it at the same moment: theirs stands
            pass

    @staticmethod
    def _free(row: EventCursor, owner: str, now: datetime) -> bool:
        return row.lease_owner in (None, owner) or row.lease_until is None or row.lease_until < now

    def _take_lease(self, s: Session, owner: str, now: datetime) -> bool:
        res = s.execute(
            update(EventCursor)
            .where(
                EventCursor.name == CURSOR,
                or_(
                    EventCursor.lease_owner.is_(None),
                    EventCursor.lease_owner == owner,
                    EventCursor.lease_until.is_(None),
                    EventCursor.lease_until < now,
                ),
            )
            .values(lease_owner=owner, lease_until=now + self.lease)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]

    def _evaluate(self, s: Session, events: list[event_feed.FeedEvent]) -> list[_Found]:
        """What the rules want to raise for each event, then for each touched project's backlog rules once."""
        rules: dict[int, list[AlertRule]] = {}
        last_of: dict[int, int] = {}  # project -> its last event in the batch, for the backlog rules
        found: list[_Found] = []
        for event in events:
            pid = event.project_id
            if pid is None or event.action in _QUIET:
                continue
            if pid not in rules:
                rules[pid] = list(
                    s.scalars(select(AlertRule).where(AlertRule.project_id == pid, AlertRule.active.is_(True)))
                )
            last_of[pid] = event.id
            found += [_Found(rule, d) for rule in rules[pid] if (d := check_event(s, rule, event)) is not None]
        for pid, event_id in last_of.items():
            backlog = [r for r in rules[pid] if r.kind == AlertKind.REVIEW_BACKLOG.value]
            found += [_Found(rule, d) for rule in backlog if (d := backlog_draft(s, rule, event_id)) is not None]
        return found

    def _raise_all(self, s: Session, found: list[_Found], now: datetime) -> int:
        """Raise what was found (once per rule and subject: :func:`raise_alert`), for the rules still active."""
        if not found:
            return 0
        ids = {f.rule.id for f in found}
        live = set(s.scalars(select(AlertRule.id).where(AlertRule.id.in_(ids), AlertRule.active.is_(True))))
        raised = 0
        for f in found:
            if f.rule.id not in live:
                continue  # deleted or switched off meanwhile
            minutes = f.rule.params.get("cooldown_minutes", 0) if f.rule.kind == AlertKind.REVIEW_BACKLOG.value else 0
            cooldown = timedelta(minutes=float(minutes))
            raised += raise_alert(s, f.rule.project_id, f.rule.id, f.draft, now=now, cooldown=cooldown) is not None
        return raised


@dataclass(frozen=True, slots=True)
class _Found:
    rule: AlertRule
    draft: AlertDraft
