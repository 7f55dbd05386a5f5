"""The job queue: a table of jobs claimed atomically by workers.

Why a table and not a queue library: huey, rq and arq need Redis or keep SQLite and PostgreSQL apart, and
labelhub must run on the embedded SQLite alone. A job row is claimed with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (many workers, no blocking) and with a single conditional UPDATE on SQLite (one writer at a time,
so the update itself is the lock). Jobs survive restarts because they live in the database: every live worker
beats its running jobs' ``heartbeat_at`` and, every few seconds, puts back in the queue (or ends) the running
jobs whose heartbeat has gone stale, whichever process ran them (:func:`recover_stale`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
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
    """``value`` (a job's params, result or error) with every path under ``home`` (labelhub's data folder, ending
    in a slash) made relative to it, also inside a text (an error's ``Permission denied: '/srv/.../exports/job-9'``);
    what a member who is not an administrator is shown."""
    if isinstance(value, str):
        return value.replace(home, "")
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
    """Ask a job to stop: a queued job is cancelled at once, a running one at its next progress report (or, when
    its worker has stopped, once a live worker finds its heartbeat stale)."""
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


@dataclass(frozen=True, slots=True)
class Recovered:
    """A running job whose worker stopped, as :func:`recover_stale` left it: ``status`` is ``queued`` (it runs
    again), ``failed`` (it had stopped its worker ``MAX_ATTEMPTS`` times) or ``cancelled`` (cancel was asked)."""

    id: int
    kind: str
    project_id: int | None
    worker_id: str | None
    attempts: int
    status: str
    params: dict[str, Any]
    last_message: str


def stale_condition(cutoff: datetime) -> ColumnElement[bool]:
    """Running jobs whose heartbeat is older than ``cutoff`` (or that never sent one)."""
    return (Job.status == JobStatus.RUNNING.value) & ((Job.heartbeat_at < cutoff) | Job.heartbeat_at.is_(None))


def has_stale(session: Session, stale_after: timedelta, *, now: datetime | None = None) -> bool:
    """Whether any running job's heartbeat is older than ``stale_after``: a cheap read (the status index) that a
    worker runs every few seconds before it opens a write transaction to recover them."""
    cutoff = (now or utcnow()) - stale_after
    return session.scalar(select(Job.id).where(stale_condition(cutoff)).limit(1)) is not None


def recover_stale(
    session: Session,
    stale_after: timedelta,
    *,
    now: datetime | None = None,
    keeps_work: Collection[str] = (),
) -> list[Recovered]:
    """End or requeue the running jobs whose worker stopped sending heartbeats; return what became of each.

    A job whose cancel was asked ends ``cancelled`` (its worker can no longer honour it); one already tried
    ``MAX_ATTEMPTS`` times ends ``failed``, so a job that kills its worker cannot loop forever; any other goes
    back to the queue. ``keeps_work`` names the kinds that commit batch by batch (a cancel keeps their batches).
    Several workers may run this at once: on PostgreSQL the rows are locked (others skip them), on SQLite the
    write transaction is the lock, and every update re-checks that the job is still stale.
    """
    now = now or utcnow()
    stale = stale_condition(now - stale_after)
    stmt = select(Job).where(stale).order_by(Job.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    out: list[Recovered] = []
    for job in session.scalars(stmt).all():
        # Read before the update, which refreshes ``job`` in this session.
        seen = (job.id, job.kind, job.project_id, job.worker_id, job.attempts)
        params, last = dict(job.params or {}), job.message or ""
        gone = f"its worker {job.worker_id or '?'} stopped"
        values: dict[str, Any]
        if job.cancel_requested:
            kept = (
                f"the work done before it is kept ({job.message})" if job.kind in keeps_work else "nothing was changed"
            )
            values = {"status": JobStatus.CANCELLED.value, "finished_at": now, "message": f"cancelled ({gone}); {kept}"}
        elif job.attempts >= MAX_ATTEMPTS:
            values = {
                "status": JobStatus.FAILED.value,
                "finished_at": now,
                "message": "failed: worker died repeatedly",
                "error": {"title": "Worker lost", "detail": f"the job stopped its worker {MAX_ATTEMPTS} times"},
            }
        else:
            values = {
                "status": JobStatus.QUEUED.value,
                "worker_id": None,
                "progress": 0.0,
                "message": f"requeued: {gone} during try {job.attempts}",
            }
        res = session.execute(update(Job).where(Job.id == job.id, stale).values(**values))
        if res.rowcount:  # type: ignore[attr-defined]  # 0: its worker beat or finished it meanwhile
            out.append(Recovered(*seen, status=values["status"], params=params, last_message=last))
    return out


def hand_back(session: Session, job_id: int, worker_id: str) -> bool:
    """Put a job that ``worker_id`` runs back in the queue because that worker is stopping (a restart, not a
    failure of the job: the try is not counted); False when the job is no longer that worker's."""
    res = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == JobStatus.RUNNING.value)
        .values(
            status=JobStatus.QUEUED.value,
            worker_id=None,
            heartbeat_at=None,
            attempts=Job.attempts - 1,
            progress=0.0,
            message=f"requeued: its worker {worker_id} was stopped",
        )
    )
    return bool(res.rowcount)  # type: ignore[attr-defined]


def requeue_stale(session: Session, stale_after: timedelta) -> int:
    """Recover stale jobs (see :func:`recover_stale`); returns how many were put back in the queue."""
    return sum(r.status == JobStatus.QUEUED.value for r in recover_stale(session, stale_after))
