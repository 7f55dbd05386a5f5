"""Live updates: a project's audit events as a server-sent event stream, for the browser to show others' work
as it happens (a grid cell's new status, "alice saved this item just now").

Each message is ``id: <audit id>``, ``event: <action>`` and ``data: <the event as JSON>`` (:meth:`FeedEvent.body`);
the browser's EventSource sends the last id back as ``Last-Event-ID`` when it reconnects, and the stream resumes
right after it. A stream takes its project's new events every :attr:`StreamLimits.poll_seconds` from the
process's one copy of :mod:`labelhub.services.event_feed` (the audit log is the outbox; :mod:`.live_feed`: one
feed read per poll interval for all the streams of a process), read in a worker thread, so the database calls
never block the event loop, and
checks again every :attr:`StreamLimits.recheck_seconds` that its session still works and its user may still read
the project: a member removed from the project, a disabled account or a logged-out session ends the stream.

Who sees what: the project's managers and owners (and administrators), who may read its audit log, get each event
whole; other members get it with ``detail`` cut down to :data:`PUBLIC_DETAIL`, the facts the screens show them
anyway (an item's new version and status, counts of what changed). Free text (review comments), settings,
other people's names and roles, and every detail of a kind of event not listed there are left out.

Written on Starlette's ``StreamingResponse`` rather than sse-starlette: the framing is four short lines
(:func:`message`), while what a stream must do between messages (re-check access on a clock, end after
:attr:`StreamLimits.max_seconds`, poll in a bounded thread pool) is ours either way; Starlette already ends the
response when the client goes away. A stream ends by itself after ``max_seconds`` (the browser reconnects at once
and resumes), which re-balances streams across server processes, and at once when the server is told to stop
(:func:`server_stopping`), which would otherwise wait for every open stream.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import anyio.to_thread
import orjson
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action, allows
from labelhub.errors import AuthenticationError, NotFoundError, PermissionDenied
from labelhub.hub import Hub
from labelhub.services import event_feed
from labelhub.services.access import Actor, require_with_role
from labelhub.services.event_feed import FeedEvent
from labelhub.services.live_feed import SharedFeed
from labelhub.services.users import actor_for, resolve_token_with_expiry

__all__ = [
    "END_OF_ACCESS",
    "PUBLIC_DETAIL",
    "LiveStreams",
    "ProjectSource",
    "StreamLimits",
    "StreamSource",
    "TooManyStreams",
    "Viewer",
    "message",
    "open_viewer",
    "public_body",
    "server_stopping",
    "source_stream",
    "start_cursor",
]

# What a member without the audit right sees of an event's detail, by action (an exact action, or a kind ending
# in a dot). Everything else of the detail is left out, and so is all detail of actions not listed.
PUBLIC_DETAIL: dict[str, frozenset[str]] = {
    "annotations.": frozenset({"added", "updated", "deleted", "version", "status", "label", "from_slice", "to_slice"}),
    "item.": frozenset(
        {
            "version",
            "status",
            "items",
            "changed",
            "accepted",
            "rejected",
            "skipped",
            "name",
            "reason",
            "send_to_labelling",
            "assignee_id",
        }
    ),
    "track.": frozenset({"track_id", "frame", "outside", "label", "version"}),
    "project.import": frozenset({"format", "items_added", "annotations_added", "skipped"}),
    "project.export": frozenset({"format", "items", "annotations"}),
    "project.update": frozenset({"fields"}),
    "job.": frozenset({"kind", "status"}),
}


# The last message of a stream whose viewer lost access (removed from the project, logged out, disabled): a
# browser that reconnected would only be refused, so the web app stops on it. Named "end" in every mode; no action
# is named so (actions have a dot).
END_OF_ACCESS = b'event: end\ndata: {"reason":"access"}\n\n'


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamLimits:
    """How a server process runs its live streams."""

    poll_seconds: float = 0.5  # how often a stream reads the feed
    recheck_seconds: float = 5.0  # how often it checks that its user may still read the project
    keepalive_seconds: float = 15.0  # a comment line after this long without a message, so proxies keep it open
    max_seconds: float = 300.0  # a stream ends after this long; the browser reconnects and resumes
    retry_ms: int = 3000  # the browser's pause before reconnecting (the ``retry:`` field)
    per_process: int = 500  # open streams in one server process
    per_user: int = 20  # open streams of one user in one server process (tabs, projects)
    poll_threads: int = 8  # threads the streams' database reads share, apart from the request handlers'


class TooManyStreams(Exception):
    """The process or the user has as many open streams as :class:`StreamLimits` allows."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


@dataclass(slots=True)
class LiveStreams:
    """A server process's open streams: counted per process and per user, and the thread pool their polls share.

    Hand-written (a dict under a lock): the counts live only as long as the process and its connections.
    """

    limits: StreamLimits = field(default_factory=StreamLimits)
    _open: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _limiter: anyio.CapacityLimiter | None = None
    _feed: SharedFeed | None = None

    @property
    def total(self) -> int:
        return sum(self._open.values())

    def acquire(self, user_id: int) -> Callable[[], None]:
        """Count one more stream of ``user_id`` and return what uncounts it (once, however often it is called),
        or raise TooManyStreams."""
        with self._lock:
            if self.total >= self.limits.per_process:
                raise TooManyStreams("this server has as many live streams open as it allows; try again soon", 30)
            if self._open.get(user_id, 0) >= self.limits.per_user:
                raise TooManyStreams(
                    f"you have {self.limits.per_user} live streams open (one per open project tab); close some", 10
                )
            self._open[user_id] = self._open.get(user_id, 0) + 1
        done = threading.Event()

        def release() -> None:
            if not done.is_set():
                done.set()
                self._release(user_id)

        return release

    def _release(self, user_id: int) -> None:
        with self._lock:
            left = self._open.get(user_id, 0) - 1
            if left > 0:
                self._open[user_id] = left
            else:
                self._open.pop(user_id, None)

    def limiter(self) -> anyio.CapacityLimiter:
        """The poll threads' limiter, made on first use inside the server's event loop."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.limits.poll_threads)
        return self._limiter

    def feed(self) -> SharedFeed:
        """The process's one copy of the event feed that every stream reads (:mod:`.live_feed`)."""
        if self._feed is None:
            self._feed = SharedFeed(self.limits.poll_seconds)
        return self._feed


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who a stream is for, as of the last check: ``full`` when they may read the project's audit log."""

    actor: Actor
    full: bool


def open_viewer(session: Session, secret: str, project_id: int) -> Viewer:
    """The viewer behind a session or token ``secret`` who may read the project.

    Raises AuthenticationError (revoked or expired session, disabled account), NotFoundError (no such project,
    or not a member) or PermissionDenied, as every project route does.
    """
    user, _ = resolve_token_with_expiry(session, secret)
    actor = actor_for(user)
    _, role = require_with_role(session, actor, project_id, Action.READ)
    return Viewer(actor, allows(role, Action.AUDIT, is_admin=actor.is_admin))


def start_cursor(session: Session, after: int | None) -> int:
    """Where a stream starts: right after event ``after`` (a reconnect), else after the newest event (no
    backlog). An ``after`` beyond the newest event (a database restored from a backup) starts at the newest."""
    newest = event_feed.last_id(session)
    return newest if after is None else min(after, newest)


def public_body(event: FeedEvent, *, full: bool) -> dict[str, Any]:
    """The event as a stream's reader may see it: whole for ``full`` readers, else with ``detail`` reduced to
    :data:`PUBLIC_DETAIL`."""
    body = event.body()
    if not full:
        allowed = _allowed(event.action)
        body["detail"] = {k: v for k, v in event.detail.items() if k in allowed}
    return body


def message(body: dict[str, Any], *, named: bool = True) -> bytes:
    """One server-sent event: ``id``, ``event`` (the action; left out when not ``named``, so it arrives as the
    default ``message`` type) and ``data`` (one line of JSON)."""
    head = f"id: {body['id']}\n" + (f"event: {body['action']}\n" if named else "")
    return head.encode() + b"data: " + orjson.dumps(body) + b"\n\n"


class StreamSource(Protocol):
    """What a stream carries and who may read it: a project's events (:class:`ProjectSource`), or a user's alerts
    across projects (:mod:`.alert_stream`). :func:`source_stream` runs either."""

    def recheck(self) -> bool:
        """In a worker thread: whether the stream's reader may still read it (taking what changed: role, projects)."""
        ...

    async def read(
        self, feed: SharedFeed, cursor: int, limiter: anyio.CapacityLimiter, clock: Callable[[], float]
    ) -> tuple[list[FeedEvent], int]:
        """The stream's events after ``cursor`` and the cursor to pass next time."""
        ...

    def body(self, event: FeedEvent) -> dict[str, Any]:
        """The event as this reader may see it."""
        ...


@dataclass(slots=True)
class ProjectSource:
    """A project's events, for a viewer who may read the project (:func:`open_viewer`)."""

    hub: Hub
    secret: str
    project_id: int
    viewer: Viewer

    def recheck(self) -> bool:
        checked = _recheck(self.hub, self.secret, self.project_id)
        if checked is not None:
            self.viewer = checked
        return checked is not None

    async def read(
        self, feed: SharedFeed, cursor: int, limiter: anyio.CapacityLimiter, clock: Callable[[], float]
    ) -> tuple[list[FeedEvent], int]:
        return await feed.read(self.hub, cursor, self.project_id, limiter, clock)

    def body(self, event: FeedEvent) -> dict[str, Any]:
        return public_body(event, full=self.viewer.full)


async def source_stream(
    source: StreamSource,
    cursor: int,
    *,
    streams: LiveStreams,
    release: Callable[[], None] = lambda: None,
    named: bool = True,
    clock: Callable[[], float] = time.monotonic,
    gone: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[bytes]:
    """The stream's bytes: a ``retry`` hint and the starting id, then every event of the source after
        ``cursor`` as it commits, until ``max_seconds`` pass or the reader loses access (then an ``end`` message
        comes last); ``release`` runs when it ends (the client went away, too: ``gone`` tells, between two reads, so a
    closed tab gives its place back at once rather than at the next message the server fails to send)."""
    try:
        async for chunk in _stream(source, cursor, streams, named=named, clock=clock, gone=gone):
            yield chunk
    finally:
        release()


async def _stream(
    source: StreamSource,
    cursor: int,
    streams: LiveStreams,
    *,
    named: bool,
    clock: Callable[[], float],
    gone: Callable[[], Awaitable[bool]] | None,
) -> AsyncIterator[bytes]:
    limits, limiter, feed = streams.limits, streams.limiter(), streams.feed()
    yield f"retry: {limits.retry_ms}\nid: {cursor}\n\n".encode()
    started = last_check = quiet_since = clock()
    while clock() - started < limits.max_seconds and not server_stopping():
        if gone is not None and await gone():
            return
        if clock() - last_check >= limits.recheck_seconds:
            if not await anyio.to_thread.run_sync(source.recheck, limiter=limiter):
                yield END_OF_ACCESS  # the reader may no longer read the stream: it ends
                return
            last_check = clock()
        events, cursor = await source.read(feed, cursor, limiter, clock)
        for event in events:
            yield message(source.body(event), named=named)
        if events:
            quiet_since = clock()
        elif clock() - quiet_since >= limits.keepalive_seconds:
            yield b": keep-alive\n\n"
            quiet_since = clock()
        await anyio.sleep(feed.wait(clock))


def server_stopping() -> bool:
    """True once the uvicorn server of this process was told to stop (SIGTERM, Ctrl-C).

    uvicorn waits for every open response before it stops, and a stream would keep it waiting for minutes: the
    streams end as soon as this says so (the browser reconnects to the server that starts next). Read from the
    signal handler uvicorn installs (its ``Server.handle_exit``), which is left as it is; outside uvicorn's main
    thread, False.
    """
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return getattr(server, "should_exit", False) is True


def _recheck(hub: Hub, secret: str, project_id: int) -> Viewer | None:
    """In a worker thread: who the stream is for now, or None when they may no longer read the project."""
    with hub.db.session() as s:
        try:
            return open_viewer(s, secret, project_id)
        except (AuthenticationError, NotFoundError, PermissionDenied):
            return None


def _allowed(action: str) -> frozenset[str]:
    kind = action.split(".", 1)[0] + "."
    return PUBLIC_DETAIL.get(action) or PUBLIC_DETAIL.get(kind) or frozenset()
