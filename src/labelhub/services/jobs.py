"""The job queue: a table of jobs claimed atomically by workers.

Why a table and not a queue library: huey, rq and arq need Redis or keep SQLite and PostgreSQL apart, and
labelhub must run on the embedded SQLite alone. A job row is claimed with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (many workers, no blocking) and with a single conditional UPDATE on SQLite (one writer at a time,
so the update itself is the lock). Jobs survive restarts because they live in the database: a running job
whose heartbeat has gone stale is put back in the queue when a worker starts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import JobStatus
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.storage.models import Job, Membership, utcnow

MAX_ATTEMPTS = 3


def enqueue(session: Session, actor: Actor, kind: str, params: dict[str, Any], *, project_id: int | None = None) -> Job:
    """Queue a job; a worker picks it up after the transaction commits."""
    job = Job(
        kind=kind,
        params=params,
        project_id=project_id,
        created_by=actor.user_id,
        status=JobStatus.QUEUED.value,
        message="queued",
    )
    session.add(job)
    session.flush()
    audit.record(session, actor, "job.create", "job", job.id, project_id=project_id, detail={"kind": kind})
    return job


def get_job(session: Session, actor: Actor, job_id: int) -> Job:
    """Return a job the actor may see: one in a project they can read, their own without a project, or any for
    admins. Someone removed from a project no longer sees the jobs they started there (results hold paths)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"job {job_id} not found", field="job_id")
    if actor.is_admin or (job.project_id is None and job.created_by == actor.user_id):
        return job
    if job.project_id is not None:
        try:
            require(session, actor, job.project_id, Action.READ)
            return job
        except NotFoundError:
            pass
    raise NotFoundError(f"job {job_id} not found", field="job_id")


def relative_paths(value: Any, home: str) -> Any:
    """``value`` (a job's params, result or error) with every string that starts with ``home`` (labelhub's data
    folder, ending in a slash) made relative to it; what a member who is not an administrator is shown."""
    if isinstance(value, str):
        return value[len(home) :] if value.startswith(home) else value
    if isinstance(value, dict):
        return {k: relative_paths(v, home) for k, v in value.items()}
    if isinstance(value, list):
        return [relative_paths(v, home) for v in value]
    return value


def list_jobs(
    session: Session,
    actor: Actor,
    *,
    project_id: int | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[Job]:
    """Return jobs newest first, limited to what the actor may see."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if project_id is not None:
        require(session, actor, project_id, Action.READ)
        stmt = stmt.where(Job.project_id == project_id)
    elif not actor.is_admin:
        visible = select(Membership.project_id).where(Membership.user_id == actor.user_id)
        own = (Job.created_by == actor.user_id) & Job.project_id.is_(None)
        stmt = stmt.where(own | Job.project_id.in_(visible))
    if after is not None:
        stmt = stmt.where(Job.id < after)
    return list(session.scalars(stmt))


def cancel(session: Session, actor: Actor, job_id: int) -> Job:
    """Ask a job to stop: a queued job is cancelled at once, a running one at its next progress report."""
    job = get_job(session, actor, job_id)
    if not actor.is_admin and job.created_by != actor.user_id:
        if job.project_id is None:
            raise NotFoundError(f"job {job_id} not found", field="job_id")
        require(session, actor, job.project_id, Action.IMPORT, doing="cancelling another person's job")
    if JobStatus(job.status).finished:
        raise ConflictError(f"job {job_id} has already {job.status}", field="status")
    values: dict[str, Any] = {"cancel_requested": True}
    if job.status == JobStatus.QUEUED.value:
        values |= {"status": JobStatus.CANCELLED.value, "finished_at": utcnow(), "message": "cancelled"}
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    audit.record(session, actor, "job.cancel", "job", job_id, project_id=job.project_id)
    session.refresh(job)
    return job


def claim_next(session: Session, worker_id: str, kinds: list[str] | None = None) -> Job | None:
    """Mark the oldest queued job as running for ``worker_id`` and return it, or None when the queue is empty."""
    now = utcnow()
    stmt = select(Job.id).where(Job.status == JobStatus.QUEUED.value).order_by(Job.id).limit(1)
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(kinds))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job_id = session.scalar(stmt)
    if job_id is None:
        return None
    res = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.RUNNING.value,
            worker_id=worker_id,
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
            message="running",
        )
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]  # another worker won the race
        return None
    return session.get(Job, job_id)


def requeue_stale(session: Session, stale_after: timedelta) -> int:
    """Put running jobs whose worker stopped sending heartbeats back in the queue; returns how many.

    A job that has already been tried ``MAX_ATTEMPTS`` times fails instead, so a job that kills its worker
    cannot loop forever.
    """
    cutoff = utcnow() - stale_after
    stale = (Job.status == JobStatus.RUNNING.value) & ((Job.heartbeat_at < cutoff) | Job.heartbeat_at.is_(None))
    session.execute(
        update(Job)
        .where(stale, Job.attempts >= MAX_ATTEMPTS)
        .values(
            status=JobStatus.FAILED.value,
            finished_at=utcnow(),
            message="failed: worker died repeatedly",
            error={"title": "Worker lost", "detail": f"the job stopped its worker {MAX_ATTEMPTS} times"},
        )
    )
    requeued = session.execute(
        update(Job)
        .where(stale)
        .values(status=JobStatus.QUEUED.value, worker_id=None, message="requeued after a restart")
    )
    return int(requeued.rowcount)  # type: ignore[attr-defined]
