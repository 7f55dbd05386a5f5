"""Assist model versions: list, train (a job), activate, delete, prune old versions' files, evaluate (a job) and
the validation report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from labelhub.api.deps import ActorDep, HubDep, queued_job
from labelhub.api.model_schemas import (
    ModelVersionPublic,
    PrunedVersionPublic,
    PruneResultPublic,
    ReportPublic,
    TrainIn,
)
from labelhub.api.schemas import JobPublic
from labelhub.errors import NotFoundError
from labelhub.services import model_retention
from labelhub.services import models as model_service
from labelhub.storage.models import Project

router = APIRouter(prefix="/projects/{project_id}/models", tags=["models"])


@router.get("", response_model=list[ModelVersionPublic])
def list_models(project_id: int, actor: ActorDep, hub: HubDep) -> list[ModelVersionPublic]:
    """The project's model versions, newest first."""
    with hub.db.session() as s:
        return [ModelVersionPublic.model_validate(mv) for mv in model_service.list_versions(s, actor, project_id)]


@router.post("/train", response_model=JobPublic, status_code=202)
def train_model(project_id: int, body: TrainIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Queue a training job on the project's accepted class labels; the job registers the new version."""
    spec = model_service.TrainSpec(
        kind=body.kind,
        name=body.name,
        mode=body.mode,
        seed=body.seed,
        epochs=body.epochs,
        held_out=body.held_out,
        open_clip=body.open_clip.model_dump(exclude_none=True) if body.open_clip else None,
        text_encoder=body.text_encoder,
        activate=body.activate,
    )
    return queued_job(request, hub, actor, lambda s: model_service.queue_training(s, actor, project_id, spec,
                                                                          prelabel=body.prelabel))  # fmt: skip


@router.post("/prune", response_model=PruneResultPublic)
def prune_models(project_id: int, actor: ActorDep, hub: HubDep) -> PruneResultPublic:
    """Remove the files of the versions beyond the project's ``keep_versions`` (the active and the pinned
    version always keep theirs); their rows stay with status ``pruned``."""
    result = model_retention.prune_versions(hub, actor, project_id)
    return PruneResultPublic(
        keep_versions=result.keep_versions,
        pruned_ids=result.ids,
        bytes_freed=result.bytes_freed,
        pruned=[PrunedVersionPublic(id=p.id, name=p.name, version=p.version, bytes=p.bytes) for p in result.pruned],
    )


@router.get("/{model_id}", response_model=ModelVersionPublic)
def get_model(project_id: int, model_id: int, actor: ActorDep, hub: HubDep) -> ModelVersionPublic:
    with hub.db.session() as s:
        return ModelVersionPublic.model_validate(model_service.get_version(s, actor, project_id, model_id))


@router.post("/{model_id}/activate", response_model=ModelVersionPublic)
def activate_model(project_id: int, model_id: int, actor: ActorDep, hub: HubDep) -> ModelVersionPublic:
    """Make this version the project's active model (the others become inactive)."""
    with hub.db.session(write=True) as s:
        return ModelVersionPublic.model_validate(model_service.activate_version(s, actor, project_id, model_id))


@router.delete("/{model_id}", status_code=204)
def delete_model(project_id: int, model_id: int, actor: ActorDep, hub: HubDep) -> None:
    """Delete a version, its files and its open proposals (proposals a person decided stay)."""
    with hub.db.session(write=True) as s:
        model_service.delete_version(s, hub, actor, project_id, model_id)


@router.post("/{model_id}/evaluate", response_model=JobPublic, status_code=202)
def evaluate_model(project_id: int, model_id: int, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Queue the validation report against the accepted human labels; stored in the version's metrics.report."""
    return queued_job(request, hub, actor, lambda s: model_service.queue_evaluation(s, actor, project_id, model_id))


def _report(
    project_id: int, model_id: int, actor: ActorDep, hub: HubDep
) -> tuple[str, dict[str, object], tuple[str, str, int]]:
    """The version's title, its report, and (project, model, version) to name the report's file."""
    with hub.db.session() as s:
        mv = model_service.get_version(s, actor, project_id, model_id)
        report = (mv.metrics or {}).get("report")
        title = f"{mv.name} v{mv.version}"
        naming = (s.get_one(Project, project_id).name, mv.name, mv.version)
    if not isinstance(report, dict):
        raise NotFoundError(f"model version {model_id} has no report yet; evaluate it first", field="model_id")
    return title, report, naming


@router.get("/{model_id}/report", response_model=ReportPublic)
def get_model_report(project_id: int, model_id: int, actor: ActorDep, hub: HubDep) -> ReportPublic:
    """The last validation report of the version; 404 before it was evaluated."""
    return ReportPublic.model_validate(_report(project_id, model_id, actor, hub)[1])


@router.get("/{model_id}/report.html", response_class=HTMLResponse)
def get_model_report_html(project_id: int, model_id: int, actor: ActorDep, hub: HubDep) -> HTMLResponse:
    """The validation report as one self-contained HTML page with its plots inline."""
    # The report module loads PyTorch: only for this page.
    from labelhub.assist.report import render_html, report_filename
    from labelhub.services._volume_eval import example_images

    title, report, naming = _report(project_id, model_id, actor, hub)
    with hub.db.session() as s:  # a segmenter's example slices, drawn under their outlines
        slices = example_images(hub, s, project_id, report)
    # Shown in the browser; saved under the project's and the version's name, not "report.html".
    disposition = f'inline; filename="{report_filename(*naming)}"'
    return HTMLResponse(render_html(report, title=f"Validation report: {title}", slices=slices),
                        headers={"Content-Disposition": disposition})  # fmt: skip
