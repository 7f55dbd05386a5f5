"""Jobs: list, read, cancel, and download an export's result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from labelhub.api.deps import ActorDep, HubDep, job_public
from labelhub.api.schemas import JobPublic
from labelhub.domain.enums import JobStatus
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError
from labelhub.services import jobs
from labelhub.services.access import require

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[JobPublic])
def list_jobs(
    actor: ActorDep,
    hub: HubDep,
    project_id: int | None = None,
    after: Annotated[int | None, Query(description="Jobs older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobPublic]:
    with hub.db.session() as s:
        return [
            job_public(j, actor, hub) for j in jobs.list_jobs(s, actor, project_id=project_id, after=after, limit=limit)
        ]


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: int, actor: ActorDep, hub: HubDep) -> JobPublic:
    with hub.db.session() as s:
        return job_public(jobs.get_job(s, actor, job_id), actor, hub)


@router.post("/{job_id}/cancel", response_model=JobPublic)
def cancel_job(job_id: int, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Cancel a queued job at once, or ask a running one to stop; a cancelled import writes nothing."""
    with hub.db.session(write=True) as s:
        return job_public(jobs.cancel(s, actor, job_id), actor, hub)


@router.get("/{job_id}/download", response_class=FileResponse)
def download_job_result(job_id: int, actor: ActorDep, hub: HubDep) -> FileResponse:
    """The file an export job produced."""
    with hub.db.session() as s:
        job = jobs.get_job(s, actor, job_id)
        if job.kind != "export" or job.project_id is None:
            raise NotFoundError(f"job {job_id} has no download", field="job_id")
        require(s, actor, job.project_id, Action.EXPORT)
    if job.status != JobStatus.SUCCEEDED.value or not job.result:
        raise ConflictError(
            f"job {job_id} is {job.status}; the download is ready when it has succeeded", field="status"
        )
    exports = hub.settings.exports_dir.resolve()
    path = Path(job.result["download"]).resolve()
    if not path.is_relative_to(exports):
        # A home restored at another path (or a volume mounted elsewhere): the result keeps the old absolute path,
        # and the file is where every export writes it, exports/job-<id>/<name>, under the current home.
        path = exports / f"job-{job_id}" / path.name
    if not path.is_file():
        raise NotFoundError(f"the result of job {job_id} is no longer on the server", field="download")
    return FileResponse(path, filename=path.name)
