"""Jobs on a Ray cluster (a local one here, 2 CPUs): run in Ray's worker processes with their outcome stored,
handed back when the executor stops, and run again when the process running one dies."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import ray
from fastapi.testclient import TestClient
from tests.builders import new_project, synthetic_coco
from tests.conftest import make_user
from tests.jobs.test_executor import FINISHED, wait_for
from tests.jobs.test_executor import job_row as job

from labelhub.api.app import create_app
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.jobs.ray_executor import RayExecutor
from labelhub.services.access import Actor
from labelhub.services.jobs import enqueue
from labelhub.services.stats import project_stats

SYSTEM = Actor.system()


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """One local Ray for the module: its 2 worker processes import labelhub once and serve every test."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 1024**2)
    yield
    ray.shutdown()


def queue_import(hub: Hub, pid: int, source: Path | str, fmt: str = "coco") -> int:
    with hub.db.session(write=True) as s:
        params: dict[str, Any] = {"source": str(source), "format": fmt, "media": "none"}
        return enqueue(s, SYSTEM, "import", params, project_id=pid).id


def counts(hub: Hub, pid: int) -> tuple[int, int]:
    with hub.db.session() as s:
        stats = project_stats(s, SYSTEM, pid)
    return stats["items"]["total"], stats["annotations"]["total"]


def task_processes() -> list[psutil.Process]:
    """Ray's worker processes running a labelhub job (Ray titles them after the task)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any("_run_on_node" in part for part in p.info["cmdline"] or []):
            found.append(p)
    return found


def test_jobs_run_in_ray_worker_processes_and_store_their_outcome(hub: Hub, ray_cluster: None, tmp_path: Path) -> None:
    headers = make_user(hub, "admin", admin=True)
    pid = new_project(hub, "p")
    good = queue_import(hub, pid, synthetic_coco(tmp_path / "s.json", images=40, boxes_per_image=2))
    bad = queue_import(hub, pid, tmp_path / "s.json", fmt="no-such-format")
    executor = RayExecutor(hub, poll_seconds=0.05)
    executor.start()
    try:
        wait_for(lambda: all(job(hub, i).status in FINISHED for i in (good, bad)), "both imports to end")
        with TestClient(create_app(hub, run_worker=False)) as client:
            r = client.post(f"/api/v1/projects/{pid}/exports", json={"format": "coco"}, headers=headers)
            assert r.status_code == 202, r.text
            export = r.json()["id"]
            wait_for(lambda: job(hub, export).status in FINISHED, "the export to end")
            assert client.get(f"/api/v1/jobs/{export}", headers=headers).json()["status"] == "succeeded"
            download = client.get(f"/api/v1/jobs/{export}/download", headers=headers)
            assert download.status_code == 200
            assert len(download.json()["annotations"]) == 80
    finally:
        executor.stop()
    assert counts(hub, pid) == (40, 80)
    imported, refused = job(hub, good), job(hub, bad)
    assert imported.status == "succeeded" and imported.result is not None
    assert imported.worker_id == executor.worker_id and imported.worker_id.startswith("ray:")
    assert refused.status == "failed" and refused.error is not None
    assert (refused.error["title"], refused.error["field"]) == ("Invalid input", "format")
    assert "no-such-format" in refused.error["detail"]
    runs = {run.job_id: run for run in executor.finished}
    assert set(runs) == {good, bad, export}
    assert {run.status for run in runs.values()} == {"succeeded", "failed"}
    assert all(run.pid != os.getpid() for run in runs.values())  # ran in Ray's processes, not here


def start_big_import(hub: Hub, tmp_path: Path) -> tuple[int, int, RayExecutor]:
    """A project, an import of 20,000 items queued for it (a few seconds' work), and a started executor."""
    pid = new_project(hub, "big")
    job_id = queue_import(hub, pid, synthetic_coco(tmp_path / "big.json", images=20_000, boxes_per_image=2))
    executor = RayExecutor(hub, poll_seconds=0.05)
    executor.start()
    return pid, job_id, executor


def test_stopping_hands_a_running_job_back_untouched(hub: Hub, ray_cluster: None, tmp_path: Path) -> None:
    pid, job_id, executor = start_big_import(hub, tmp_path)
    try:
        wait_for(lambda: (job(hub, job_id).progress or 0) > 0, "the import to report progress")
    finally:
        executor.stop()
    back = job(hub, job_id)
    assert (back.status, back.attempts, back.worker_id) == ("queued", 0, None)
    assert back.message is not None and "was stopped" in back.message
    assert counts(hub, pid) == (0, 0)  # the import's transaction rolled back in the cancelled task
    assert LocalExecutor(hub).run_once()
    assert job(hub, job_id).status == "succeeded"
    assert counts(hub, pid) == (20_000, 40_000)


def test_a_job_whose_ray_worker_dies_runs_again(hub: Hub, ray_cluster: None, tmp_path: Path) -> None:
    pid, job_id, executor = start_big_import(hub, tmp_path)
    try:
        wait_for(lambda: (job(hub, job_id).progress or 0) > 0 and bool(task_processes()), "the import to run")
        for p in task_processes():
            os.kill(p.pid, signal.SIGKILL)
        wait_for(lambda: job(hub, job_id).status in FINISHED, "the import's second try to end")
    finally:
        executor.stop()
    done = job(hub, job_id)
    assert (done.status, done.attempts) == ("succeeded", 2)
    assert counts(hub, pid) == (20_000, 40_000)
    assert [run.job_id for run in executor.finished] == [job_id]  # the first try left no outcome
