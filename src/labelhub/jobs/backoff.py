"""How a worker waits and what it logs while its database fails (dropped, restarted, unreachable).

The first failure is logged with its traceback; every later one in a row as one line with its reason; the waits
double from ``first`` to ``cap`` seconds; the first success after failures logs one line saying so. A night's
outage then writes a few lines a minute, not a traceback a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


def first_line(exc: BaseException) -> str:
    """The reason an error gives, on one line (SQLAlchemy's errors carry the SQL and a link after it)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Backoff:
    """Shared by a worker's threads: one count of failures in a row, one wait that grows with it."""

    def __init__(
        self,
        log: logging.Logger,
        *,
        first: float = 1.0,
        cap: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.first, self.cap, self.clock = log, first, cap, clock
        self._failures = 0
        self._since = 0.0
        self._lock = threading.Lock()

    @property
    def failures(self) -> int:
        """How many failures in a row (0 when the last attempt succeeded)."""
        return self._failures

    def failed(self, exc: BaseException, what: str) -> float:
        """Log the failure of ``what`` and return how long to wait before trying again."""
        with self._lock:
            self._failures += 1
            n = self._failures
            if n == 1:
                self._since = self.clock()
            delay = min(self.cap, self.first * float(2 ** min(n - 1, 20)))
        if n == 1:
            self.log.error("%s failed, retrying in %.0f s: %s", what, delay, first_line(exc), exc_info=exc)
        else:
            self.log.warning("%s failed again (%d in a row), retrying in %.0f s: %s", what, n, delay, first_line(exc))
        return delay

    def succeeded(self) -> None:
        """Note a success; after failures, log one line saying the database answers again."""
        if not self._failures:
            return
        with self._lock:
            n, self._failures = self._failures, 0
            took = self.clock() - self._since
        if n:
            self.log.warning("the database answers again, after %d failed attempt(s) over %.0f s", n, took)
