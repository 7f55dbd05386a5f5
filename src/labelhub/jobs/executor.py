"""Executors run queued jobs. The local one uses threads in this process; :mod:`.ray_executor` runs them on a Ray
cluster."""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Update, update

from labelhub.domain.enums import JobStatus
from labelhub.hub import Hub
from labelhub.jobs.backoff import Backoff, first_line
from labelhub.jobs.handlers import INTERACTIVE, Handler, default_handlers
from labelhub.jobs.recovery import recover
from labelhub.jobs.runner import run_claimed
from labelhub.services.jobs import claim_next
from labelhub.storage.models import Job, utcnow

log = logging.getLogger("labelhub.jobs")


class Executor(Protocol):
    """Runs jobs from the queue until stopped."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 10.0) -> None: ...
    def notify(self) -> None: ...


class LocalExecutor:
    """Worker threads that claim jobs from the database; safe to run in several processes at once.

    Beside them a watch thread beats ``heartbeat_at`` of the jobs running here every ``job_heartbeat_seconds``
    and, every ``recover_seconds`` (15 s by default), recovers the jobs of workers that died
    (:mod:`labelhub.jobs.recovery`). ``stale_seconds`` (default ``job_stale_seconds``) and ``clock`` (the
    database time of "now") are there for tests.

    ``threads`` take the oldest queued job of any kind. ``interactive_threads`` more (the *interactive lane*) take
    only the kinds in :data:`~labelhub.jobs.handlers.INTERACTIVE`, the oldest first: a track's propagation, which
    a person in the video editor waits for, starts at once even while the other threads run a training of
    several minutes. Idle, a lane thread costs one cheap claim query per ``poll_seconds``.
    """

    def __init__(
        self,
        hub: Hub,
        *,
        threads: int = 1,
        interactive_threads: int = 0,
        handlers: dict[str, Handler] | None = None,
        poll_seconds: float = 1.0,
        recover_seconds: float | None = None,
        stale_seconds: float | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.hub = hub
        self.handlers = handlers if handlers is not None else default_handlers()
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        stale = stale_seconds if stale_seconds is not None else hub.settings.job_stale_seconds
        self.stale_after = timedelta(seconds=stale)
        self.heartbeat_seconds = hub.settings.job_heartbeat_seconds
        self.recover_seconds = recover_seconds if recover_seconds is not None else min(15.0, stale / 4)
        self.clock = clock
        self.backoff = Backoff(log)
        self._threads_n = threads
        self._interactive_n = interactive_threads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._last_recover = -math.inf
        self._started = False

    def start(self) -> None:
        """Recover jobs orphaned by a previous run, then start the worker and watch threads."""
        self._last_recover = time.monotonic()
        try:
            self.recover()
        except Exception as exc:  # noqa: BLE001 - logged by Backoff; the watch thread tries again
            self.backoff.failed(exc, "worker: start-up stale-job check")
            self._last_recover = -math.inf
        self._stop.clear()
        self._started = True
        for i in range(self._threads_n):
            t = threading.Thread(target=self._loop, name=f"labelhub-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        lane = sorted(INTERACTIVE & set(self.handlers))
        for i in range(self._interactive_n if lane else 0):
            t = threading.Thread(target=self._claim_loop, args=(lane,), name=f"labelhub-interactive-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        watch = threading.Thread(target=self._watch, name="labelhub-heartbeat", daemon=True)
        watch.start()
        self._threads.append(watch)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads. A running job stops at its next progress report and goes back to the queue; one still
        running after ``timeout`` (a long step without reports) is handed back by clearing its heartbeat, so the
        next live worker requeues it at once instead of after the stale window."""
        self._stop_threads(timeout)
        with self._lock:
            running = sorted(self._running)
        if not running:
            return
        log.warning("stopping with job(s) %s still running: handed back for the next worker", running)
        try:
            with self.hub.db.session(write=True) as s:
                s.execute(self._own(running).values(heartbeat_at=None))
        except Exception as exc:  # noqa: BLE001 - they go stale anyway, only later
            log.warning("could not hand back job(s) %s: %s", running, first_line(exc))

    def _stop_threads(self, timeout: float) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        self._started = False

    def notify(self) -> None:
        self._wake.set()

    def recover(self) -> int:
        """Requeue or end the jobs of workers that stopped (see :mod:`labelhub.jobs.recovery`); how many."""
        return len(recover(self.hub, self.stale_after, now=self.clock()))

    def run_once(self) -> bool:
        """Claim and run one job in this thread; True when there was one (used by tests and the CLI).

        Without :meth:`start` (a ``--wait`` command) a thread beats the job's heartbeat while it runs, so a live
        worker elsewhere never takes it for the job of a dead one."""
        return self._run_next(list(self.handlers))

    def _run_next(self, kinds: list[str]) -> bool:
        """Claim the oldest queued job of one of ``kinds`` and run it in this thread; True when there was one."""
        with self.hub.db.session(write=True) as s:
            job = claim_next(s, self.worker_id, kinds)
        if job is None:
            return False
        with self._lock:
            self._running.add(job.id)
        done = threading.Event()
        if not self._started:
            threading.Thread(target=self._beat_until, args=(done,), name="labelhub-heartbeat", daemon=True).start()
        try:
            self._run(job, stopping=self._stop if self._started else None)
        finally:
            done.set()
            with self._lock:
                self._running.discard(job.id)
        return True

    def _beat_until(self, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_seconds):
            try:
                self._beat()
            except Exception as exc:  # noqa: BLE001 - logged by Backoff; the job itself reports the outage
                self.backoff.failed(exc, "worker: heartbeat")

    def _beat(self) -> None:
        with self._lock:
            running = list(self._running)
        if running:
            with self.hub.db.session(write=True) as s:
                s.execute(self._own(running).values(heartbeat_at=self.clock()))

    def _loop(self) -> None:
        self._claim_loop(None)

    def _claim_loop(self, kinds: list[str] | None) -> None:
        """Run jobs (of ``kinds``; None: of any kind this worker handles) until stopped."""
        while not self._stop.is_set():
            wait = self.poll_seconds
            try:
                ran = self.run_once() if kinds is None else self._run_next(kinds)
                self.backoff.succeeded()
                if ran:
                    continue
            except Exception as exc:  # noqa: BLE001 - a lost database must not kill the thread (Backoff logs it)
                wait = self.backoff.failed(exc, "worker: claiming or finishing a job")
            self._wake.wait(wait)
            self._wake.clear()

    def _own(self, ids: list[int]) -> Update:
        return update(Job).where(
            Job.id.in_(ids), Job.worker_id == self.worker_id, Job.status == JobStatus.RUNNING.value
        )

    def _watch(self) -> None:
        """Beat the running jobs' heartbeats; recover other workers' stale jobs every ``recover_seconds``."""
        tick = min(self.heartbeat_seconds, self.recover_seconds)
        wait = 0.0 if self._last_recover == -math.inf else tick
        while not self._stop.wait(wait):
            wait = tick
            try:
                self._beat()
                if time.monotonic() - self._last_recover >= self.recover_seconds:
                    self._last_recover = time.monotonic()
                    self.recover()
                self.backoff.succeeded()
            except Exception as exc:  # noqa: BLE001 - logged by Backoff; a stale job is requeued, never lost
                wait = max(tick, self.backoff.failed(exc, "worker: heartbeat or stale-job check"))

    def _run(self, job: Job, *, stopping: threading.Event | None) -> None:
        run_claimed(self.hub, self.handlers[job.kind], job, worker_id=self.worker_id, stopping=stopping)
