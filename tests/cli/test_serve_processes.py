"""``serve --workers N`` in real processes: the server processes run no jobs, one separate job worker does, and
stopping the server (or killing it) leaves no process behind."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from tests.builders import new_project
from tests.cli._serve import free_port, start_serve, stop

from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.jobs import enqueue
from labelhub.storage.models import Job


def _roles(parent: psutil.Process) -> dict[str, list[psutil.Process]]:
    """The parent's descendants by role: job worker, server processes (uvicorn's spawned children), others."""
    roles: dict[str, list[psutil.Process]] = {"worker": [], "server": [], "other": []}
    for child in parent.children(recursive=True):
        try:
            cmdline = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if cmdline[-3:-2] == ["worker"] and "labelhub" in cmdline:
            roles["worker"].append(child)
        elif any("multiprocessing.spawn" in part for part in cmdline):
            roles["server"].append(child)
        else:
            roles["other"].append(child)  # multiprocessing's resource tracker
    return roles


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, settings: Settings, log: Path) -> None:
        self.proc, self.port, self.settings, self.log = proc, port, settings, log

    @property
    def parent(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """``labelhub serve --workers 2`` on a free port and a fresh SQLite home, up and answering /health."""
    port = free_port()
    home, log = tmp_path / "home", tmp_path / "serve.log"
    proc = start_serve(home, port, log, "--workers", "2")
    started = Served(proc, port, Settings(home=home, dev=True), log)
    seen: list[psutil.Process] = []
    try:
        seen = started.parent.children(recursive=True)
        yield started
    finally:
        stop(proc)
        for p in seen:  # whatever a failed test left: only processes this fixture started
            if p.is_running():
                p.kill()


def test_two_server_processes_and_one_job_worker_which_runs_the_jobs(served: Served) -> None:
    roles = _roles(served.parent)
    assert len(roles["server"]) == 2, roles
    assert len(roles["worker"]) == 1, roles
    worker_pid = roles["worker"][0].pid

    hub = Hub.open(served.settings, migrate=False)
    try:
        pid = new_project(hub, "p")
        with hub.db.session(write=True) as s:
            job_id = enqueue(s, Actor.system(), "export", {"format": "coco", "filename": "out.json"}, project_id=pid).id
        deadline = time.monotonic() + 120
        while True:
            with hub.db.session() as s:
                job = s.get_one(Job, job_id)
            if job.status in ("succeeded", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, f"job still {job.status}:\n{served.log.read_text()}"
            time.sleep(0.2)
    finally:
        hub.close()
    assert job.status == "succeeded", job.error
    assert job.worker_id is not None and job.worker_id.endswith(f":{worker_pid}")  # the worker process, no server


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_stops_every_process(served: Served, sig: signal.Signals) -> None:
    children = served.parent.children(recursive=True)
    assert len(children) >= 4  # two server processes, the worker, the resource tracker
    served.proc.send_signal(sig)
    assert served.proc.wait(60) == 0
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [p.cmdline() for p in alive]
    out = served.log.read_text()
    assert "job worker process" in out and "stopped" in out
    assert "died" not in out  # uvicorn killed no server process (it did at start-up with its 5 s health check)


def test_a_killed_server_leaves_no_job_worker(served: Served) -> None:
    worker = _roles(served.parent)["worker"][0]
    servers = _roles(served.parent)["server"]
    served.proc.kill()  # SIGKILL: no chance to stop anything itself
    served.proc.wait(10)
    try:
        worker.wait(30)  # psutil.TimeoutExpired if it outlived its server
        assert not worker.is_running()
    finally:
        for p in servers:  # uvicorn's own children are uvicorn's business; the fixture's cleanup needs them gone
            if p.is_running():
                p.kill()


def test_a_job_worker_that_dies_is_replaced(served: Served) -> None:
    first = _roles(served.parent)["worker"][0]
    first.kill()
    first.wait(10)
    deadline = time.monotonic() + 60
    while not (workers := _roles(served.parent)["worker"]):
        assert time.monotonic() < deadline, served.log.read_text()
        time.sleep(0.5)
    assert len(workers) == 1 and workers[0].pid != first.pid
    assert "exited with status -9; starting another" in served.log.read_text()
