"""The FastAPI application: routers under /api/v1, problem+json errors, and the job worker's lifetime."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from labelhub import __version__
from labelhub.api import problems
from labelhub.api.routes import auth, health, items, jobs, media, projects, transfers, users
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor

API_PREFIX = "/api/v1"
EMBEDDED_WORKER_ENV = "LABELHUB_EMBEDDED_WORKER"


def _operation_id(route: APIRoute) -> str:
    # Stable ids (the function names) keep the generated TypeScript client's method names stable.
    return route.name


def create_app(hub: Hub, *, run_worker: bool = True) -> FastAPI:
    """Build the app around ``hub``; with ``run_worker`` a local job worker runs while the app runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        executor = LocalExecutor(hub, threads=hub.settings.worker_threads) if run_worker else None
        app.state.executor = executor
        if executor is not None:
            executor.start()
        try:
            yield
        finally:
            if executor is not None:
                executor.stop()

    app = FastAPI(
        title="labelhub",
        version=__version__,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        description="Self-hosted hub for AI-assisted annotation. Errors are RFC 9457 problem+json.",
    )
    app.state.hub = hub
    app.state.executor = None
    problems.install(app)
    for module in (health, auth, users, projects, items, media, jobs, transfers):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>labelhub</title><h1>labelhub</h1>"
            f"<p>Server {__version__} is running. The API is under <code>{API_PREFIX}</code>; "
            "see <a href='/docs'>/docs</a>.</p>"
        )

    return app


def app_from_env() -> FastAPI:
    """Build the app from ``LABELHUB_*`` settings in a server process that ``serve --workers N`` started.

    The parent has migrated the database already, so the processes do not race to do it.
    """
    hub = Hub.open(Settings(), migrate=False)
    return create_app(hub, run_worker=os.environ.get(EMBEDDED_WORKER_ENV, "1") == "1")
