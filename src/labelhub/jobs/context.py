"""What a job handler sees: its parameters, the hub, and a progress reporter that also checks for cancel."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from labelhub.domain.enums import JobStatus
from labelhub.errors import JobCancelled
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.storage.models import Job, User, utcnow


@dataclass(slots=True)
class JobContext:
    """Handed to a handler. Call :meth:`progress` often: it stores progress and raises JobCancelled on cancel."""

    hub: Hub
    job_id: int
    kind: str
    params: dict[str, Any]
    project_id: int | None
    actor: Actor
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
            with self.hub.db.session(write=True) as s:
                s.execute(
                    update(Job)
                    .where(Job.id == self.job_id)
                    .values(progress=max(0.0, min(1.0, fraction)), message=message[:500], heartbeat_at=utcnow())
                )
        self.check_cancelled()

    def check_cancelled(self) -> None:
        """Raise JobCancelled when cancel was requested, without writing progress."""
        with self.hub.db.session() as s:
            if s.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)):
                raise JobCancelled(f"job {self.job_id} was cancelled", field="cancel_requested")

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
) -> None:
    """Store a job's final state."""
    with hub.db.session(write=True) as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=status.value,
                message=message[:500],
                result=result,
                error=error,
                finished_at=utcnow(),
                progress=1.0 if status is JobStatus.SUCCEEDED else Job.progress,
            )
        )
