"""What a job handler sees: its parameters, the hub, and a progress reporter that also checks for cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import JobStatus
from labelhub.errors import JobCancelled
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.storage.models import Job, User, utcnow


class JobTakenOver(JobCancelled):
    """Raised inside a handler whose job is no longer this worker's: its heartbeat lapsed (a database outage, a
    frozen process) and a live worker requeued, failed or cancelled it. Nothing of its outcome is recorded."""


class JobInterrupted(JobTakenOver):
    """Raised inside a handler when its worker is stopping (a restart): the job goes back to the queue at once,
    as if it had not been tried, and its next worker runs it from the start."""


@dataclass(slots=True)
class JobContext:
    """Handed to a handler. Call :meth:`progress` often: it stores progress and raises JobCancelled on cancel."""

    hub: Hub
    job_id: int
    kind: str
    params: dict[str, Any]
    project_id: int | None
    actor: Actor
    worker_id: str | None = None  # the claiming worker; when set, progress also checks the job is still ours
    stopping: threading.Event | None = None  # set when the worker stops: the next progress call hands the job back
    min_interval: float = 0.25
    min_step: float = 0.1
    _last: float = field(default=0.0)
    _written: float = field(default=0.0)

    @classmethod
    def load(cls, hub: Hub, job: Job) -> JobContext:
        """Build the context for a claimed job, acting as the user who queued it."""
        with hub.db.session() as s:
            user = s.get(User, job.created_by) if job.created_by is not None else None
        actor = Actor(user.id, user.username, user.is_admin) if user else Actor.system()
        return cls(
            hub=hub,
            job_id=job.id,
            kind=job.kind,
            params=dict(job.params or {}),
            project_id=job.project_id,
            actor=actor,
            worker_id=job.worker_id,
        )

    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress (written at most every ``min_interval`` seconds) and stop if cancel was requested.

        A call that moves the fraction on by ``min_step`` or more is written however soon it comes: it starts a
        new phase ("laying out 60 items" right after "reading vectors"), and the phase may be long and report
        nothing (a library's fit), so a throttled message would stay hidden behind the previous one.
        The cancel flag is read on every call, throttled or not: a handler's last call before an
        all-or-nothing write is its last chance to stop, and must not be skipped.
        """
        now = time.monotonic()
        if now - self._last >= self.min_interval or fraction >= 1.0 or fraction - self._written >= self.min_step:
            self._last, self._written = now, fraction
            stmt = update(Job).where(Job.id == self.job_id)
            if self.worker_id is not None:  # a job taken over is not ours to report on (check_cancelled says so)
                stmt = stmt.where(Job.worker_id == self.worker_id)
            with self.hub.db.session(write=True) as s:
                s.execute(
                    stmt.values(progress=max(0.0, min(1.0, fraction)), message=message[:500], heartbeat_at=utcnow())
                )
        self.check_cancelled()

    def check_cancelled(self) -> None:
        """Raise JobCancelled when cancel was requested, JobTakenOver when the job is no longer this worker's
        and JobInterrupted when its worker is stopping, without writing progress."""
        with self.hub.db.session() as s:
            row = s.execute(
                select(Job.cancel_requested, Job.status, Job.worker_id).where(Job.id == self.job_id)
            ).first()
        if self.worker_id is not None and (
            row is None or row.status != JobStatus.RUNNING.value or row.worker_id != self.worker_id
        ):
            raise JobTakenOver(f"job {self.job_id} is no longer run by {self.worker_id}", field="worker_id")
        if row is not None and row.cancel_requested:
            raise JobCancelled(f"job {self.job_id} was cancelled", field="cancel_requested")
        if self.stopping is not None and self.stopping.is_set():
            raise JobInterrupted(f"the worker of job {self.job_id} is stopping", field="worker_id")

    def reporter(self) -> Callable[[float, str], None]:
        return self.progress


def finish(
    hub: Hub,
    job_id: int,
    status: JobStatus,
    *,
    message: str,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    worker_id: str | None = None,
) -> bool:
    """Store a job's final state; with ``worker_id``, only while the job is still running on that worker (False
    when a live worker recovered it meanwhile: its new state stands)."""
    stmt = update(Job).where(Job.id == job_id)
    if worker_id is not None:
        stmt = stmt.where(Job.worker_id == worker_id, Job.status == JobStatus.RUNNING.value)
    with hub.db.session(write=True) as s:
        res = s.execute(
            stmt.values(
                status=status.value,
                message=message[:500],
                result=result,
                error=error,
                finished_at=utcnow(),
                progress=1.0 if status is JobStatus.SUCCEEDED else Job.progress,
            )
        )
        if res.rowcount:  # type: ignore[attr-defined]
            record_finished(s, job_id, status, error)
    return bool(res.rowcount)  # type: ignore[attr-defined]


def record_finished(s: Session, job_id: int, status: JobStatus, error: dict[str, Any] | None = None) -> None:
    """Record ``job.finished`` for a project's job (what alert rules and webhooks watch), as the job's creator,
    in the transaction that ended it: here when its worker ends it, in :mod:`.recovery` when a live worker ends
    a job whose worker died. ``error`` None takes the job's stored error."""
    row = s.execute(
        select(Job.kind, Job.project_id, Job.error, User.id, User.username, User.is_admin)
        .outerjoin(User, User.id == Job.created_by)
        .where(Job.id == job_id)
    ).first()
    if row is None or row.project_id is None:
        return
    actor = Actor(row.id, row.username, row.is_admin) if row.id is not None else Actor.system()
    detail = {"kind": row.kind, "status": status.value, "error": (error or row.error or {}).get("title")}
    audit.record(s, actor, "job.finished", "job", job_id, project_id=row.project_id, detail=detail)
