"""The SQLite write lock: one writer at a time across threads and across processes (separate lock files)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from labelhub.storage.write_lock import SqliteWriteLock


def test_second_holder_waits_until_the_first_lets_go(tmp_path: Path) -> None:
    # Two instances on one file behave like two processes: flock is per open file.
    first, second = SqliteWriteLock(tmp_path / "db-writelock"), SqliteWriteLock(tmp_path / "db-writelock")
    order: list[str] = []
    held = threading.Event()

    def hold_first() -> None:
        with first.hold(5.0):
            held.set()
            time.sleep(0.2)
            order.append("first done")

    t = threading.Thread(target=hold_first)
    t.start()
    held.wait(5)
    with second.hold(5.0):
        order.append("second in")
    t.join()
    assert order == ["first done", "second in"]
    first.close()
    second.close()


def test_nested_holds_in_one_thread_do_not_deadlock(tmp_path: Path) -> None:
    lock = SqliteWriteLock(tmp_path / "db-writelock")
    with lock.hold(1.0), lock.hold(1.0):
        entered = True
    assert entered
    other = SqliteWriteLock(tmp_path / "db-writelock")
    with other.hold(1.0):  # released after the outer hold ended
        pass
    lock.close()
    other.close()


def test_past_the_timeout_the_caller_goes_on(tmp_path: Path) -> None:
    first, second = SqliteWriteLock(tmp_path / "db-writelock"), SqliteWriteLock(tmp_path / "db-writelock")
    with first.hold(1.0):
        started = time.monotonic()
        with second.hold(0.05):
            waited = time.monotonic() - started
    assert waited >= 0.05
    first.close()
    second.close()
