"""Jobs on a Ray cluster (here two nodes of 1 CPU on this machine, beside a head that runs nothing, as
``ray.cluster_utils.Cluster`` starts them): run in the nodes' worker processes with their outcome stored, handed
back when the executor stops, and run again on another node when the one running a job dies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import ray
from fastapi.testclient import TestClient
from ray.cluster_utils import Cluster
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


NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024**2}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Cluster]:
    """One cluster for the module: a head without CPUs (so every job goes to a node) and two nodes of 1 CPU,
    whose worker processes import labelhub once and serve every test."""
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "num_cpus": 0, "include_dashboard": False})
    for _ in range(2):
        cluster.add_node(**NODE)
    ray.init(address=cluster.address, log_to_driver=False)
    cluster.wait_for_nodes()
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def queue_import(hub: Hub, pid: int, source: Path | str, fmt: str = "coco") -> int:
    with hub.db.session(write=True) as s:
        params: dict[str, Any] = {"source": str(source), "format": fmt, "media": "none"}
        return enqueue(s, SYSTEM, "import", params, project_id=pid).id


def counts(hub: Hub, pid: int) -> tuple[int, int]:
    with hub.db.session() as s:
        stats = project_stats(s, SYSTEM, pid)
    return stats["items"]["total"], stats["annotations"]["total"]


def node_running_a_job(cluster: Cluster) -> Any:
    """The cluster node whose worker process runs a labelhub job (Ray titles the process after the task; the
    node's raylet started it), or None while none does."""
    raylets = {node.all_processes["raylet"][0].process.pid: node for node in cluster.worker_nodes}
    for p in psutil.process_iter(["cmdline", "ppid"]):
        if any("_run_on_node" in part for part in p.info["cmdline"] or []) and p.info["ppid"] in raylets:
            return raylets[p.info["ppid"]]
    return None


def test_jobs_run_on_the_nodes_and_store_their_outcome(hub: Hub, ray_cluster: Cluster, tmp_path: Path) -> None:
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


def test_stopping_hands_a_running_job_back_untouched(hub: Hub, ray_cluster: Cluster, tmp_path: Path) -> None:
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


def test_a_job_on_a_node_that_dies_runs_again_on_another(hub: Hub, ray_cluster: Cluster, tmp_path: Path) -> None:
    pid, job_id, executor = start_big_import(hub, tmp_path)
    try:
        wait_for(lambda: (job(hub, job_id).progress or 0) > 0, "the import to run")
        doomed = node_running_a_job(ray_cluster)
        assert doomed is not None
        ray_cluster.remove_node(doomed, allow_graceful=False)  # the machine is gone: its processes with it
        ray_cluster.add_node(**NODE)  # a fresh one, for the tests after this one
        wait_for(lambda: job(hub, job_id).status in FINISHED, "the import's second try to end")
    finally:
        executor.stop()
    done = job(hub, job_id)
    assert (done.status, done.attempts) == ("succeeded", 2)
    assert counts(hub, pid) == (20_000, 40_000)
    [run] = executor.finished  # the first try left no outcome
    assert run.job_id == job_id and run.node_id != doomed.node_id
