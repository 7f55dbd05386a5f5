"""Jobs whose worker died: found by any live worker, requeued or ended, and their leftovers removed.

A worker beats ``heartbeat_at`` of the jobs it runs every ``job_heartbeat_seconds`` (a thread, so a long step
that reports no progress still beats). Every live worker, in the server or ``labelhub worker``, checks every few
seconds for running jobs whose heartbeat is older than ``job_stale_seconds`` (:func:`recover`): their process
was killed, restarted or lost its database. Such a job goes back to the queue, or ends ``failed`` after
``MAX_ATTEMPTS`` tries, or ``cancelled`` when cancel was asked (its worker can no longer honour it). What it
left behind goes in the same transaction: a training's version becomes ``failed`` and its half-written folder
is removed, a killed export's ``.part`` files are removed (its whole folder when it will not run again), and an
import that will not run again loses its upload. A project's job that ends here (failed or cancelled) records
``job.finished`` in that transaction too, as its worker would have (so a ``job_failed`` alert rule sees it). One
WARNING line per job says what happened.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from labelhub.domain.enums import JobStatus
from labelhub.hub import Hub
from labelhub.jobs.context import record_finished
from labelhub.jobs.handlers import COMMITS_AS_IT_GOES
from labelhub.services.jobs import MAX_ATTEMPTS, Recovered, has_stale, recover_stale
from labelhub.services.uploads import remove_upload

log = logging.getLogger("labelhub.jobs")
TRAIN_KINDS = ("train_model", "federated_train")  # jobs that leave a version "training" while they run


def recover(hub: Hub, stale_after: timedelta, *, now: datetime | None = None) -> list[Recovered]:
    """Requeue or end the running jobs whose heartbeat is older than ``stale_after``; return them.

    A cheap read first (there is usually nothing to do), then one write transaction. Files are removed inside
    it, before the commit: once the job is back in the queue a retry may start writing in the same folders.
    """
    with hub.db.session() as s:
        if not has_stale(s, stale_after, now=now):
            return []
    with hub.db.session(write=True) as s:
        recovered = recover_stale(s, stale_after, now=now, keeps_work=COMMITS_AS_IT_GOES)
        folders: list[Path] = []
        for r in recovered:
            if r.status != JobStatus.QUEUED.value:  # ended: failed, or cancelled as was asked
                record_finished(s, r.id, JobStatus(r.status))
            if r.kind in TRAIN_KINDS:
                from labelhub.services.model_jobs import abandon_training  # loads PyTorch: only when needed

                folders += abandon_training(s, hub, r.id, _training_reason(r))
        s.flush()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        for r in recovered:
            _remove_leftovers(hub, r)
    for r in recovered:
        log.warning("%s", describe(r))
    return recovered


def describe(r: Recovered) -> str:
    """The log line of one recovered job."""
    where = f"project {r.project_id}" if r.project_id is not None else "no project"
    head = f"job {r.id} {r.kind} ({where}) lost its worker {r.worker_id or '?'} at {r.last_message!r}"
    if r.status == JobStatus.QUEUED.value:
        return f"{head}: requeued (try {r.attempts} of {MAX_ATTEMPTS} ended)"
    if r.status == JobStatus.CANCELLED.value:
        return f"{head}: cancelled, as was asked"
    return f"{head}: failed, it stopped its worker {r.attempts} times"


def _training_reason(r: Recovered) -> str:
    if r.status == JobStatus.QUEUED.value:
        return f"interrupted: the worker of job {r.id} stopped during training; the job was requeued"
    if r.status == JobStatus.CANCELLED.value:
        return f"cancelled: the worker of job {r.id} had stopped during training"
    return f"interrupted: the worker of job {r.id} stopped during training {r.attempts} times; the job failed"


def _remove_leftovers(hub: Hub, r: Recovered) -> None:
    """The files a killed job half-wrote, and the upload of an import that will not run again."""
    again = r.status == JobStatus.QUEUED.value
    if r.kind == "export":
        folder = hub.settings.exports_dir / f"job-{r.id}"
        if not again:
            shutil.rmtree(folder, ignore_errors=True)  # no result will point into it
        elif folder.is_dir():  # the writers' temporary files and folders: ``.<name>.<random>.part``
            for part in sorted(folder.rglob(".*.part"), reverse=True):
                if part.is_dir() and not part.is_symlink():
                    shutil.rmtree(part, ignore_errors=True)
                else:
                    part.unlink(missing_ok=True)
    elif r.kind == "import" and not again and isinstance(r.params.get("source"), str):
        remove_upload(hub.settings.uploads_dir, Path(r.params["source"]))
