"""Login throttling: too many failed logins for one username, or from one client address, get 429 for a while.

The rule: 10 failures for a username (case-insensitive) within 15 minutes, or 50 from one client address within
15 minutes, and further attempts for it are refused, without checking the password, until the oldest of those
failures is 15 minutes old. A successful login clears its username's failures (not its address's).

The counts live in memory, in each server process (thread-safe). With ``labelhub serve --workers N`` every process
counts on its own, so a username can take up to N times the failures before all of them refuse it; a restart
forgets every count. Behind a reverse proxy the client address is the proxy's unless uvicorn trusts it for
``X-Forwarded-For`` (``FORWARDED_ALLOW_IPS``; 127.0.0.1 is trusted by default).

Written by hand (a sliding window of failure times per key, about 80 lines) rather than with the ``limits``
package: that would be a new dependency for one counter, and its rate limiters count every hit, while here only
failures count and a success must clear a username's count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from labelhub.errors import LabelhubError

MAX_PER_USERNAME = 10
MAX_PER_CLIENT = 50
WINDOW_SECONDS = 15 * 60.0
_KEY_CHARS = 200  # a username longer than this is counted by its first 200 characters
_SWEEP_EVERY = 1024  # failures between two sweeps of keys whose failures have all expired


class TooManyAttempts(LabelhubError):
    """429: this username or client address failed to log in too often; ``retry_after`` is in seconds."""

    status = 429
    title = "Too many attempts"
    slug = "too-many-attempts"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an attempt is refused: which count (``username`` or ``client``), for which key, for how long."""

    scope: str
    key: str
    retry_after: int  # whole seconds, at least 1
    first: bool  # the first refusal since this key was locked: the one worth an audit event

    @property
    def detail(self) -> str:
        what = "this username" if self.scope == "username" else "this address"
        at = datetime.now(UTC) + timedelta(seconds=self.retry_after)
        return f"too many failed logins for {what}; try again in {_duration(self.retry_after)}, after {at:%H:%M:%S} UTC"


@dataclass(slots=True)
class _Failures:
    times: deque[float]
    reported: bool = False  # this lockout's first refusal was returned with first=True


@dataclass(slots=True)
class _Counter:
    limit: int
    keys: dict[str, _Failures] = field(default_factory=dict)

    def live(self, key: str, since: float) -> _Failures | None:
        entry = self.keys.get(key)
        if entry is None:
            return None
        while entry.times and entry.times[0] <= since:
            entry.times.popleft()
        if not entry.times:
            del self.keys[key]
            return None
        return entry

    def add(self, key: str, now: float, since: float) -> None:
        entry = self.live(key, since)
        if entry is None:
            entry = self.keys[key] = _Failures(deque(maxlen=self.limit))
        entry.times.append(now)  # past the limit the oldest drops out: the lockout lasts longer
        entry.reported = False

    def refusal(self, scope: str, key: str, now: float, window: float) -> Refusal | None:
        entry = self.live(key, now - window)
        if entry is None or len(entry.times) < self.limit:
            return None
        first = not entry.reported
        entry.reported = True
        wait = max(1, math.ceil(entry.times[0] + window - now))
        return Refusal(scope=scope, key=key, retry_after=wait, first=first)

    def sweep(self, since: float) -> None:
        for key in [k for k, e in self.keys.items() if not e.times or e.times[-1] <= since]:
            del self.keys[key]


class LoginThrottle:
    """Failed-login counts per username and per client address; see the module's docstring.

    ``clock`` returns seconds (monotonic); tests pass their own to move time forward.
    """

    def __init__(
        self,
        *,
        max_per_username: int = MAX_PER_USERNAME,
        max_per_client: int = MAX_PER_CLIENT,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window_seconds
        self.clock = clock
        self._users = _Counter(max_per_username)
        self._clients = _Counter(max_per_client)
        self._lock = threading.Lock()
        self._failures = 0

    def check(self, username: str, client: str) -> Refusal | None:
        """The refusal for an attempt at ``username`` from ``client``, or None when it may go on."""
        now = self.clock()
        with self._lock:
            found = [
                r
                for r in (
                    self._users.refusal("username", _user_key(username), now, self.window),
                    self._clients.refusal("client", client, now, self.window),
                )
                if r is not None
            ]
        if not found:
            return None
        longest = max(found, key=lambda r: r.retry_after)
        return replace(longest, first=any(r.first for r in found))

    def failed(self, username: str, client: str) -> None:
        """Count a failed login (a wrong password, an unknown or a deactivated user)."""
        now = self.clock()
        since = now - self.window
        with self._lock:
            self._users.add(_user_key(username), now, since)
            self._clients.add(client, now, since)
            self._failures += 1
            if self._failures % _SWEEP_EVERY == 0:
                self._users.sweep(since)
                self._clients.sweep(since)

    def succeeded(self, username: str) -> None:
        """Clear the username's failures after a successful login."""
        with self._lock:
            self._users.keys.pop(_user_key(username), None)


def _user_key(username: str) -> str:
    return username.casefold()[:_KEY_CHARS]


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
