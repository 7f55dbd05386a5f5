"""What a worker logs: one line per job start and end, and, while its database is away, one traceback then one
short line per retry with growing waits, and one line when it answers again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tests.builders import new_project
from tests.jobs.test_executor import queue, wait_for

from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.jobs.backoff import Backoff
from labelhub.jobs.context import JobContext
from labelhub.jobs.executor import LocalExecutor
from labelhub.storage.models import Job

LOGGER = "labelhub.jobs"


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def test_backoff_doubles_from_one_second_to_thirty() -> None:
    backoff = Backoff(logging.getLogger("test.backoff"))
    delays = [backoff.failed(RuntimeError("down"), "x") for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]
    backoff.succeeded()
    assert backoff.failures == 0
    assert backoff.failed(RuntimeError("down"), "x") == 1


def test_a_lost_database_logs_one_traceback_then_one_line_per_retry(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = hub.db.session
    failures = {"left": 6}
    lock = threading.Lock()

    @contextmanager
    def flaky(*, write: bool = False) -> Iterator[Session]:
        with lock:  # the worker's threads fail exactly six times in all
            fail = failures["left"] > 0
            failures["left"] -= fail
        if fail:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused: is the server up?"))
        with real(write=write) as s:
            yield s

    def status(job_id: int) -> str:  # the test's own reads do not go through the failing sessions
        with real() as s:
            return s.get_one(Job, job_id).status

    executor = LocalExecutor(hub, handlers={"ok": lambda ctx: {}}, poll_seconds=0.01, recover_seconds=3600)
    executor.backoff = Backoff(logging.getLogger(LOGGER), first=0.001, cap=0.004)  # the real waits are 1 s to 30 s
    job_id = queue(hub, "ok", {})
    monkeypatch.setattr(hub.db, "session", flaky)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        executor.start()
        try:
            wait_for(lambda: status(job_id) == "succeeded", "the job to run once the database is back")
        finally:
            executor.stop()
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # the first failure only (the start-up check is the first one)
    assert "connection refused: is the server up?" in tracebacks[0].getMessage()
    short = lines(caplog, logging.WARNING)
    again = [x for x in short if "failed again" in x]
    assert len(again) == 5
    assert all("connection refused: is the server up?" in x and "\n" not in x for x in again)
    assert [x for x in short if "answers again" in x] == [
        "the database answers again, after 6 failed attempt(s) over 0 s"
    ]


def test_start_end_and_failure_are_logged_once_each(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    pid = new_project(hub, "p")

    def bad(ctx: JobContext) -> dict[str, Any]:
        raise ValidationError("the coco format makes image items\nand this is a text project", field="format")

    def crash(ctx: JobContext) -> dict[str, Any]:
        raise RuntimeError("boom")

    good, failed, crashed = queue(hub, "good", {}, pid), queue(hub, "bad", {}, pid), queue(hub, "crash", {})
    executor = LocalExecutor(hub, handlers={"good": lambda ctx: {}, "bad": bad, "crash": crash})
    with caplog.at_level(logging.INFO, logger=LOGGER):
        while executor.run_once():
            pass
    info = lines(caplog, logging.INFO)
    assert info[0] == f"job {good} good started (project {pid}, try 1)"
    assert info[1].startswith(f"job {good} good succeeded in ")
    assert info[2] == f"job {failed} bad started (project {pid}, try 1)"
    assert info[3].startswith(f"job {failed} bad failed in ")
    assert info[3].endswith(" s: the coco format makes image items")
    assert info[4] == f"job {crashed} crash started (no project, try 1)"
    assert info[5].startswith(f"job {crashed} crash failed in ") and info[5].endswith(" s: RuntimeError: boom")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None  # a crash (not a labelhub error) has its traceback
    assert errors[0].getMessage().startswith(f"job {crashed} crash (no project) crashed after ")
