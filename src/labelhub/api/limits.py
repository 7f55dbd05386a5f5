"""Request size limits and security headers, as one pure ASGI middleware around the whole app.

A body larger than its limit is refused with 413 before anything parses it or authenticates the caller: at once
when ``Content-Length`` says so, otherwise (a chunked body) as soon as the bytes received pass the limit, without
reading further. The multipart upload route keeps ``LABELHUB_MAX_UPLOAD_MB`` (plus room for its small form
fields); every other route has ``LABELHUB_MAX_REQUEST_MB``. FastAPI reads a route's form before its dependencies
run, so for the upload (gigabytes, spooled to disk) the caller and their import role in the project are checked
here first: a stranger gets the 401, 403 or 404 without a byte of the file being read.

Every HTTP response, errors included, gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and
``X-Frame-Options: DENY``; a header a route set itself is kept as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelhub.api.deps import current_actor
from labelhub.api.problems import problem
from labelhub.domain.permissions import Action
from labelhub.errors import LabelhubError
from labelhub.hub import Hub
from labelhub.services.access import Actor, require

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# POST /api/v1/projects/{pid}/uploads: the multipart upload, limited by max_upload_mb instead of max_request_mb.
UPLOAD_ROUTE = re.compile(r"/api/v1/projects/(?P<pid>[^/]+)/uploads/?")
# An upload's body holds the file and a few small form fields (format, split, seed, options) with their framing.
UPLOAD_FORM_ALLOWANCE = 1 << 20


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """A body limit: the setting's value in MB, the bytes allowed, and the setting that raises it."""

    mb: int
    max_bytes: int
    setting: str
    what: str  # "request body" or "upload"

    @property
    def detail(self) -> str:
        return (
            f"the {self.what} is larger than the server's limit of {self.mb} MB; "
            f"send less, or ask the administrator to raise {self.setting}"
        )


class BodyTooLarge(HTTPException):
    """Raised while the body is read, once it has passed its limit; answered with a 413 problem."""

    def __init__(self, limit: BodyLimit) -> None:
        super().__init__(status_code=413, detail=limit.detail)
        self.limit = limit


def too_large_response(limit: BodyLimit, instance: str) -> JSONResponse:
    """The 413 problem+json for ``limit``."""
    return problem(
        413,
        "Too large",
        limit.detail,
        slug="too-large",
        instance=instance,
        setting=limit.setting,
        limit_mb=limit.mb,
    )


async def body_too_large_handler(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for :class:`BodyTooLarge`, which the app raises while reading a body."""
    assert isinstance(exc, BodyTooLarge)
    return too_large_response(exc.limit, request.url.path)


class RequestLimits:
    """Pure ASGI middleware: body limits (413) and security headers; see the module's docstring."""

    def __init__(self, app: ASGIApp, *, max_request_mb: int, max_upload_mb: int) -> None:
        self.app = app
        self.request_limit = BodyLimit(max_request_mb, max_request_mb << 20, "LABELHUB_MAX_REQUEST_MB", "request body")
        upload_bytes = (max_upload_mb << 20) + UPLOAD_FORM_ALLOWANCE
        self.upload_limit = BodyLimit(max_upload_mb, upload_bytes, "LABELHUB_MAX_UPLOAD_MB", "upload")

    def limit_for(self, scope: Scope) -> BodyLimit:
        """The limit of this request: the upload limit for the upload route, the request limit for the rest."""
        return self.upload_limit if _upload_project(scope) is not None else self.request_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        limit = self.limit_for(scope)
        instance: str = scope.get("path", "")
        length = _content_length(scope)
        if length is not None and length > limit.max_bytes:
            await too_large_response(limit, instance)(scope, receive, send_with_headers)
            return
        project = _upload_project(scope)
        if project is not None and "app" in scope:
            refused = await _refuse_upload(scope, project)
            if refused is not None:
                await refused(scope, receive, send_with_headers)
                return

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_limited, send_with_headers)
        except BodyTooLarge:
            # Normally the app's handler answers it; this covers a body read outside the app's handlers.
            if started:
                raise
            await too_large_response(limit, instance)(scope, receive, send_with_headers)


def _upload_project(scope: Scope) -> str | None:
    """The project id (as sent) when this is the upload route, else None."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    found = UPLOAD_ROUTE.fullmatch(path) if scope.get("method") == "POST" else None
    return found.group("pid") if found else None


async def _refuse_upload(scope: Scope, project: str) -> JSONResponse | None:
    """The problem answer for a caller who may not upload to ``project``, before the body is read; None: go on
    (the route checks everything again, and answers a project id that is no number itself)."""
    request = Request(scope)
    hub: Hub = scope["app"].state.hub
    try:
        actor = await current_actor(request, hub)
        if project.isdigit():
            await run_in_threadpool(_may_import, hub, actor, int(project))
    except LabelhubError as exc:
        return problem(exc.status, exc.title, exc.detail, slug=exc.slug, instance=request.url.path, **exc.context)
    return None


def _may_import(hub: Hub, actor: Actor, project_id: int) -> None:
    with hub.db.session() as s:
        require(s, actor, project_id, Action.IMPORT)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None  # the server refuses a malformed length; the bytes are counted anyway
