"""One read of the event feed per server process, shared by all of its live streams.

Each open stream wants its project's new events twice a second. Read separately, 100 streams cost 200 feed reads
a second (about a quarter of a core of database time on SQLite, most of a core on PostgreSQL, by
``benchmarks/bench_teams.py``); read once, they cost two. :class:`SharedFeed` keeps the events of every project
after a cursor in memory, by project, and a stream takes its project's events from there: the first stream that
finds the copy older than a poll interval reads the feed again (the others wait for that read rather than make
their own). The copy keeps the last :attr:`SharedFeed.keep` events; a stream that resumes from further back (a
browser that was away a long time) reads its project's events itself, as before, until it is within the copy.
After a quiet spell with no stream reading it (:data:`IDLE_SECONDS`) the copy starts again at the newest event,
rather than reading everything that happened meanwhile.

Hand-written: a cache of a table tail keyed by our own cursors; no library keeps such a thing for us.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import anyio.to_thread

from labelhub.hub import Hub
from labelhub.services import event_feed
from labelhub.services.event_feed import FeedEvent

__all__ = ["IDLE_SECONDS", "Scope", "SharedFeed"]

IDLE_SECONDS = 30.0  # unread this long, the copy restarts at the newest event
_BATCH = 5_000  # events read at most per refresh


@dataclass(frozen=True, slots=True)
class Scope:
    """The events a stream takes: of these ``projects`` (None: of every project) and, unless None, with one of
    these exact ``actions``."""

    projects: frozenset[int] | None
    actions: frozenset[str] | None = None


@dataclass(slots=True)
class _Project:
    ids: list[int] = field(default_factory=list)
    events: list[FeedEvent] = field(default_factory=list)


@dataclass(slots=True)
class SharedFeed:
    """The feed's events after :attr:`start`, up to :attr:`top`, kept by project (see the module docstring)."""

    poll_seconds: float
    keep: int = 20_000
    reads: int = 0  # feed reads made for the streams (shared refreshes and streams' own), for tests and figures
    start: int | None = None  # the copy holds every event in (start, top]; None before the first read
    top: int = 0
    _fresh_at: float = float("-inf")
    _order: deque[tuple[int, int | None]] = field(default_factory=deque)  # (id, project) in id order, to trim
    _projects: dict[int | None, _Project] = field(default_factory=dict)
    _lock: asyncio.Lock | None = None

    async def read(
        self, hub: Hub, after: int, project_id: int, limiter: anyio.CapacityLimiter, clock: Callable[[], float]
    ) -> tuple[list[FeedEvent], int]:
        """The project's events after ``after`` (oldest first) and the cursor to pass next time."""
        return await self.read_scope(hub, after, Scope(frozenset({project_id})), limiter, clock)

    async def read_scope(
        self, hub: Hub, after: int, scope: Scope, limiter: anyio.CapacityLimiter, clock: Callable[[], float]
    ) -> tuple[list[FeedEvent], int]:
        """The events of ``scope`` after ``after`` (oldest first) and the cursor to pass next time."""
        await self._refresh(hub, limiter, clock)
        if self.start is None or after < self.start:  # from before the copy: read them straight from the feed
            self.reads += 1
            return await anyio.to_thread.run_sync(_own_read, hub, after, scope, limiter=limiter)
        if after >= self.top:
            return [], after
        if scope.projects is None:
            kept = [k for p, k in self._projects.items() if p is not None]
        else:
            kept = [k for p in scope.projects if (k := self._projects.get(p)) is not None]
        parts = [k.events[bisect.bisect_right(k.ids, after) :] for k in kept]
        events = parts[0] if len(parts) == 1 else list(heapq.merge(*parts, key=lambda e: e.id))
        if scope.actions is not None:
            events = [e for e in events if e.action in scope.actions]
        return events, self.top

    def wait(self, clock: Callable[[], float]) -> float:
        """Seconds a stream should sleep before its next read: until the copy is due to be read again, so every
        stream's next read comes right after the refresh (the first to wake makes it, the others take the same
        copy), and an event waits at most one poll interval, as when each stream read the feed itself."""
        return min(self.poll_seconds, max(0.01, self._fresh_at + self.poll_seconds - clock()))

    async def _refresh(self, hub: Hub, limiter: anyio.CapacityLimiter, clock: Callable[[], float]) -> None:
        if clock() - self._fresh_at < self.poll_seconds:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = clock()
            if now - self._fresh_at < self.poll_seconds:
                return  # another stream read it while this one waited
            self.reads += 1
            if self.start is None or now - self._fresh_at > IDLE_SECONDS:
                self._restart(await anyio.to_thread.run_sync(_newest, hub, limiter=limiter))
            else:
                events, top = await anyio.to_thread.run_sync(_all_after, hub, self.top, limiter=limiter)
                self._add(events, top)
            self._fresh_at = clock()

    def _restart(self, newest: int) -> None:
        self.start = self.top = newest
        self._order.clear()
        self._projects.clear()

    def _add(self, events: list[FeedEvent], top: int) -> None:
        for event in events:
            kept = self._projects.setdefault(event.project_id, _Project())
            kept.ids.append(event.id)
            kept.events.append(event)
            self._order.append((event.id, event.project_id))
        self.top = max(self.top, top)
        trimmed: dict[int | None, int] = {}
        while len(self._order) > self.keep:
            event_id, project = self._order.popleft()
            trimmed[project] = trimmed.get(project, 0) + 1
            self.start = event_id
        for project, n in trimmed.items():
            kept = self._projects[project]
            del kept.ids[:n], kept.events[:n]
            if not kept.ids:
                del self._projects[project]


def _newest(hub: Hub) -> int:
    with hub.db.session() as s:
        return event_feed.last_id(s)


def _all_after(hub: Hub, after: int) -> tuple[list[FeedEvent], int]:
    with hub.db.session() as s:
        return event_feed.read_after(s, after, limit=_BATCH)


def _own_read(hub: Hub, after: int, scope: Scope) -> tuple[list[FeedEvent], int]:
    with hub.db.session() as s:
        if scope.projects is not None and not scope.projects:
            return [], event_feed.horizon(s, after)
        events, cursor = event_feed.read_after(s, after, projects=scope.projects, actions=scope.actions)
    return [e for e in events if e.project_id is not None], cursor  # "every project": as the copy, none without one
