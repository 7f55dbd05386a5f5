"""Run one claimed job to its end: the handler, then its outcome stored. Every executor runs jobs through here."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any

from sqlalchemy import select

from labelhub.domain.enums import JobStatus
from labelhub.errors import JobCancelled, LabelhubError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext, JobInterrupted, JobTakenOver, finish
from labelhub.jobs.handlers import COMMITS_AS_IT_GOES, Handler
from labelhub.services.jobs import hand_back
from labelhub.storage.models import Job

log = logging.getLogger("labelhub.jobs")


def run_claimed(
    hub: Hub, handler: Handler, job: Job, *, worker_id: str, stopping: threading.Event | None = None
) -> JobStatus | None:
    """Run ``handler`` for ``job`` (claimed by ``worker_id``) and store how it ended; return that status, or None
    when nothing was recorded (the job went back to the queue, or another worker had taken it over).

    A handler's LabelhubError fails the job with its title, status, detail and context; any other exception fails
    it with the traceback. Cancel, a stopping worker and a take-over are told apart as :class:`JobContext` raises
    them."""
    ctx = JobContext.load(hub, job)
    ctx.stopping = stopping
    start = time.monotonic()
    where = f"project {job.project_id}" if job.project_id is not None else "no project"
    log.info("job %s %s started (%s, try %d)", job.id, job.kind, where, job.attempts)

    def done(status: JobStatus, **values: Any) -> JobStatus | None:
        took = time.monotonic() - start
        if finish(hub, job.id, status, worker_id=worker_id, **values):
            line = str(values.get("message") or "").removeprefix("failed: ") if status is JobStatus.FAILED else ""
            line = (line.strip().splitlines() or [""])[0]
            log.info("job %s %s %s in %.0f s%s", job.id, job.kind, status.value, took, f": {line}" if line else "")
            return status
        log.warning("job %s %s ended (%s) after another worker had taken it over; not recorded",
                    job.id, job.kind, status.value)  # fmt: skip
        return None

    try:
        result = handler(ctx)
    except JobInterrupted:
        with hub.db.session(write=True) as s:
            back = hand_back(s, job.id, worker_id)
        if back:
            log.warning("job %s %s handed back to the queue: its worker is stopping", job.id, job.kind)
        return None
    except JobTakenOver:
        log.warning("job %s %s stopped: a live worker took it over after its heartbeat lapsed", job.id, job.kind)
        return None
    except JobCancelled:
        return done(JobStatus.CANCELLED, message=_cancelled_message(hub, job))
    except LabelhubError as exc:
        return done(
            JobStatus.FAILED,
            message=f"failed: {exc.detail}"[:500],
            error={"title": exc.title, "status": exc.status, "detail": exc.detail, **_jsonable(exc.context)},
        )
    except Exception as exc:  # report any crash on the job instead of losing it in a log
        log.exception("job %s %s (%s) crashed after %.0f s", job.id, job.kind, where, time.monotonic() - start)
        return done(
            JobStatus.FAILED,
            message=f"failed: {type(exc).__name__}: {exc}"[:500],
            error={"title": type(exc).__name__, "detail": str(exc), "traceback": traceback.format_exc()},
        )
    return done(JobStatus.SUCCEEDED, message="done", result=result)


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
