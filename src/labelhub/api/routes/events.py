"""Live updates: a project's events as a server-sent event stream (see :mod:`labelhub.services.live_events`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.live_stream import (
    STREAM_RESPONSES,
    AfterQuery,
    LastEventId,
    NamesQuery,
    stream_response,
    stream_secret,
)
from labelhub.hub import Hub
from labelhub.services import live_events
from labelhub.services.live_events import Viewer

router = APIRouter(tags=["events"])


@router.get(
    "/projects/{project_id}/events",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The project's events as they happen"},
        **STREAM_RESPONSES,
    },
)
async def stream_project_events(
    project_id: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    after: AfterQuery = None,
    names: NamesQuery = True,
    last_event_id: LastEventId = None,
) -> StreamingResponse | JSONResponse:
    """The project's events from now on (or after ``Last-Event-ID`` / ``after``), as ``text/event-stream``
    (READ on the project). Each message: ``id`` (the audit event id), ``event`` (the action) and ``data`` (the
    event as JSON; managers see its whole ``detail``, other members a reduced one). The stream ends when the
    user loses access to the project, and after a few minutes (browsers reconnect and resume by themselves)."""
    secret = stream_secret(request)
    viewer, cursor = await run_in_threadpool(_open, hub, secret, project_id, last_event_id, after)
    source = live_events.ProjectSource(hub, secret, project_id, viewer)
    return stream_response(request, viewer.actor.user_id, source, cursor, named=names)


def _open(hub: Hub, secret: str, project_id: int, last_event_id: int | None, after: int | None) -> tuple[Viewer, int]:
    with hub.db.session() as s:
        viewer = live_events.open_viewer(s, secret, project_id)
        return viewer, live_events.start_cursor(s, last_event_id if last_event_id is not None else after)
