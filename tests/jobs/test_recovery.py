"""Jobs whose worker died are found by any live worker's periodic check (not only at start), requeued, failed or
cancelled, and their leftovers removed; a job whose worker is alive keeps its heartbeat fresh and is left alone.

No test sleeps for the stale window: heartbeats are set in the past, or the recovering worker's clock is moved on.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from tests.builders import new_project
from tests.jobs.test_executor import FINISHED, job_row, queue, wait_for

from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.jobs.executor import LocalExecutor
from labelhub.services.access import Actor
from labelhub.services.jobs import MAX_ATTEMPTS, cancel, claim_next
from labelhub.services.models import models_dir
from labelhub.storage.models import Job, ModelVersion, utcnow

SYSTEM = Actor.system()
NOTHING: dict[str, Any] = {"other": lambda ctx: {}}  # an executor that runs none of the tests' job kinds


def orphan(hub: Hub, job_id: int, *, attempts: int | None = None) -> None:
    """Leave the job as a killed worker leaves it: running on a dead worker, its heartbeat an hour old."""
    with hub.db.session(write=True) as s:
        claimed = claim_next(s, "dead-host:1")
        assert claimed is not None and claimed.id == job_id
        values: dict[str, Any] = {"heartbeat_at": utcnow() - timedelta(hours=1), "message": "read 52,000 items"}
        if attempts is not None:
            values["attempts"] = attempts
        s.execute(update(Job).where(Job.id == job_id).values(**values))


def set_heartbeat(hub: Hub, job_id: int, ago: timedelta) -> None:
    with hub.db.session(write=True) as s:
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - ago))


def test_a_live_worker_requeues_a_job_orphaned_after_it_started(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    executor = LocalExecutor(hub, handlers=NOTHING, poll_seconds=0.05, recover_seconds=0.05)
    executor.start()  # its start-up check finds nothing: the job dies later, while this worker runs
    try:
        job_id = queue(hub, "doomed", {})
        with caplog.at_level(logging.WARNING, logger="labelhub.jobs"):
            orphan(hub, job_id)
            wait_for(lambda: job_row(hub, job_id).status == "queued", "the periodic check to requeue the job", 10)
    finally:
        executor.stop()
    job = job_row(hub, job_id)
    assert (job.attempts, job.worker_id) == (1, None)
    assert job.message == "requeued: its worker dead-host:1 stopped during try 1"
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    said = f"job {job_id} doomed (no project) lost its worker dead-host:1 at 'read 52,000 items': requeued (try 1 of 3"
    assert f"{said} ended)" in lines


def test_the_stale_window_is_measured_on_the_injected_clock(hub: Hub, settings: Settings) -> None:
    job_id = queue(hub, "doomed", {})
    with hub.db.session(write=True) as s:
        assert claim_next(s, "dead-host:1") is not None  # its heartbeat is fresh
    assert LocalExecutor(hub, handlers=NOTHING, stale_seconds=600).recover() == 0
    later = LocalExecutor(hub, handlers=NOTHING, stale_seconds=600, clock=lambda: utcnow() + timedelta(minutes=11))
    assert later.recover() == 1
    assert job_row(hub, job_id).status == "queued"


def test_a_job_cancelled_while_its_worker_is_dead_ends_cancelled(hub: Hub) -> None:
    job_id = queue(hub, "import", {"source": "/nowhere/x.json"}, new_project(hub, "p"))
    orphan(hub, job_id)
    with hub.db.session(write=True) as s:
        assert cancel(s, SYSTEM, job_id).status == "running"  # asked; nobody is left to honour it
    assert LocalExecutor(hub, handlers=NOTHING).recover() == 1
    job = job_row(hub, job_id)
    assert job.status == "cancelled"
    assert job.finished_at is not None
    assert job.message == "cancelled (its worker dead-host:1 stopped); nothing was changed"
    assert not LocalExecutor(hub, handlers=NOTHING).run_once()  # and it never runs again


def test_a_job_that_killed_its_worker_too_often_fails(hub: Hub) -> None:
    job_id = queue(hub, "doomed", {})
    orphan(hub, job_id, attempts=MAX_ATTEMPTS)
    assert LocalExecutor(hub, handlers=NOTHING).recover() == 1
    job = job_row(hub, job_id)
    assert (job.status, job.error and job.error["title"]) == ("failed", "Worker lost")


@pytest.mark.parametrize("reports", [True, False], ids=["progress-reports", "silent-step"])
def test_a_long_job_whose_worker_lives_is_never_requeued(hub: Hub, settings: Settings, reports: bool) -> None:
    """Another process checks for stale jobs while this one runs a long job, reporting progress or not: the
    running worker keeps the heartbeat fresh, so the check leaves the job alone and it finishes once."""
    other = Hub.open(settings)  # a second worker process, checking every few seconds
    checker = LocalExecutor(other, handlers=NOTHING)
    checks: list[int] = []
    runs: list[int] = []

    def long_job(ctx: JobContext) -> dict[str, Any]:
        runs.append(ctx.job_id)
        ctx.min_interval = 0.0
        for step in range(3):
            set_heartbeat(hub, ctx.job_id, timedelta(hours=1))  # time passes: its last beat is now old
            if reports:
                ctx.progress(step / 3, f"pass {step}")  # a progress report beats
            else:  # a training step that reports nothing for minutes: the watch thread beats
                wait_for(lambda: job_row(hub, ctx.job_id).heartbeat_at > utcnow() - timedelta(seconds=5),  # type: ignore[operator]
                         "the watch thread to beat", 10)  # fmt: skip
            checks.append(checker.recover())
        return {"steps": 3}

    job_id = queue(hub, "long", {})
    # Only the other process checks: this worker's own check, every stale/4 s, could fall between the test's "time
    # passes" and the next beat (as a real clock never does) and requeue the job under the check being tested.
    executor = LocalExecutor(hub, handlers={"long": long_job}, poll_seconds=0.05, recover_seconds=3600)
    executor.start()
    try:
        wait_for(lambda: job_row(hub, job_id).status in FINISHED, "the long job to finish")
    finally:
        executor.stop()
        other.close()
    job = job_row(hub, job_id)
    assert (job.status, job.attempts, job.result) == ("succeeded", 1, {"steps": 3})
    assert checks == [0, 0, 0]
    assert runs == [job_id]


@pytest.mark.parametrize(("kind", "line"), [("train_model", "text-classifier"),
                                            ("federated_train", "federated-text-classifier")])  # fmt: skip
def test_a_recovered_training_leaves_no_training_version_nor_its_half_folder(hub: Hub, kind: str, line: str) -> None:
    pid = new_project(hub, "p")
    job_id = queue(hub, kind, {"kind": "text_classifier"}, pid)
    orphan(hub, job_id)
    with hub.db.session(write=True) as s:  # what the training had registered when its worker was killed
        mv = ModelVersion(project_id=pid, name=line, kind="text_classifier", version=2, job_id=job_id)
        s.add(mv)
        s.flush()
        mv_id = mv.id
    half = models_dir(hub) / f"project-{pid}" / f"{line}-v2-{mv_id}"
    half.mkdir(parents=True)
    (half / "model.pt").write_bytes(b"half a model")
    keep = models_dir(hub) / f"project-{pid}" / "other-v1-1"
    keep.mkdir()
    assert LocalExecutor(hub, handlers=NOTHING).recover() == 1
    with hub.db.session() as s:
        row = s.get_one(ModelVersion, mv_id)
        assert row.status == "failed"
        assert "interrupted" in row.metrics["error"] and "requeued" in row.metrics["error"]
    assert not half.exists()
    assert keep.is_dir()
    assert job_row(hub, job_id).status == "queued"


def _export_leftovers(hub: Hub, job_id: int) -> tuple[Path, Path, Path]:
    folder = hub.settings.exports_dir / f"job-{job_id}"
    (folder / ".p-coco-export.json.k2v9.part").mkdir(parents=True)  # a folder export's temporary folder
    (folder / ".p-coco-export.json.k2v9.part" / "a.txt").write_text("x")
    part = folder / ".p-text-export.jsonl.dw0xr0f8.part"
    part.write_bytes(b"13 MB of a killed export")
    done = folder / "earlier.json"
    done.write_text("{}")
    return folder, part, done


def test_a_killed_export_loses_its_part_files_when_recovered(hub: Hub) -> None:
    pid = new_project(hub, "p")
    requeued, failed = queue(hub, "export", {}, pid), queue(hub, "export", {}, pid)
    orphan(hub, requeued)
    orphan(hub, failed, attempts=MAX_ATTEMPTS)
    folder, part, other = _export_leftovers(hub, requeued)
    gone, _, _ = _export_leftovers(hub, failed)
    assert LocalExecutor(hub, handlers=NOTHING).recover() == 2
    assert not part.exists()
    assert sorted(p.name for p in folder.iterdir()) == [other.name]  # the retry writes here again
    assert not gone.exists()  # failed: no result will ever point into it


def test_an_import_that_ends_by_recovery_loses_its_upload(hub: Hub) -> None:
    pid = new_project(hub, "p")
    uploads = hub.settings.uploads_dir
    kept, removed = uploads / "aaaa" / "big.csv", uploads / "bbbb" / "big.csv"
    for path in (kept, removed):
        path.parent.mkdir(parents=True)
        path.write_text("id,text\n")
    retried = queue(hub, "import", {"source": str(kept)}, pid)
    cancelled = queue(hub, "import", {"source": str(removed)}, pid)
    orphan(hub, retried)
    orphan(hub, cancelled)
    with hub.db.session(write=True) as s:
        cancel(s, SYSTEM, cancelled)
    assert LocalExecutor(hub, handlers=NOTHING).recover() == 2
    assert [job_row(hub, i).status for i in (retried, cancelled)] == ["queued", "cancelled"]
    assert kept.is_file()  # the retry reads it
    assert not removed.parent.exists()


def test_a_worker_that_lost_its_job_records_nothing(hub: Hub, settings: Settings) -> None:
    """Its heartbeat lapsed (say the database was away) and another worker requeued the job: the first worker
    stops at its next progress report and does not overwrite the job's new state."""
    other = Hub.open(settings)
    reached: list[str] = []

    def lapsing(ctx: JobContext) -> dict[str, Any]:
        ctx.min_interval = 0.0
        set_heartbeat(hub, ctx.job_id, timedelta(hours=1))
        assert LocalExecutor(other, handlers=NOTHING).recover() == 1
        ctx.progress(0.5, "half way")
        reached.append("after the report")
        return {}

    job_id = queue(hub, "lapsing", {})
    try:
        assert LocalExecutor(hub, handlers={"lapsing": lapsing}).run_once()
    finally:
        other.close()
    job = job_row(hub, job_id)
    assert reached == []
    assert (job.status, job.worker_id, job.finished_at) == ("queued", None, None)
    assert job.message.startswith("requeued: its worker")


def test_a_stopped_worker_hands_its_running_job_back(hub: Hub, settings: Settings) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(ctx: JobContext) -> dict[str, Any]:
        started.set()
        release.wait(30)
        return {}

    job_id = queue(hub, "slow", {})
    executor = LocalExecutor(hub, handlers={"slow": slow}, poll_seconds=0.05)
    executor.start()
    assert started.wait(30)
    executor.stop(timeout=0.2)  # a graceful restart while the job runs
    try:
        assert job_row(hub, job_id).heartbeat_at is None
        # The next worker (here the restarted one, at its start) requeues it without waiting the stale window.
        assert LocalExecutor(hub, handlers=NOTHING, stale_seconds=3600).recover() == 1
        assert job_row(hub, job_id).status == "queued"
    finally:
        release.set()
        wait_for(lambda: not executor._running, "the handed-back handler to return", 30)
    assert job_row(hub, job_id).status == "queued"  # its late end is not recorded over the requeue


def test_a_stopping_worker_hands_back_a_reporting_job_at_its_next_report(hub: Hub) -> None:
    started = threading.Event()
    reports: list[int] = []

    def reporting(ctx: JobContext) -> dict[str, Any]:
        ctx.min_interval = 0.0
        for step in range(10_000):
            reports.append(step)
            ctx.progress(step / 10_000, f"step {step}")
            started.set()
            time.sleep(0.01)
        return {}

    job_id = queue(hub, "reporting", {})
    executor = LocalExecutor(hub, handlers={"reporting": reporting}, poll_seconds=0.05)
    executor.start()
    assert started.wait(30)
    executor.stop(timeout=30)  # a graceful restart
    job = job_row(hub, job_id)
    assert not executor._running
    assert (job.status, job.worker_id, job.attempts) == ("queued", None, 0)  # a restart is not a failed try
    assert job.message == f"requeued: its worker {executor.worker_id} was stopped"
    assert len(reports) < 10_000


def test_a_job_run_by_a_wait_command_beats_too(hub: Hub) -> None:
    """``run_once`` without ``start`` (``labelhub prelabel --wait``): the job's heartbeat still stays fresh."""

    def silent(ctx: JobContext) -> dict[str, Any]:
        set_heartbeat(hub, ctx.job_id, timedelta(hours=1))
        wait_for(lambda: job_row(hub, ctx.job_id).heartbeat_at > utcnow() - timedelta(seconds=5),  # type: ignore[operator]
                 "the job's heartbeat", 10)  # fmt: skip
        assert LocalExecutor(hub, handlers=NOTHING).recover() == 0
        return {}

    job_id = queue(hub, "silent", {})
    assert LocalExecutor(hub, handlers={"silent": silent}).run_once()
    assert job_row(hub, job_id).status == "succeeded"
