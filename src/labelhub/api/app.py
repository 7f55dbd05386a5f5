"""The FastAPI application: routers under /api/v1, problem+json errors, the web UI, and the job worker's lifetime."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.staticfiles import PathLike
from starlette.types import ASGIApp, Scope

from labelhub import __version__
from labelhub._gc import tune_for_long_run
from labelhub.api import problems
from labelhub.api.limits import BodyTooLarge, RequestLimits, body_too_large_handler
from labelhub.api.routes import (
    alerts,
    assignment,
    assist,
    audit,
    auth,
    consensus,
    embedders,
    events,
    federated,
    federated_sites,
    grabcut,
    health,
    items,
    jobs,
    media,
    models,
    projects,
    review_queue,
    search,
    tracks,
    transfers,
    users,
    volume_fill,
    volume_measures,
    volume_planes,
    volumes,
    webdataset_stream,
    webhooks,
)
from labelhub.api.strict import refuse_unknown_query
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.services.login_throttle import LoginLimits, LoginThrottle, TooManyAttempts
from labelhub.services.notifier import Notifier, default_tasks
from labelhub.services.security import HASH_SLOTS

API_PREFIX = "/api/v1"
# Every router of the API, in the order OpenAPI lists them.
ROUTERS = tuple(
    m.router
    for m in (
        health,
        auth,
        users,
        projects,
        items,
        review_queue,
        assignment,
        consensus,
        media,
        tracks,
        jobs,
        transfers,
        webdataset_stream,
        grabcut,
        models,
        federated,
        federated_sites,
        assist,
        search,
        embedders,
        audit,
        events,
        volume_fill,
        volume_measures,
        volume_planes,
        volumes,
        alerts,
        webhooks,
    )
)
EMBEDDED_WORKER_ENV = "LABELHUB_EMBEDDED_WORKER"
# `vite build` (make web) writes the browser UI here; it ships as package data, so no Node is needed at run time.
WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
# index.html is read again on every visit, so a new build is picked up at once; the hashed assets never change.
_INDEX_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    ),
}

# Answers smaller than this are sent as they are: gzip's header and the work would cost more than they save.
GZIP_MIN_BYTES = 1024
# Starlette's list (images, audio, video, zip and gzip files, fonts, server-sent events: compressed already, or a
# stream that must not wait for a buffer to fill) and what labelhub streams besides: WebDataset tars of images and
# the raw bytes of volumes and uploads.
GZIP_EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "image/*", "application/x-tar", "application/octet-stream")


class _HashedAssets(StaticFiles):
    """Static files whose names carry a content hash (Vite's output), so browsers may keep them for a year."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class _App(FastAPI):
    """FastAPI with :class:`RequestLimits` outside every other middleware, Starlette's error middleware included:
    a body is refused before anything reads it, and the 500 page gets the security headers too."""

    def build_middleware_stack(self) -> ASGIApp:
        settings = self.state.hub.settings
        return RequestLimits(
            super().build_middleware_stack(),
            max_request_mb=settings.max_request_mb,
            max_upload_mb=settings.max_upload_mb,
        )


async def _too_many_attempts(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TooManyAttempts)
    response = problems.problem(
        exc.status, exc.title, exc.detail, slug=exc.slug, instance=request.url.path, **exc.context
    )
    response.headers["Retry-After"] = str(exc.context["retry_after"])
    return response


def _operation_id(route: APIRoute) -> str:
    # Stable ids (the function names) keep the generated TypeScript client's method names stable.
    return route.name


def create_app(hub: Hub, *, run_worker: bool = True, web_dist: Path = WEB_DIST) -> FastAPI:
    """Build the app around ``hub``; with ``run_worker`` a local job worker and the notifier (webhook deliveries,
    alert rules) run while the app runs.

    ``web_dist`` is the built browser UI: ``/`` serves its ``index.html`` and ``/assets/...`` its files.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        executor = (
            LocalExecutor(
                hub, threads=hub.settings.worker_threads, interactive_threads=hub.settings.worker_interactive_threads
            )
            if run_worker
            else None
        )
        hub.queue.warm_after_training = run_worker  # the trainings run beside the queue they rank
        # Webhooks and alert rules run where jobs run: in this process, or in `labelhub worker`.
        notifier = Notifier(hub, default_tasks()) if run_worker else None
        app.state.executor = executor
        if executor is not None:
            executor.start()
        if notifier is not None:
            notifier.start()
        try:
            yield
        finally:
            if notifier is not None:
                notifier.stop()
            if executor is not None:
                executor.stop()

    app = _App(
        title="labelhub",
        version=__version__,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        description="Self-hosted hub for AI-assisted annotation. Errors are RFC 9457 problem+json.",
    )
    app.state.hub = hub
    app.state.executor = None
    # The counts are in the database: every process of `serve --workers N` sees the same ones.
    app.state.login_throttle = LoginThrottle(LoginLimits.from_settings(hub.settings))
    app.state.password_checks = anyio.Semaphore(HASH_SLOTS)  # bound to the server's event loop at first use
    if hub.settings.gzip_level > 0:
        app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=hub.settings.gzip_level,
                           exclude_content_types=GZIP_EXCLUDED)  # fmt: skip
    problems.install(app)
    app.add_exception_handler(BodyTooLarge, body_too_large_handler)
    app.add_exception_handler(TooManyAttempts, _too_many_attempts)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(refuse_unknown_query)])

    # check_dir=False: a checkout without a build still starts, and a build made later is served without a restart.
    app.mount("/assets", _HashedAssets(directory=web_dist / "assets", check_dir=False), name="assets")

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> FileResponse | HTMLResponse:
        page = web_dist / "index.html"
        if page.is_file():
            return FileResponse(page, media_type="text/html", headers=_INDEX_HEADERS)
        return HTMLResponse(_NOT_BUILT.format(version=__version__, api=API_PREFIX))

    return app


_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>labelhub</title>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>labelhub {version}</h1>
<p>The server is running, but the browser UI has not been built in this checkout.</p>
<p>Build it with <code>make web</code> (it needs Node.js 20.19 or newer, for the build only), then reload this page.
Released packages ship the UI already built.</p>
<p>The REST API is under <code>{api}</code>; its interactive docs are at <a href="/docs">/docs</a>.</p>
</body>
"""


def app_from_env() -> FastAPI:
    """Build the app from ``LABELHUB_*`` settings in a server process that ``serve --workers N`` started.

    The parent has migrated the database already, so the processes do not race to do it.
    """
    hub = Hub.open(Settings.from_env(), migrate=False)
    app = create_app(hub, run_worker=os.environ.get(EMBEDDED_WORKER_ENV, "1") == "1")
    tune_for_long_run()
    return app
