"""Login throttling: too many failed logins for a username, an address, or the two together get 429 for a while.

Three counts of failures within a window (15 minutes by default), each with its own limit:

- **a username from one address** (10): the lock an attacker who guesses one account's password meets first;
  it locks only that pair, so the account's owner, logging in from elsewhere, is not locked out by it;
- **a username from every address** (100): a distributed guess, from many addresses, at one account; it takes
  ten addresses at the pair limit to lock a user out this way;
- **an address, for every username** (50): one address guessing many accounts.

An attempt that any count refuses is answered without checking the password, until enough of its failures are a
window old. A successful login clears the failures of its (username, address) pair; those of other addresses
stay, or a distributed guess could be reset by the account's owner logging in. Usernames count case-insensitively.

The failures are rows of ``login_failures`` in the database (one insert per failed login; rows older than the
window are deleted every ``PRUNE_EVERY`` failures), so every server process of ``labelhub serve --workers N``, and
a restarted one, sees the same counts. Because a refused attempt counts nothing, each count stays below its
limit plus the few failures that were being checked at once: reading one is cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from labelhub.errors import LabelhubError
from labelhub.storage.models import LoginFailure, utcnow

if TYPE_CHECKING:
    from labelhub.config import Settings

_KEY_CHARS = 200  # a username longer than this is counted by its first 200 characters
_ADDRESS_CHARS = 64
PRUNE_EVERY = 256  # failures between two deletions of the rows older than the window


class TooManyAttempts(LabelhubError):
    """429: this username or client address failed to log in too often; ``retry_after`` is in seconds."""

    status = 429
    title = "Too many attempts"
    slug = "too-many-attempts"


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many failures within ``window_seconds`` lock each count (see the module's docstring)."""

    per_user_address: int = 10
    per_user: int = 100
    per_address: int = 50
    window_seconds: float = 15 * 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        """The limits of the ``LABELHUB_LOGIN_*`` settings."""
        return cls(
            per_user_address=settings.login_failures_per_user_address,
            per_user=settings.login_failures_per_user,
            per_address=settings.login_failures_per_address,
            window_seconds=settings.login_window_minutes * 60.0,
        )


_WHAT = {
    "user_address": "this username from this address",
    "user": "this username (from several addresses)",
    "address": "this address",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an attempt is refused: which count (``user_address``, ``user`` or ``address``), for which key (the
    username, or the address), for how long."""

    scope: str
    key: str
    retry_after: int  # whole seconds, at least 1

    @property
    def detail(self) -> str:
        at = datetime.now(UTC) + timedelta(seconds=self.retry_after)
        return (
            f"too many failed logins for {_WHAT[self.scope]}; try again in {_duration(self.retry_after)}, "
            f"after {at:%H:%M:%S} UTC"
        )


@dataclass(frozen=True, slots=True)
class _Count:
    scope: str
    key: str
    limit: int
    where: ColumnElement[bool]


class LoginThrottle:
    """Failed-login counts in the database; see the module's docstring.

    The methods take the caller's session. ``clock`` returns the time (UTC); tests pass their own to move it on.
    Every ``prune_every``-th failure (by row id, so across processes) deletes the rows older than the window.
    """

    def __init__(
        self,
        limits: LoginLimits | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        prune_every: int = PRUNE_EVERY,
    ) -> None:
        self.limits = limits or LoginLimits()
        self.clock = clock
        self.prune_every = prune_every

    def check(self, session: Session, username: str, address: str) -> Refusal | None:
        """The refusal for an attempt at ``username`` from ``address``, or None when it may go on.

        A count refuses while it holds ``limit`` failures within the window: until its ``limit``-th newest
        failure is a window old. Of several, the one that lasts longest is returned.
        """
        found = self._refusals(session, self._counts(username, address))
        return max(found, key=lambda r: r.retry_after) if found else None

    def failed(self, session: Session, username: str, address: str) -> list[Refusal]:
        """Count a failed login (a wrong password, an unknown or a deactivated user), in a write session.

        Returns the lockouts this failure starts (the counts that reached their limit with it), each worth one
        audit event; usually none.
        """
        now = self.clock()
        since = now - self._window
        counts = self._counts(username, address)
        new_id = session.scalar(
            insert(LoginFailure)
            .values(username=counts[0].key, address=counts[2].key, at=now)
            .returning(LoginFailure.id)
        )
        sizes = session.execute(
            select(
                *(
                    select(func.count())
                    .select_from(LoginFailure)
                    .where(c.where, LoginFailure.at > since)
                    .scalar_subquery()
                    for c in counts
                )
            )
        ).one()
        if new_id is not None and new_id % self.prune_every == 0:
            session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
        reached = [c for c, n in zip(counts, sizes, strict=True) if n == c.limit]
        return self._refusals(session, reached) if reached else []

    def succeeded(self, session: Session, username: str, address: str) -> None:
        """Clear the failures of this username from this address after a successful login (a write session)."""
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.username == _user_key(username), LoginFailure.address == address[:_ADDRESS_CHARS]
            )
        )

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.limits.window_seconds)

    def _refusals(self, session: Session, counts: Sequence[_Count]) -> list[Refusal]:
        """The refusals of the ``counts`` that hold their limit within the window (one query)."""
        now = self.clock()
        since = now - self._window
        nth_newest = [
            select(LoginFailure.at)
            .where(c.where, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .offset(c.limit - 1)
            .limit(1)
            .scalar_subquery()
            for c in counts
        ]
        row = session.execute(select(*nth_newest)).one()
        return [
            Refusal(c.scope, c.key, max(1, math.ceil((_utc(at) + self._window - now).total_seconds())))
            for c, at in zip(counts, row, strict=True)
            if at is not None
        ]

    def _counts(self, username: str, address: str) -> tuple[_Count, ...]:
        user, addr = _user_key(username), address[:_ADDRESS_CHARS]
        by_user = LoginFailure.username == user
        by_address = LoginFailure.address == addr
        return (
            _Count("user_address", user, self.limits.per_user_address, and_(by_user, by_address)),
            _Count("user", user, self.limits.per_user, by_user),
            _Count("address", addr, self.limits.per_address, by_address),
        )


def _user_key(username: str) -> str:
    return username.casefold()[:_KEY_CHARS]


def _utc(at: datetime) -> datetime:
    """A value read through a scalar subquery: SQLite gives it without a zone, and it is UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
