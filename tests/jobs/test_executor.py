"""The local job executor: jobs outlive restarts and dead workers, cancel cleanly, fail cleanly, run once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.builders import new_project, synthetic_coco
from tests.conftest import make_user

from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.errors import ValidationError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.jobs.executor import LocalExecutor
from labelhub.jobs.handlers import Handler
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.jobs import MAX_ATTEMPTS, cancel, claim_next, enqueue
from labelhub.services.stats import project_stats
from labelhub.storage.models import Job, utcnow

SYSTEM = Actor.system()
FINISHED = ("succeeded", "failed", "cancelled")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def job_row(hub: Hub, job_id: int) -> Job:
    with hub.db.session() as s:
        return s.get_one(Job, job_id)


def queue(hub: Hub, kind: str, params: dict[str, Any], project_id: int | None = None) -> int:
    with hub.db.session(write=True) as s:
        return enqueue(s, SYSTEM, kind, params, project_id=project_id).id


def counts(hub: Hub, pid: int) -> tuple[int, int]:
    with hub.db.session() as s:
        stats = project_stats(s, SYSTEM, pid)
    return stats["items"]["total"], stats["annotations"]["total"]


def import_params(source: Path) -> dict[str, Any]:
    return {"source": str(source), "format": "coco", "media": "none"}


def test_queued_job_survives_a_restart(hub: Hub, settings: Settings, tmp_path: Path) -> None:
    pid = new_project(hub, "p")
    job_id = queue(hub, "import", import_params(synthetic_coco(tmp_path / "s.json", images=50, boxes_per_image=2)),
                   pid)  # fmt: skip
    hub.close()
    reopened = Hub.open(settings)
    try:
        assert LocalExecutor(reopened).run_once()
        job = job_row(reopened, job_id)
        assert counts(reopened, pid) == (50, 100)
    finally:
        reopened.close()
    assert job.status == "succeeded", job.error
    assert (job.result or {})["items_added"] == 50
    assert (job.result or {})["annotations_added"] == 100


def _orphan(hub: Hub, job_id: int) -> None:
    """Leave the job as a worker that died mid-run leaves it: running, with a heartbeat long gone."""
    with hub.db.session(write=True) as s:
        claimed = claim_next(s, "dead-host:1")
        assert claimed is not None and claimed.id == job_id
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(hours=1)))


def test_job_of_a_dead_worker_is_requeued_and_finishes(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "p")
    job_id = queue(hub, "import", import_params(synthetic_coco(tmp_path / "s.json", images=30, boxes_per_image=1)),
                   pid)  # fmt: skip
    _orphan(hub, job_id)
    assert job_row(hub, job_id).status == "running"
    executor = LocalExecutor(hub, poll_seconds=0.05)
    executor.start()
    try:
        wait_for(lambda: job_row(hub, job_id).status in FINISHED, "the requeued job to finish")
    finally:
        executor.stop()
    job = job_row(hub, job_id)
    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert counts(hub, pid) == (30, 30)


def test_job_that_keeps_killing_its_worker_fails_after_three_attempts(hub: Hub) -> None:
    job_id = queue(hub, "doomed", {})
    for attempt in range(1, MAX_ATTEMPTS + 1):
        _orphan(hub, job_id)
        # This executor knows no "doomed" jobs, so it only requeues (or fails) the orphan and never runs it.
        executor = LocalExecutor(hub, handlers={"other": lambda ctx: {}}, poll_seconds=0.05)
        executor.start()
        executor.stop()
        job = job_row(hub, job_id)
        assert job.attempts == attempt
        assert job.status == ("failed" if attempt == MAX_ATTEMPTS else "queued")
    assert job.error is not None and job.error["title"] == "Worker lost"
    assert job.finished_at is not None


def test_cancel_of_a_queued_job_is_immediate(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    headers = make_user(hub, "admin", admin=True)
    pid = client.post("/api/v1/projects", json={"name": "p", "item_kind": "image"}, headers=headers).json()["id"]
    source = synthetic_coco(tmp_path / "s.json", images=10, boxes_per_image=1)
    r = client.post(f"/api/v1/projects/{pid}/imports", json={"source": str(source), "media": "none"}, headers=headers)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    r = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"] == "cancelled"
    assert not LocalExecutor(hub).run_once()
    assert counts(hub, pid) == (0, 0)
    again = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers)
    assert again.status_code == 409


def test_running_import_cancelled_midway_imports_nothing(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    headers = make_user(hub, "admin", admin=True)
    pid = new_project(hub, "p")
    source = synthetic_coco(tmp_path / "big.json", images=20_000, boxes_per_image=2)
    seen: list[str] = []
    states: list[dict[str, Any]] = []

    def import_cancelled_by_a_user(ctx: JobContext) -> dict[str, Any]:
        ctx.min_interval = 0.0  # look at the cancel flag at every progress report, not every 0.25 s

        def progress(fraction: float, message: str) -> None:
            seen.append(message)
            if message.startswith("read 4,000 of"):  # a user presses cancel a fifth of the way in
                states.append(client.post(f"/api/v1/jobs/{ctx.job_id}/cancel", headers=headers).json())
            ctx.progress(fraction, message)

        report = import_source(ctx.hub, ctx.actor, pid, source, options=ImportOptions(media="none"), progress=progress)
        return report.to_json()

    job_id = queue(hub, "import", {}, pid)
    assert LocalExecutor(hub, handlers={"import": import_cancelled_by_a_user}).run_once()
    assert [(s["status"], s["cancel_requested"]) for s in states] == [("running", True)]
    job = job_row(hub, job_id)
    assert job.status == "cancelled"
    assert "nothing was changed" in job.message
    assert seen[-1].startswith("read 4,000 of")  # it stopped at the first report after the cancel
    assert counts(hub, pid) == (0, 0)


def test_cancel_asked_while_a_short_import_reads_is_honoured(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "p")
    source = synthetic_coco(tmp_path / "s.json", images=100, boxes_per_image=1)

    def import_cancelled_while_reading(ctx: JobContext) -> dict[str, Any]:
        # The read phase of a small file is shorter than the default 0.25 s; 60 s makes that certain.
        ctx.min_interval = 60.0

        def progress(fraction: float, message: str) -> None:
            ctx.progress(fraction, message)
            if fraction == 0.0:  # the user cancels once the import has started
                with hub.db.session(write=True) as s:
                    cancel(s, SYSTEM, ctx.job_id)

        report = import_source(ctx.hub, ctx.actor, pid, source, options=ImportOptions(media="none"), progress=progress)
        return report.to_json()

    job_id = queue(hub, "import", {}, pid)
    assert LocalExecutor(hub, handlers={"import": import_cancelled_while_reading}).run_once()
    assert (job_row(hub, job_id).status, counts(hub, pid)) == ("cancelled", (0, 0))


def test_handler_error_fails_the_job_with_a_problem(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    headers = make_user(hub, "admin", admin=True)
    pid = new_project(hub, "p")
    source = synthetic_coco(tmp_path / "s.json", images=3, boxes_per_image=1)
    job_id = queue(hub, "import", {**import_params(source), "format": "no-such-format"}, pid)
    assert LocalExecutor(hub).run_once()
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
    assert job["status"] == "failed"
    assert job["error"]["title"] == "Invalid input"
    assert job["error"]["field"] == "format"
    assert "no-such-format" in job["error"]["detail"]
    assert job["error"]["detail"] in job["message"]
    assert counts(hub, pid) == (0, 0)


def test_crashing_handler_fails_its_job_and_the_worker_goes_on(hub: Hub) -> None:
    def crash(ctx: JobContext) -> dict[str, Any]:
        raise RuntimeError("the handler tripped over something")

    def labelhub_error(ctx: JobContext) -> dict[str, Any]:
        raise ValidationError("threshold must be below 1", field="threshold")

    def ok(ctx: JobContext) -> dict[str, Any]:
        return {"ok": ctx.params["n"]}

    handlers: dict[str, Handler] = {"crash": crash, "bad": labelhub_error, "ok": ok}
    ids = [queue(hub, "crash", {}), queue(hub, "bad", {}), queue(hub, "ok", {"n": 1}), queue(hub, "crash", {}),
           queue(hub, "ok", {"n": 2})]  # fmt: skip
    executor = LocalExecutor(hub, handlers=handlers, poll_seconds=0.05)
    executor.start()
    try:
        wait_for(lambda: all(job_row(hub, i).status in FINISHED for i in ids), "all five jobs to finish")
    finally:
        executor.stop()
    crashed, bad, first, crashed_again, second = (job_row(hub, i) for i in ids)
    for job in (crashed, crashed_again):
        assert job.status == "failed"
        assert job.error is not None and job.error["title"] == "RuntimeError"
        assert job.error["detail"] == "the handler tripped over something"
    assert bad.status == "failed"
    assert bad.error is not None
    assert (bad.error["title"], bad.error["detail"], bad.error["field"]) == (
        "Invalid input", "threshold must be below 1", "threshold")  # fmt: skip
    assert [(j.status, j.result) for j in (first, second)] == [("succeeded", {"ok": 1}), ("succeeded", {"ok": 2})]


def test_background_worker_runs_a_submitted_export(hub: Hub, tmp_path: Path) -> None:
    headers = make_user(hub, "admin", admin=True)
    pid = new_project(hub, "p")
    source = synthetic_coco(tmp_path / "s.json", images=12, boxes_per_image=2)
    import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(media="none"))
    with TestClient(create_app(hub, run_worker=True)) as client:
        r = client.post(f"/api/v1/projects/{pid}/exports", json={"format": "coco"}, headers=headers)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]

        def finished() -> bool:
            return client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"] in FINISHED

        wait_for(finished, "the export job to finish")
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        assert job["status"] == "succeeded", job["error"]
        assert (job["result"]["items"], job["result"]["annotations"]) == (12, 24)
        download = client.get(f"/api/v1/jobs/{job_id}/download", headers=headers)
        assert download.status_code == 200
        assert len(download.json()["annotations"]) == 24


@pytest.mark.parametrize("n_executors", [2, 4])
def test_concurrent_executors_run_every_job_exactly_once(hub: Hub, settings: Settings, n_executors: int) -> None:
    ran: list[int] = []
    lock = threading.Lock()

    def noop(ctx: JobContext) -> dict[str, Any]:
        with lock:
            ran.append(ctx.job_id)
        time.sleep(0.005)  # hold the job a moment, so the other executors claim while it runs
        return {}

    ids = [queue(hub, "noop", {"n": n}) for n in range(20)]
    hubs = [Hub.open(settings) for _ in range(n_executors)]  # one engine each, like separate processes
    start = threading.Barrier(n_executors)

    def work(h: Hub) -> None:
        executor = LocalExecutor(h, handlers={"noop": noop})
        deadline = time.monotonic() + 60
        start.wait()
        while time.monotonic() < deadline:
            if executor.run_once():
                continue
            with h.db.session() as s:  # a lost race returns False too; stop only when the queue is empty
                if not s.scalar(select(func.count()).select_from(Job).where(Job.status == "queued")):
                    return

    try:
        with ThreadPoolExecutor(n_executors) as pool:
            for future in [pool.submit(work, h) for h in hubs]:
                future.result()  # re-raises anything that went wrong in a worker thread
    finally:
        for h in hubs:
            h.close()
    assert Counter(ran) == Counter(ids)
    with hub.db.session() as s:
        rows = s.execute(select(Job.status, Job.attempts).where(Job.id.in_(ids))).all()
    assert sorted(set(rows)) == [("succeeded", 1)]


def test_cancelled_batch_job_says_its_finished_batches_are_kept(hub: Hub) -> None:
    """A pre-labelling job commits batch by batch: its cancel message must not claim that nothing changed."""
    pid = new_project(hub, "batches")

    def prelabel_cancelled_after_two_batches(ctx: JobContext) -> dict[str, Any]:
        ctx.min_interval = 0.0
        ctx.progress(0.2, "pre-labelled 64 of 320 items")
        ctx.progress(0.4, "pre-labelled 128 of 320 items")
        with ctx.hub.db.session(write=True) as s:
            cancel(s, Actor.system(), ctx.job_id)
        ctx.progress(0.4, "pre-labelled 128 of 320 items")
        return {}

    job_id = queue(hub, "prelabel", {}, pid)
    assert LocalExecutor(hub, handlers={"prelabel": prelabel_cancelled_after_two_batches}).run_once()
    job = job_row(hub, job_id)
    assert job.status == "cancelled"
    assert job.message == "cancelled; the work done before it is kept (pre-labelled 128 of 320 items)"


def test_a_new_phase_shows_at_once_while_small_steps_are_throttled(hub: Hub) -> None:
    seen: list[tuple[float, str]] = []

    def message() -> tuple[float, str]:
        with hub.db.session() as s:
            row = s.get(Job, job_id)
            assert row is not None
            return row.progress, row.message

    def phases(ctx: JobContext) -> dict[str, Any]:
        ctx.min_interval = 60.0  # only the first call and the phase changes are written
        ctx.progress(0.05, "reading vectors")
        seen.append(message())
        ctx.progress(0.08, "still reading")  # a small step soon after: throttled
        seen.append(message())
        ctx.progress(0.2, "laying out 60 items")  # a new phase (a long fit without reports follows)
        seen.append(message())
        return {}

    job_id = queue(hub, "phases", {}, None)
    assert LocalExecutor(hub, handlers={"phases": phases}).run_once()
    assert seen == [(0.05, "reading vectors"), (0.05, "reading vectors"), (0.2, "laying out 60 items")]


def held_until(release: threading.Event) -> Handler:
    """A handler standing for a long job (a training): it runs until ``release`` is set."""

    def long_job(ctx: JobContext) -> dict[str, Any]:
        release.wait(30)
        return {"released": release.is_set()}

    return long_job


@pytest.mark.parametrize("lane", [1, 0], ids=["interactive lane", "no lane"])
def test_a_propagation_does_not_wait_behind_a_long_job(hub: Hub, lane: int) -> None:
    release = threading.Event()
    handlers: dict[str, Handler] = {"train_model": held_until(release), "propagate": lambda ctx: {"track": 7}}
    training, second_training = queue(hub, "train_model", {}), queue(hub, "train_model", {})
    track = queue(hub, "propagate", {"track": 7})
    executor = LocalExecutor(hub, threads=1, interactive_threads=lane, handlers=handlers, poll_seconds=0.05)
    executor.start()
    try:
        wait_for(lambda: job_row(hub, training).status == "running", "the training to start")
        if lane:
            wait_for(lambda: job_row(hub, track).status == "succeeded", "the propagation beside the training")
        time.sleep(0.3)  # several polls of the idle threads
        assert job_row(hub, training).status == "running"
        assert job_row(hub, second_training).status == "queued"  # the lane takes no other kind
        assert job_row(hub, track).status == ("succeeded" if lane else "queued")  # without it: in turn
        release.set()
        wait_for(lambda: job_row(hub, track).status == "succeeded", "every job to finish")
        wait_for(lambda: job_row(hub, second_training).status == "succeeded", "every job to finish")
    finally:
        release.set()
        executor.stop()
    assert job_row(hub, track).result == {"track": 7}
