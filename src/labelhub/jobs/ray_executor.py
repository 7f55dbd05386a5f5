"""Jobs on a Ray cluster: this process claims jobs from the database, Ray runs each one on a node that has room.

``labelhub worker --ray ADDRESS`` starts a :class:`RayExecutor`. It is the :class:`LocalExecutor` with its worker
threads replaced by one dispatch thread:

- The queue stays in the database. The dispatcher claims a job (``claim_next``, as every worker does, so local
  workers and several dispatchers can share a queue), submits it as a Ray task asking for ``cpus_per_job`` CPUs,
  and keeps at most ``max_jobs`` in flight (default: the cluster's CPUs divided by ``cpus_per_job``), so queued
  jobs wait in the database where the UI shows them, not in Ray's scheduler.
- The task runs on whichever node Ray picks: it opens a :class:`Hub` with the dispatcher's settings (once per Ray
  worker process, :func:`_node_hub`) and runs the job through :func:`labelhub.jobs.runner.run_claimed`, the
  function the local threads use; progress, cancel, the outcome and ``job.finished`` go to the database from
  there. So a node needs the same database (PostgreSQL across machines), the same ``LABELHUB_HOME`` at the same
  path (models, exports, indexes and uploads are written there), and labelhub installed
  (``pip install 'labelhub[ray]'``).
- The dispatcher beats the heartbeats of its jobs and recovers other workers' stale jobs, as a local worker
  does. A task whose Ray worker or node dies (killed, out of memory) counts as a dead worker: its heartbeat is
  cleared and recovery requeues the job or, after its last try, fails it, and removes its leftovers.
- ``stop()`` (Ctrl-C, SIGTERM) cancels the running tasks (Ray raises ``KeyboardInterrupt`` in them, so their
  transactions roll back and exports remove their ``.part`` files) and hands their jobs back to the queue
  without counting the try, as a restarted local worker does.

What Ray does: placing tasks on nodes by their CPUs, shipping the call, reporting a dead worker or node. What is
ours: the claim, the bound on jobs in flight, the heartbeats and the hand-back, because the job table, not Ray,
is the record a person and the other workers read.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from functools import cache
from typing import Any

from labelhub.config import Settings
from labelhub.domain.enums import JobStatus
from labelhub.errors import ConfigurationError
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.jobs.handlers import default_handlers
from labelhub.jobs.runner import run_claimed
from labelhub.services.jobs import claim_next, hand_back
from labelhub.storage.models import Job

log = logging.getLogger("labelhub.jobs")


@dataclass(frozen=True, slots=True)
class NodeRun:
    """Where and how a job ran on the cluster, as its task returned it."""

    job_id: int
    status: str | None  # the stored outcome; None when nothing was recorded (handed back or taken over)
    host: str
    pid: int
    node_id: str  # Ray's id of the node (several may share a host name)


class RayExecutor(LocalExecutor):
    """Claims jobs here and runs them as Ray tasks; see the module docstring."""

    def __init__(
        self,
        hub: Hub,
        *,
        address: str | None = None,
        max_jobs: int = 0,
        cpus_per_job: float = 1.0,
        poll_seconds: float = 1.0,
        recover_seconds: float | None = None,
        stale_seconds: float | None = None,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            hub, threads=1, poll_seconds=poll_seconds, recover_seconds=recover_seconds, stale_seconds=stale_seconds
        )
        self.worker_id = f"ray:{socket.gethostname()}:{os.getpid()}"
        self.address = address
        self.max_jobs = max_jobs
        self.cpus_per_job = cpus_per_job
        self.init_options = dict(init_options or {})
        self.finished: list[NodeRun] = []  # the runs of this executor, newest last (the CLI logs them; tests read)
        self._refs: dict[Any, int] = {}  # Ray ObjectRef -> job id, the tasks in flight
        self._task: Any = None
        self._started_ray = False
        # Absolute paths: a Ray worker's current folder is not this process's.
        self._settings = hub.settings.model_copy(update={"home": hub.settings.home.resolve()}).model_dump(mode="json")

    def start(self) -> None:
        """Connect to the cluster at ``address`` (``local``: start one in this process; None: Ray's choice, the
        cluster `ray start` left on this machine or else a new local one), then start the dispatch and watch
        threads."""
        ray = _ray()
        if not ray.is_initialized():
            _check_reachable(self.address)
            try:
                ray.init(address=self.address, **{"log_to_driver": False, **self.init_options})
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise ConfigurationError(
                    f"cannot connect to the Ray cluster at {self.address or 'this machine'}: {exc}; start it "
                    "with `ray start --head` or pass its address (auto, HOST:6379, ray://HOST:10001)",
                    field="ray",
                ) from None
            self._started_ray = True
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        if self.max_jobs <= 0:
            self.max_jobs = max(1, int(cpus // self.cpus_per_job))
        self._task = ray.remote(_run_on_node).options(num_cpus=self.cpus_per_job, max_retries=0)
        log.info("ray executor %s: %g CPUs in the cluster, up to %d jobs at once", self.worker_id, cpus, self.max_jobs)
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; cancel the tasks still running and hand their jobs back to the queue (the try is not
        counted). Shuts Ray down only if :meth:`start` started it."""
        self._stop_threads(timeout)
        ray = _ray()
        with self._lock:
            inflight = dict(self._refs)
            self._refs.clear()
        for ref in inflight:
            ray.cancel(ref)
        if inflight:
            ray.wait(list(inflight), num_returns=len(inflight), timeout=timeout)
        for job_id in sorted(inflight.values()):
            with self.hub.db.session(write=True) as s:
                if hand_back(s, job_id, self.worker_id):
                    log.warning("job %s handed back to the queue: its Ray executor is stopping", job_id)
        with self._lock:
            self._running.clear()
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    def run_once(self) -> bool:
        """Claim one job, run it on the cluster and wait for it; True when there was one."""
        if self._task is None:
            raise RuntimeError("RayExecutor.run_once needs start() first (it connects to the cluster)")
        if not self._submit():
            return False
        while True:
            with self._lock:
                if not self._refs:
                    return True
            self._reap(timeout=self.poll_seconds)

    def _loop(self) -> None:
        """The dispatch thread: keep up to ``max_jobs`` tasks in flight, collect the ones that end."""
        while not self._stop.is_set():
            wait = self.poll_seconds
            try:
                while len(self._refs) < self.max_jobs and not self._stop.is_set() and self._submit():
                    pass
                if self._refs:
                    self._reap(timeout=wait)
                    self.backoff.succeeded()
                    continue
                self.backoff.succeeded()
            except Exception as exc:  # noqa: BLE001 - a lost database or cluster must not kill the thread
                wait = self.backoff.failed(exc, "ray executor: claiming or collecting a job")
            self._wake.wait(wait)
            self._wake.clear()

    def _submit(self) -> bool:
        with self.hub.db.session(write=True) as s:
            job = claim_next(s, self.worker_id, list(self.handlers))
            job_id = job.id if job is not None else None
        if job_id is None:
            return False
        try:
            ref = self._task.remote(self._settings, job_id, self.worker_id)
        except BaseException:  # the cluster refused the task: the job goes back for the next try, not counted
            with self.hub.db.session(write=True) as s:
                hand_back(s, job_id, self.worker_id)
            raise
        with self._lock:
            self._refs[ref] = job_id
            self._running.add(job_id)
        return True

    def _reap(self, *, timeout: float) -> None:
        ray = _ray()
        with self._lock:
            refs = list(self._refs)
        if not refs:
            return
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        for ref in ready:
            with self._lock:
                job_id = self._refs.pop(ref, None)
            if job_id is None:  # stop() took it
                continue
            try:
                run: NodeRun = ray.get(ref)
                self.finished.append(run)
                log.info("job %s ran on %s (node %s, process %d): %s",
                         job_id, run.host, run.node_id[:8], run.pid, run.status or "not recorded")  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - the worker or node died: the job is a dead worker's
                self._lost(job_id, exc)
            finally:
                with self._lock:
                    self._running.discard(job_id)

    def _lost(self, job_id: int, exc: BaseException) -> None:
        """A task that ended without running its job to an end (its process or node died, or Ray cancelled it):
        clear the heartbeat so recovery, run now, requeues the job (counting the try) or fails its last one."""
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("job %s: its Ray task ended without an outcome (%s); recovering it", job_id, reason)
        with self.hub.db.session(write=True) as s:
            s.execute(self._own([job_id]).values(heartbeat_at=None))
        self.recover()


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast on a HOST:PORT (or ray://HOST:PORT) nobody listens on: Ray itself retries such an address for
    minutes, logging, before it gives up."""
    if not address or address in ("auto", "local"):
        return  # the cluster `ray start` recorded on this machine (Ray says at once if none), or a new local one
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigurationError(
            f"Ray address {address!r} is not HOST:PORT, ray://HOST:PORT, auto or local", field="ray"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); is `ray start --head` running "
            "there, and is the port open to this machine?",
            field="ray",
        ) from None


def _ray() -> Any:
    try:
        import ray
    except ImportError:  # an optional dependency
        raise ConfigurationError(
            "jobs on Ray need the ray package: pip install 'labelhub[ray]' (here and on every node)", field="ray"
        ) from None
    return ray


@cache
def _node_hub(settings_json: str) -> Hub:
    """The hub of this Ray worker process, opened once per settings (without migrating: the dispatcher did).

    A process-wide cache is the way to keep state in a Ray task's worker process, which Ray reuses for the
    next task; it lives in that process only, never in the server's."""
    return Hub.open(Settings.model_validate_json(settings_json), migrate=False)


def _run_on_node(settings: dict[str, Any], job_id: int, worker_id: str) -> NodeRun:
    """The Ray task: run one claimed job here and store its outcome."""
    import json

    hub = _node_hub(json.dumps(settings, sort_keys=True))
    with hub.db.session() as s:
        job = s.get(Job, job_id)
        if job is not None:
            s.expunge(job)
    status: JobStatus | None = None
    if job is not None and job.worker_id == worker_id and job.status == JobStatus.RUNNING.value:
        status = run_claimed(hub, default_handlers()[job.kind], job, worker_id=worker_id)
    node_id = str(_ray().get_runtime_context().get_node_id())
    return NodeRun(job_id, status.value if status else None, socket.gethostname(), os.getpid(), node_id)
