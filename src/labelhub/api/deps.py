"""Typed dependencies: the hub, and the authenticated actor (bearer token or session cookie)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from labelhub.errors import AuthenticationError, PermissionDenied
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.users import actor_for, resolve_token_with_expiry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from labelhub.api.schemas import JobPublic
    from labelhub.storage.models import Job

SESSION_COOKIE = "labelhub_session"
CSRF_HEADER = "x-requested-with"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def current_actor(request: Request, hub: HubDep) -> Actor:
    """Return the actor for a bearer token or a session cookie, or raise 401.

    A cookie-authenticated request that changes something must carry ``X-Requested-With``: browsers do not
    send custom headers cross-site without CORS, so another site cannot forge the request.
    """
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        secret = auth[7:].strip()
    else:
        secret = request.cookies.get(SESSION_COOKIE, "")
        if secret and request.method not in _SAFE and not request.headers.get(CSRF_HEADER):
            raise PermissionDenied(
                f"requests with a session cookie must send the {CSRF_HEADER} header", field=CSRF_HEADER
            )
    if not secret:
        raise AuthenticationError("log in, or send 'Authorization: Bearer <token>'")
    actor = hub.actors.get(secret)
    if actor is None:
        actor = await run_in_threadpool(_resolve, hub, secret)
    return actor


def _resolve(hub: Hub, secret: str) -> Actor:
    with hub.db.session() as s:
        user, expires_at = resolve_token_with_expiry(s, secret)
        actor = actor_for(user)
    hub.actors.put(secret, actor, expires_at)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def admin_actor(actor: ActorDep) -> Actor:
    if not actor.is_admin:
        raise PermissionDenied("this needs an administrator", field="role")
    return actor


AdminDep = Annotated[Actor, Depends(admin_actor)]


def wake_worker(request: Request) -> None:
    """Tell the server's job worker (when it runs one) that a job was queued, so it starts without polling."""
    executor = getattr(request.app.state, "executor", None)
    if executor is not None:
        executor.notify()


def job_public(job: Job, actor: Actor, hub: Hub) -> JobPublic:
    """A job as its reader may see it: an administrator gets the server's paths and an unexpected failure's
    traceback, anyone else paths inside labelhub's home relative to it (``exports/job-8/coco-export.json``) and
    no traceback, so members do not learn the server's folders or code from an export's result, an upload's
    report, a failure or the 202 answer that queued it."""
    from labelhub.api.schemas import JobPublic
    from labelhub.services.jobs import relative_paths

    out = JobPublic.model_validate(job)
    if actor.is_admin:
        return out
    home = str(hub.settings.home.resolve()) + "/"
    out.params = relative_paths(out.params, home)
    out.result = relative_paths(out.result, home) if out.result is not None else None
    if out.error is not None:
        out.error = relative_paths({k: v for k, v in out.error.items() if k != "traceback"}, home)
    return out


def queued_job(request: Request, hub: Hub, actor: Actor, enqueue: Callable[[Session], Job]) -> JobPublic:
    """Run ``enqueue`` (the service that checks the role and writes the job row) in a write transaction, then
    wake the server's worker; return the queued job as the 202 body of the routes that start work."""
    with hub.db.session(write=True) as s:
        out = job_public(enqueue(s), actor, hub)
    wake_worker(request)
    return out
