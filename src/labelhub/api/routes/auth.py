"""Login, logout, the current user and their API tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from labelhub.api.deps import CSRF_HEADER, SESSION_COOKIE, ActorDep, HubDep, current_actor
from labelhub.api.schemas import (
    CurrentUserPublic,
    LoginIn,
    SessionPublic,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserPublic,
)
from labelhub.errors import AuthenticationError, PermissionDenied
from labelhub.hub import Hub
from labelhub.services import audit, users
from labelhub.services.access import Actor, may_create_projects
from labelhub.services.login_throttle import LoginThrottle, TooManyAttempts
from labelhub.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=CurrentUserPublic)
async def login(body: LoginIn, request: Request, response: Response, hub: HubDep) -> CurrentUserPublic:
    """Check the password and set a session cookie for the browser.

    Too many failures for the username from the client address, for the username from every address, or from
    the address answer 429 with ``Retry-After``, without checking the password
    (:mod:`labelhub.services.login_throttle`; the counts are in the database, shared by every server process).
    The password check waits for one of ``HASH_SLOTS`` slots here, in the event loop, so a login flood holds no
    thread of the pool other routes use.
    """
    throttle: LoginThrottle = request.app.state.login_throttle
    # uvicorn puts the X-Forwarded-For address here when the request comes from a proxy it trusts.
    address = request.client.host if request.client else "unknown"
    await run_in_threadpool(_refuse_if_throttled, hub, throttle, body.username, address)
    async with request.app.state.password_checks:
        out, secret = await run_in_threadpool(_log_in, hub, throttle, body, address)
    hours = hub.settings.session_hours
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return out


def _log_in(hub: Hub, throttle: LoginThrottle, body: LoginIn, address: str) -> tuple[CurrentUserPublic, str]:
    _refuse_if_throttled(hub, throttle, body.username, address)  # failures may have come in while this waited
    try:
        with hub.db.session() as s:  # a read: on SQLite the Argon2 check holds no write lock
            user_id = users.authenticate(s, body.username, body.password).id
    except AuthenticationError:
        _count_failure(hub, throttle, body.username, address)
        raise
    hours = hub.settings.session_hours
    with hub.db.session(write=True) as s:
        user = users.get_user(s, user_id)
        if not user.is_active:  # deactivated between the password check and now
            raise AuthenticationError("wrong username or password")
        throttle.succeeded(s, body.username, address)
        issued = users.issue_token(s, user, "browser session", kind="session", lifetime=timedelta(hours=hours))
        audit.record(s, users.actor_for(user), "auth.login", "user", user.id)
        return _current(hub, user), issued.token


def _current(hub: Hub, user: User) -> CurrentUserPublic:
    public = UserPublic.model_validate(user)
    creates = may_create_projects(users.actor_for(user), hub.settings.project_creators)
    return CurrentUserPublic(**public.model_dump(), can_create_projects=creates)


def _refuse_if_throttled(hub: Hub, throttle: LoginThrottle, username: str, address: str) -> None:
    with hub.db.session() as s:
        refusal = throttle.check(s, username, address)
    if refusal is not None:
        raise TooManyAttempts(refusal.detail, retry_after=refusal.retry_after)


def _count_failure(hub: Hub, throttle: LoginThrottle, username: str, address: str) -> None:
    """Count the failure; one that starts a lockout is audited (once per lockout, not per refused attempt)."""
    with hub.db.session(write=True) as s:
        for lockout in throttle.failed(s, username, address):
            audit.record(
                s,
                Actor(user_id=None, username="anonymous"),
                "auth.throttled",
                "login",
                lockout.key[:64],
                detail={
                    "username": username[:200],
                    "client": address,
                    "by": lockout.scope,
                    "retry_after": lockout.retry_after,
                },
            )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, hub: HubDep) -> None:
    """End the browser session (the cookie's token is revoked server-side); like every cookie write it needs the
    CSRF header, or any site could log its visitors out of labelhub."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and not request.headers.get(CSRF_HEADER):
        raise PermissionDenied(f"requests with a session cookie must send the {CSRF_HEADER} header", field=CSRF_HEADER)
    if secret:
        with hub.db.session(write=True) as s:
            users.end_session(s, secret)
        hub.actors.clear()
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=CurrentUserPublic)
def me(actor: ActorDep, hub: HubDep) -> CurrentUserPublic:
    """The logged-in user; ``can_create_projects`` says whether the server lets them create projects."""
    with hub.db.session() as s:
        return _current(hub, users.get_user(s, actor.user_id or 0))


@router.get("/session", response_model=SessionPublic)
async def session(request: Request, hub: HubDep) -> SessionPublic:
    """Who is logged in, or ``{"user": null}``: always 200, so a page that only asks logs no failed request.

    ``GET /auth/me`` answers 401 for nobody, which a browser reports as an error in its console on every visit
    to the login page.
    """
    try:
        actor = await current_actor(request, hub)
    except AuthenticationError:
        return SessionPublic(user=None)
    return SessionPublic(user=await run_in_threadpool(me, actor, hub))


@router.get("/tokens", response_model=list[TokenPublic])
def list_my_tokens(actor: ActorDep, hub: HubDep) -> list[TokenPublic]:
    with hub.db.session() as s:
        return [TokenPublic.model_validate(t) for t in users.list_tokens(s, actor.user_id or 0)]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def create_my_token(body: TokenCreate, actor: ActorDep, hub: HubDep) -> TokenIssued:
    """Create an API token for scripts; the secret is in this response only."""
    with hub.db.session(write=True) as s:
        user = users.get_user(s, actor.user_id or 0)
        t = users.issue_token(s, user, body.name, lifetime=timedelta(days=body.days) if body.days else None)
    return TokenIssued(id=t.id, name=t.name, token=t.token, expires_at=t.expires_at)


@router.delete("/tokens/{token_id}", status_code=204)
def delete_my_token(token_id: int, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.session(write=True) as s:
        users.delete_token(s, actor, actor.user_id or 0, token_id)
    hub.actors.clear()
