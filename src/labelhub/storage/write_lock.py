"""One SQLite writer at a time, handed over without SQLite's sleeping busy handler.

SQLite has one write lock per database file. A writer that finds it taken waits in SQLite's busy handler,
which sleeps 1, 2, 5 ... up to 100 ms between tries, so under steady concurrent saves writers convoy: the
lock is often free while everyone sleeps. This lock sits in front of ``BEGIN IMMEDIATE``:

- threads of one process queue on a :class:`threading.RLock`, which wakes the next one the moment it is free;
- processes (``labelhub serve --workers N``, a separate ``labelhub worker``) take an exclusive ``flock`` on a
  file beside the database, tried without blocking and retried after at most 2 ms.

Past ``timeout`` the caller goes ahead without it and SQLite's own busy timeout decides, as before this
lock existed. Hand-written: file-lock libraries (filelock, portalocker) poll at a fixed interval or block without
a timeout, and neither composes with a per-thread re-entrant lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FIRST_SLEEP_S = 0.0002
_MAX_SLEEP_S = 0.002


class SqliteWriteLock:
    """Re-entrant across one thread's nested write sessions; ``path`` None (in-memory database): threads only."""

    def __init__(self, path: Path | None) -> None:
        self._rlock = threading.RLock()
        self._local = threading.local()
        self._path = path
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def _flock(self, deadline: float) -> bool:
        fd = self._file()
        sleep = _FIRST_SLEEP_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(sleep)
                sleep = min(sleep * 2, _MAX_SLEEP_S)

    @contextmanager
    def hold(self, timeout: float) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        if not self._rlock.acquire(timeout=timeout):
            yield  # past the timeout: let SQLite's busy handler decide
            return
        depth: int = getattr(self._local, "depth", 0)
        flocked = False
        try:
            if depth == 0 and self._path is not None:
                flocked = self._flock(deadline)
            self._local.depth = depth + 1
            yield
        finally:
            self._local.depth = depth
            if flocked and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._rlock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
