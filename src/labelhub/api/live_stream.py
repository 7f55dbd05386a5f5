"""What the live-stream routes share (``GET /projects/{pid}/events``, ``GET /alerts/events``): the process's
stream registry, the secret a stream re-checks while it runs, and the response that counts the stream against
its user's limit (503 with ``Retry-After`` beyond it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from labelhub.api import problems
from labelhub.api.deps import SESSION_COOKIE
from labelhub.services.live_events import LiveStreams, StreamSource, TooManyStreams, source_stream

__all__ = ["STREAM_RESPONSES", "AfterQuery", "LastEventId", "NamesQuery", "live_streams", "stream_response",
           "stream_secret"]  # fmt: skip

# The parameters every stream takes: where to resume, and whether to name each message by its action.
AfterQuery = Annotated[int | None, Query(ge=0, description="Resume after this event id (Last-Event-ID wins)")]
NamesQuery = Annotated[
    bool, Query(description="Name each message by its action (`event: item.approve`); false: default type")
]
LastEventId = Annotated[int | None, Header(ge=0, alias="Last-Event-ID")]

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    503: {"description": "Too many open streams (see Retry-After)"},
}


def live_streams(request: Request) -> LiveStreams:
    """The process's stream registry, made on first use (a test may set ``app.state.live_streams`` first)."""
    streams: LiveStreams | None = getattr(request.app.state, "live_streams", None)
    if streams is None:
        streams = request.app.state.live_streams = LiveStreams()
    return streams


def stream_secret(request: Request) -> str:
    """The session or token secret the request authenticated with (``current_actor`` checked it already); the
    stream checks it again while it runs."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")


def stream_response(
    request: Request, user_id: int | None, source: StreamSource, cursor: int, *, named: bool
) -> StreamingResponse | JSONResponse:
    """One more stream of ``user_id`` (503 when they or the process have as many as allowed): the events of
    ``source`` after ``cursor`` (:func:`~labelhub.services.live_events.source_stream`), until the client goes."""
    streams = live_streams(request)
    try:
        release = streams.acquire(user_id or 0)
    except TooManyStreams as exc:
        response = problems.problem(
            503, "Too many live streams", exc.detail, slug="too-many-streams", instance=request.url.path
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    # The stream releases its place when it ends; the background task too, for a client gone before it began.
    body = source_stream(source, cursor, streams=streams, release=release, named=named, gone=request.is_disconnected)
    return StreamingResponse(
        body, media_type="text/event-stream", headers=STREAM_HEADERS,
        background=BackgroundTask(release),
    )  # fmt: skip
