"""Live updates: a project's events as a server-sent event stream (see :mod:`labelhub.services.live_events`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from labelhub.api import problems
from labelhub.api.deps import SESSION_COOKIE, ActorDep, HubDep
from labelhub.hub import Hub
from labelhub.services import live_events
from labelhub.services.live_events import LiveStreams, TooManyStreams, Viewer

router = APIRouter(tags=["events"])

_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def live_streams(request: Request) -> LiveStreams:
    """The process's stream registry, made on first use (a test may set ``app.state.live_streams`` first)."""
    streams: LiveStreams | None = getattr(request.app.state, "live_streams", None)
    if streams is None:
        streams = request.app.state.live_streams = LiveStreams()
    return streams


@router.get(
    "/projects/{project_id}/events",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The project's events as they happen"},
        503: {"description": "Too many open streams (see Retry-After)"},
    },
)
async def stream_project_events(
    project_id: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    after: Annotated[int | None, Query(ge=0, description="Resume after this event id (Last-Event-ID wins)")] = None,
    names: Annotated[
        bool, Query(description="Name each message by its action (`event: item.approve`); false: default type")
    ] = True,
    last_event_id: Annotated[int | None, Header(ge=0, alias="Last-Event-ID")] = None,
) -> StreamingResponse | JSONResponse:
    """The project's events from now on (or after ``Last-Event-ID`` / ``after``), as ``text/event-stream``
    (READ on the project). Each message: ``id`` (the audit event id), ``event`` (the action) and ``data`` (the
    event as JSON; managers see its whole ``detail``, other members a reduced one). The stream ends when the
    user loses access to the project, and after a few minutes (browsers reconnect and resume by themselves)."""
    secret = _secret(request)
    viewer, cursor = await run_in_threadpool(_open, hub, secret, project_id, last_event_id, after)
    streams = live_streams(request)
    user_key = viewer.actor.user_id or 0
    try:
        release = streams.acquire(user_key)
    except TooManyStreams as exc:
        response = problems.problem(
            503, "Too many live streams", exc.detail, slug="too-many-streams", instance=request.url.path
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    body = live_events.event_stream(hub, secret, project_id, viewer, cursor, streams=streams, release=release,
                                    named=names, gone=request.is_disconnected)  # fmt: skip
    # The stream releases its place when it ends; the background task too, for a client gone before it began.
    return StreamingResponse(
        body, media_type="text/event-stream", headers=_STREAM_HEADERS, background=BackgroundTask(release)
    )


def _open(hub: Hub, secret: str, project_id: int, last_event_id: int | None, after: int | None) -> tuple[Viewer, int]:
    with hub.db.session() as s:
        viewer = live_events.open_viewer(s, secret, project_id)
        return viewer, live_events.start_cursor(s, last_event_id if last_event_id is not None else after)


def _secret(request: Request) -> str:
    """The session or token secret the request authenticated with (``current_actor`` checked it already); the
    stream checks it again while it runs."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")
