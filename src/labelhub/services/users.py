"""Users, passwords, API tokens and browser sessions."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import Role
from labelhub.errors import AuthenticationError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from labelhub.services import assignment, audit
from labelhub.services.access import Actor
from labelhub.services.security import hash_password, new_token, token_digest, verify_password
from labelhub.storage.models import ApiToken, Membership, User, utcnow

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as shown once to its owner; only its digest is stored."""

    id: int
    name: str
    token: str
    expires_at: datetime | None


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, is_admin=user.is_admin)


def create_user(session: Session, actor: Actor, username: str, password: str, *, is_admin: bool = False) -> User:
    """Create a user; raises ConflictError when the name is taken."""
    if not _USERNAME.match(username):
        raise ValidationError("username must be 1-64 letters, digits or . _ @ -", field="username")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password must be at least {MIN_PASSWORD} characters", field="password")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists", field="username")
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin, is_active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, detail={"username": username, "admin": is_admin})
    return user


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    password: str | None = None,
    is_admin: bool | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's password, admin flag or active flag.

    A new password ends the user's browser sessions (a reset is what one does about a leaked password; their API
    tokens stay, as they are revoked one by one); deactivating ends sessions and tokens alike, and takes the user's
    assignments off the items they have not labelled yet, in every project (``detail.unassigned``: how many)."""
    user = get_user(session, user_id)
    changed: list[str] = []
    if password is not None:
        if len(password) < MIN_PASSWORD:
            raise ValidationError(f"password must be at least {MIN_PASSWORD} characters", field="password")
        user.password_hash = hash_password(password)
        changed.append("password")
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == "session"))
    if is_admin is not None:
        user.is_admin = is_admin
        changed.append("is_admin")
    unassigned = 0
    if is_active is not None:
        user.is_active = is_active
        changed.append("is_active")
        if not is_active:
            session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            # Someone who can no longer log in labels nothing: their open items go back to each project's pool.
            unassigned = assignment.clear_user_assignments(session, actor, user.id, user.username)
    detail: dict[str, object] = {"changed": changed, **({"unassigned": unassigned} if unassigned else {})}
    audit.record(session, actor, "user.update", "user", user.id, detail=detail)
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found", field="user_id")
    return user


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"user {username!r} not found", field="username")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def directory(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Return ``(id, username)`` of every active user, for picking project members.

    Administrators, and people who manage members of at least one project (owner or manager), may look;
    everyone else gets PermissionDenied.
    """
    if not actor.is_admin:
        managing = (Role.OWNER.value, Role.MANAGER.value)
        manages = session.scalar(
            select(Membership.project_id)
            .where(Membership.user_id == actor.user_id, Membership.role.in_(managing))
            .limit(1)
        )
        if manages is None:
            raise PermissionDenied("only administrators and project managers can list users")
    rows = session.execute(select(User.id, User.username).where(User.is_active).order_by(User.username)).all()
    return [(uid, name) for uid, name in rows]


def authenticate(session: Session, username: str, password: str) -> User:
    """Return the active user with these credentials, or raise AuthenticationError (same message either way)."""
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise AuthenticationError("wrong username or password")
    return user


def issue_token(
    session: Session, user: User, name: str, *, kind: str = "api", lifetime: timedelta | None = None
) -> IssuedToken:
    """Create a token for ``user`` and return its secret; the secret is not stored and cannot be shown again."""
    secret = new_token()
    expires = utcnow() + lifetime if lifetime else None
    row = ApiToken(user_id=user.id, name=name, kind=kind, token_hash=token_digest(secret), expires_at=expires)
    session.add(row)
    session.flush()
    if kind == "api":
        audit.record(session, actor_for(user), "token.create", "token", row.id, detail={"name": name})
    return IssuedToken(id=row.id, name=name, token=secret, expires_at=expires)


def resolve_token(session: Session, secret: str) -> User:
    """Return the user a token or session secret belongs to, or raise AuthenticationError."""
    return resolve_token_with_expiry(session, secret)[0]


def resolve_token_with_expiry(session: Session, secret: str) -> tuple[User, datetime | None]:
    """Return the user a token or session secret belongs to and when it expires, or raise AuthenticationError."""
    row = session.execute(
        select(ApiToken.expires_at, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(secret))
    ).first()
    if row is None:
        raise AuthenticationError("invalid or revoked token")
    expires_at, user = row
    if expires_at is not None:
        if expires_at.tzinfo is None:  # SQLite returns naive datetimes
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at < utcnow():
            raise AuthenticationError("session or token expired; log in again")
    if not user.is_active:
        raise AuthenticationError("this account is disabled")
    return user, expires_at


def end_session(session: Session, secret: str) -> None:
    """Log out: revoke a browser session's token, recorded in the audit log as the login was (nothing to record
    for a secret that no longer works)."""
    user_id = session.scalar(select(ApiToken.user_id).where(ApiToken.token_hash == token_digest(secret)))
    revoke_token(session, secret)
    user = session.get(User, user_id) if user_id is not None else None
    if user is not None:
        audit.record(session, actor_for(user), "auth.logout", "user", user.id)


def revoke_token(session: Session, secret: str) -> None:
    """Delete the token or session with this secret (logout); unknown secrets are ignored."""
    session.execute(delete(ApiToken).where(ApiToken.token_hash == token_digest(secret)))


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.kind == "api").order_by(ApiToken.id)
        )
    )


def delete_token(session: Session, actor: Actor, user_id: int, token_id: int) -> None:
    """Revoke one of a user's API tokens by id."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFoundError(f"token {token_id} not found", field="token_id")
    session.delete(row)
    audit.record(session, actor, "token.delete", "token", token_id)


class ActorCache:
    """Tokens resolved in the last few seconds, so a request does not read the token table every time.

    Hand-written (a dict with expiry times): caching libraries key on function arguments and cannot be cleared
    for one event. Within one process a logout, a deleted token or a changed user clears it at once (the API
    routes that do those call :meth:`clear`); another process (a second server worker, ``labelhub user``)
    is seen within ``ttl`` seconds. An entry never outlives its token's own expiry. ``ttl=0`` turns it off.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, secret: str) -> Actor | None:
        if self.ttl <= 0:
            return None
        hit = self._entries.get(token_digest(secret))
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, secret: str, actor: Actor, expires_at: datetime | None) -> None:
        if self.ttl <= 0:
            return
        until = time.monotonic() + self.ttl
        if expires_at is not None:
            until = min(until, time.monotonic() + (expires_at - utcnow()).total_seconds())
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[token_digest(secret)] = (until, actor)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
