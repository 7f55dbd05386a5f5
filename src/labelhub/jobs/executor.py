"""Executors run queued jobs. The local one uses threads in this process; Ray will be a second one."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select, update

from labelhub.domain.enums import JobStatus
from labelhub.errors import JobCancelled, LabelhubError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext, finish
from labelhub.jobs.handlers import COMMITS_AS_IT_GOES, Handler, default_handlers
from labelhub.services.jobs import claim_next, requeue_stale
from labelhub.storage.models import Job, utcnow

log = logging.getLogger("labelhub.jobs")


class Executor(Protocol):
    """Runs jobs from the queue until stopped."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 10.0) -> None: ...
    def notify(self) -> None: ...


class LocalExecutor:
    """Worker threads that claim jobs from the database; safe to run in several processes at once."""

    def __init__(
        self,
        hub: Hub,
        *,
        threads: int = 1,
        handlers: dict[str, Handler] | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.hub = hub
        self.handlers = handlers if handlers is not None else default_handlers()
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self._threads_n = threads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Requeue jobs orphaned by a previous run, then start the worker and heartbeat threads."""
        with self.hub.db.session(write=True) as s:
            n = requeue_stale(s, timedelta(seconds=self.hub.settings.job_stale_seconds))
        if n:
            log.info("requeued %d job(s) left running by a stopped worker", n)
        self._stop.clear()
        for i in range(self._threads_n):
            t = threading.Thread(target=self._loop, name=f"labelhub-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        hb = threading.Thread(target=self._heartbeat, name="labelhub-heartbeat", daemon=True)
        hb.start()
        self._threads.append(hb)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def notify(self) -> None:
        self._wake.set()

    def run_once(self) -> bool:
        """Claim and run one job in this thread; True when there was one (used by tests and the CLI)."""
        with self.hub.db.session(write=True) as s:
            job = claim_next(s, self.worker_id, list(self.handlers))
        if job is None:
            return False
        with self._lock:
            self._running.add(job.id)
        try:
            self._run(job)
        finally:
            with self._lock:
                self._running.discard(job.id)
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception:  # a broken database connection must not kill the worker thread
                log.exception("worker loop error")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _heartbeat(self) -> None:
        interval = self.hub.settings.job_heartbeat_seconds
        while not self._stop.wait(interval):
            with self._lock:
                running = list(self._running)
            if not running:
                continue
            try:
                with self.hub.db.session(write=True) as s:
                    s.execute(update(Job).where(Job.id.in_(running)).values(heartbeat_at=utcnow()))
            except Exception:  # heartbeats are best effort; a stale job is requeued, never lost
                log.exception("heartbeat failed")

    def _run(self, job: Job) -> None:
        handler = self.handlers[job.kind]
        ctx = JobContext.load(self.hub, job)
        try:
            result = handler(ctx)
        except JobCancelled:
            finish(self.hub, job.id, JobStatus.CANCELLED, message=_cancelled_message(self.hub, job))
        except LabelhubError as exc:
            finish(
                self.hub,
                job.id,
                JobStatus.FAILED,
                message=f"failed: {exc.detail}"[:500],
                error={
                    "title": exc.title,
                    "status": exc.status,
                    "detail": exc.detail,
                    **_jsonable(exc.context),
                },
            )
        except Exception as exc:  # report any crash on the job instead of losing it in a log
            log.exception("job %s crashed", job.id)
            finish(
                self.hub,
                job.id,
                JobStatus.FAILED,
                message=f"failed: {type(exc).__name__}: {exc}"[:500],
                error={"title": type(exc).__name__, "detail": str(exc), "traceback": traceback.format_exc()},
            )
        else:
            finish(self.hub, job.id, JobStatus.SUCCEEDED, message="done", result=result)


def _jsonable(ctx: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool | list | dict | type(None)) else str(v) for k, v in ctx.items()
    }


def _cancelled_message(hub: Hub, job: Job) -> str:
    """What a cancelled job left: nothing, or (for kinds that commit batch by batch) what its last progress
    message says was done."""
    if job.kind not in COMMITS_AS_IT_GOES:
        return "cancelled; nothing was changed"
    with hub.db.session() as s:
        last = s.scalar(select(Job.message).where(Job.id == job.id)) or ""
    kept = "cancelled; the work done before it is kept"
    return f"{kept} ({last})" if last else kept
