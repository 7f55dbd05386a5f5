"""Expensive counts of a project, kept until the project changes: what serves a big project's counts
(``GET /projects/{id}/stats``, :mod:`.stats_cache`) and its item lists' totals (``with_total``,
:mod:`.item_totals`). :class:`KeptCounts` keeps any value under any hashable key of a project.

A count that took less than :attr:`KeptCounts.min_seconds` (0.2 s) is never kept: small projects are counted on
every call, as before.

What says a project changed: the audit log. Every write records its event in its own transaction
(:mod:`.audit`, the outbox of :mod:`.event_feed`), with the project's id, and ``ix_audit_project_id``
(project_id, id) gives the project's newest event id in one index lookup. It lives in the database, so it is the
same for every server process (the live feed's :class:`~.live_feed.SharedFeed` is a copy per process, and
forgets). Audited in the transaction that moves the counts: annotation saves, reviews and status changes, bulk
updates (tags, sending to labelling), assignments (and the unassignments of a member's removal or a user's
deactivation), item deletes, imports (one transaction), accepting and rejecting proposals, a model's deletion (its
open proposals go), consensus, track edits, class renames and keypoint remaps (``project.update``, which also
changes the declared attributes an attribute filter reads), per-frame values and volume fills. A kept count is
served while the project's newest event is the one it was counted at, however old.

Where that is not exact, and what is done about it:

- Jobs that commit as they go: pre-labelling writes each batch in its own transaction and records
  ``prelabel.run`` only at its end (a normal one, or a cancel or failure after a batch), and propagation
  writes a track's boxes before its job records ``job.finished``. So while the project has a queued or running
  job (of any kind: one lookup, and a future kind may do the same), a kept count is served only while younger
  than its age bound, ``max(5 s, 10 x what it cost)`` capped at 60 s.
- PostgreSQL commits ids out of order (see :mod:`.event_feed`): a write whose event id is below the newest may
  commit after the count and not move the newest id. As the feed does, such a write is taken to commit within
  :data:`~.event_feed.GAP_WAIT` of the events after it; a count taken sooner than that after the project's
  newest event is held to the age bound too. SQLite commits its ids in order.
- Anything that writes the tables behind the server's back (SQL by hand) is not seen: a ``fresh`` call (the
  pages' "Recount") counts again.

Access is checked on every call (:meth:`KeptCounts.get`) before anything kept is served. Two calls for the same
project and key at once count once: the second waits for the first's count (a lock per key), unless the last
count was small.

Hand-written: a TTL cache (cachetools' ``TTLCache``) would serve counts that are stale from the first write on,
and recount unchanged ones; no library keys an entry on our own change signal and per-key locks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub._lru import Lru
from labelhub.domain.enums import JobStatus
from labelhub.domain.permissions import Action
from labelhub.services.access import Actor, require
from labelhub.services.event_feed import GAP_WAIT
from labelhub.storage.models import AuditEvent, Job, Project

__all__ = ["Kept", "KeptCounts", "Signal", "age_bound", "read_signal"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_OPEN_JOBS = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class Signal:
    """What is read of a project before its counts: its newest audit event (id 0 and no time when it has none)
    and whether it has a queued or running job."""

    event_id: int
    event_at: datetime | None
    jobs_open: bool


def read_signal(session: Session, project_id: int) -> Signal:
    """Read the project's :class:`Signal`: two index lookups (``ix_audit_project_id``, the jobs' indexes)."""
    newest = session.execute(
        select(AuditEvent.id, AuditEvent.at)
        .where(AuditEvent.project_id == project_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    job = session.scalar(select(Job.id).where(Job.project_id == project_id, Job.status.in_(_OPEN_JOBS)).limit(1))
    if newest is None:
        return Signal(0, None, job is not None)
    at = newest.at if newest.at.tzinfo is not None else newest.at.replace(tzinfo=UTC)
    return Signal(int(newest.id), at, job is not None)


def age_bound(seconds: float) -> float:
    """How old a count that took ``seconds`` may be when it is served without an exact signal."""
    return min(60.0, max(5.0, 10.0 * seconds))


@dataclass(frozen=True, slots=True)
class Kept(Generic[V]):
    """A count as served: its value, when it was counted (UTC), and whether an earlier call counted it."""

    value: V
    counted_at: datetime
    cached: bool


@dataclass(frozen=True, slots=True)
class _Count(Generic[V]):
    value: V
    event_id: int  # the project's newest event, read before counting
    counted_at: datetime  # when the count started (UTC)
    started: float  # the same on the cache's clock
    seconds: float  # what it cost
    exact: bool  # nothing could have been missed: no open job, and no write of the project still committing


@dataclass(slots=True)
class _Slot(Generic[V]):
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: _Count[V] | None = None
    small: bool = False  # the last count took less than min_seconds: count again, without waiting on the lock


class KeptCounts(Generic[K, V]):
    """Kept counts of the most recently asked ``max_entries`` (project, key) pairs (module docstring).

    ``min_seconds``: a quicker count is not kept; ``clock`` (seconds) times counts and ages them, ``wall`` says
    ``counted_at``. What is counted is the caller's: :meth:`get` takes the counter."""

    def __init__(
        self,
        *,
        min_seconds: float = 0.2,
        max_entries: int = 64,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.min_seconds = min_seconds
        self.counts = 0  # counts made (kept or not), for tests and figures
        self._slots: Lru[_Slot[V]] = Lru(max_entries, field="max_entries")
        self._clock = clock
        self._wall = wall
        self._tally = threading.Lock()

    def get(
        self,
        session: Session,
        actor: Actor,
        project_id: int,
        key: K,
        counter: Callable[[Session, Project], V],
        *,
        fresh: bool = False,
    ) -> Kept[V]:
        """The project's count under ``key``: kept, or counted now by ``counter(session, project)``.

        The actor's read access is checked first, on every call (PermissionDenied / NotFoundError); ``key`` must
        hold everything the count depends on besides the project. ``fresh`` counts again whatever is kept."""
        project = require(session, actor, project_id, Action.READ)
        signal = read_signal(session, project_id)  # before the count: a write after it only makes it newer
        slot: _Slot[V] = self._slots.get_or_put((project_id, key), _Slot)
        if slot.small and not fresh:
            return self._count(session, project, counter, slot, signal)
        with slot.lock:
            kept = slot.count
            if not fresh and kept is not None and self._serves(kept, signal):
                return Kept(kept.value, kept.counted_at, cached=True)
            return self._count(session, project, counter, slot, signal)

    def _serves(self, kept: _Count[V], signal: Signal) -> bool:
        if kept.event_id < signal.event_id:
            return False  # the project changed since
        if kept.exact and not signal.jobs_open:
            return True
        return self._clock() - kept.started <= age_bound(kept.seconds)

    def _count(
        self,
        session: Session,
        project: Project,
        counter: Callable[[Session, Project], V],
        slot: _Slot[V],
        signal: Signal,
    ) -> Kept[V]:
        started, counted_at = self._clock(), self._wall()
        value = counter(session, project)
        seconds = self._clock() - started
        with self._tally:
            self.counts += 1
        if seconds < self.min_seconds:
            slot.small, slot.count = True, None
        else:
            exact = not signal.jobs_open and (
                session.get_bind().dialect.name == "sqlite"
                or signal.event_at is None
                or (counted_at - signal.event_at).total_seconds() >= GAP_WAIT
            )
            slot.small = False
            slot.count = _Count(value, signal.event_id, counted_at, started, seconds, exact)
        return Kept(value, counted_at, cached=False)
