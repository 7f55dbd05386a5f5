"""An import killed with SIGKILL in the middle of its write leaves the project as it was, and the database sound.

The ``labelhub import`` subprocess is killed only once its write transaction is verifiably open: on SQLite when
it holds the write lock, on PostgreSQL when its backend has begun writing (has a transaction id).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.builders import new_project, synthetic_coco

from labelhub.config import Settings
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.stats import project_stats

SYSTEM = Actor.system()


def _wait(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], stderr: bytearray) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            tail = bytes(stderr[-2000:]).decode(errors="replace")
            pytest.fail(f"never saw {what}; exit {proc.returncode}; stderr ends:\n{tail}")
        time.sleep(0.005)


def _sqlite_writer_active(path: str) -> bool:
    """Return True while another connection holds the SQLite write lock."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return True
    finally:
        conn.close()


def _pg_writers(hub: Hub) -> int:
    """Return how many other sessions on this database are inside a transaction that has written."""
    with hub.db.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar_one())  # fmt: skip


def _writing(hub: Hub) -> bool:
    if hub.db.dialect == "sqlite":
        return _sqlite_writer_active(hub.db.url.removeprefix("sqlite:///"))
    return _pg_writers(hub) > 0


def test_killed_import_leaves_nothing_behind(hub: Hub, settings: Settings, db_url: str, tmp_path: Path) -> None:
    pid = new_project(hub, "big")
    source = synthetic_coco(tmp_path / "big.json", images=60_000, boxes_per_image=3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELHUB_")}
    # TTY_* make rich draw its progress bar into the pipe, so the "writing" message can be seen there.
    env |= {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
            "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "200"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelhub", "import", "big", str(source), "--format", "coco", "--metadata-only"],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    stderr = bytearray()

    def drain() -> None:
        assert proc.stderr is not None
        while chunk := os.read(proc.stderr.fileno(), 65536):
            stderr.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        _wait(lambda: b"writing 60,000 items and 180,000 annotations" in stderr, "the write phase start", proc, stderr)
        _wait(lambda: _writing(hub), "the write transaction open", proc, stderr)
        assert proc.poll() is None, "the import finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
    assert b"imported" not in stderr

    if hub.db.dialect == "postgresql":
        deadline = time.monotonic() + 30
        while _pg_writers(hub) and time.monotonic() < deadline:  # the server notices the dead client
            time.sleep(0.05)
        assert _pg_writers(hub) == 0
    reopened = Hub.open(settings)
    try:
        with reopened.db.session() as s:
            stats = project_stats(s, SYSTEM, pid)
            if reopened.db.dialect == "sqlite":
                assert s.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert (stats["items"]["total"], stats["annotations"]["total"]) == (0, 0)
        # The database takes writes again: nothing was left locked.
        small = synthetic_coco(tmp_path / "small.json", images=5, boxes_per_image=2)
        report = import_source(reopened, SYSTEM, pid, small, fmt="coco", options=ImportOptions(media="none"))
        assert (report.items_added, report.annotations_added) == (5, 10)
    finally:
        reopened.close()
