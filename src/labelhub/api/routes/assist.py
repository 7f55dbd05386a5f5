"""Assist: the project's settings (bands, retraining, strategy), pre-labelling jobs, the labelling queue, and
registering models labelhub did not train (an ONNX detector, a Label Studio ML backend, an HTTP server)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from labelhub.api.assist_schemas import (
    AssistPublic,
    AssistPut,
    ModelRegisterIn,
    PrelabelIn,
    QueueItemPublic,
    QueueNextPublic,
    QueuePublic,
)
from labelhub.api.deps import ActorDep, HubDep, queued_job
from labelhub.api.model_schemas import ModelVersionPublic
from labelhub.api.schemas import JobPublic
from labelhub.services import assist_settings, prelabel
from labelhub.services import queue as queue_service
from labelhub.services.assist_settings import AssistView
from labelhub.services.model_registration import check_registration, store_model
from labelhub.services.uploads import server_roots

router = APIRouter(prefix="/projects/{project_id}", tags=["assist"])

_DETECTOR_FIELDS = ("path", "labels", "input_size", "score_threshold", "iou_threshold")
_REMOTE_FIELDS = ("url", "labels", "timeout", "retries", "label_config", "image_url")


def _public(v: AssistView) -> AssistPublic:
    return AssistPublic.model_validate(
        {
            "settings": v.settings,
            "labels_since_train": v.labels_since_train,
            "version": v.version,
            "suggested_bands": v.suggested_bands,
        }
    )


@router.get("/assist", response_model=AssistPublic)
def get_assist(project_id: int, actor: ActorDep, hub: HubDep) -> AssistPublic:
    """The project's auto-accept bands, retrain interval, queue strategy and model, with suggested bands."""
    with hub.db.session() as s:
        return _public(assist_settings.get_assist(s, actor, project_id))


@router.put("/assist", response_model=AssistPublic)
def put_assist(project_id: int, body: AssistPut, actor: ActorDep, hub: HubDep) -> AssistPublic:
    """Change the settings; 409 when ``version`` is not the current one (managers)."""
    with hub.db.session(write=True) as s:
        view = assist_settings.update_assist(s, actor, project_id, body.settings.model_dump(), body.version)
        return _public(view)


@router.post("/prelabel", response_model=JobPublic, status_code=202)
def start_prelabel(project_id: int, body: PrelabelIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Queue a job that runs the model over the unlabelled items and stores its proposals through the bands."""
    return queued_job(request, hub, actor, lambda s: prelabel.start_prelabel(
        s, actor, project_id, model_id=body.model_id, only_unlabelled=body.only_unlabelled, batch_size=body.batch_size
    ))  # fmt: skip


@router.get("/queue", response_model=QueuePublic)
def get_queue(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    strategy: Annotated[str | None, Query(max_length=64, description="Default: the project's strategy")] = None,
    limit: Annotated[int, Query(ge=1, le=queue_service.MAX_LIMIT)] = 50,
) -> QueuePublic:
    """The next items to label, best first (items sent to labelling first; random order without a model)."""
    with hub.db.session() as s:
        view = queue_service.queue(s, hub, actor, project_id, strategy=strategy, limit=limit)
    items = [
        QueueItemPublic(id=e.id, name=e.name, kind=e.kind, score=e.score, reason=e.reason, text=e.text)
        for e in view.items
    ]
    return QueuePublic(strategy=view.strategy, model_version=view.model_version, items=items, pool=view.pool,
                       capped=view.capped)  # fmt: skip


@router.get("/queue/next", response_model=QueueNextPublic)
def get_queue_next(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    after: Annotated[
        int | None, Query(description="The item on screen; its successor in the queue is returned")
    ] = None,
) -> QueueNextPublic:
    """The item the editor's "next" opens; null when nothing is left to label."""
    with hub.db.session() as s:
        return QueueNextPublic(item_id=queue_service.next_item(s, hub, actor, project_id, after))


@router.post("/models/register", response_model=ModelVersionPublic, status_code=201)
def register_model(project_id: int, body: ModelRegisterIn, actor: ActorDep, hub: HubDep) -> ModelVersionPublic:
    """Register an ONNX detector, a Label Studio ML backend or an HTTP model server as a ready model version."""
    fields = _DETECTOR_FIELDS if body.kind == "onnx_detector" else _REMOTE_FIELDS
    data = body.model_dump()
    # Only what the caller sent: a detector without input_size takes its model's fixed size (the service's own
    # defaults are the schema's for the other fields).
    sent = {k: data[k] for k in fields if k in body.model_fields_set and data[k] is not None}
    params = {"kind": body.kind, "name": body.name, **sent}
    with hub.db.session() as s:
        kind, name, checked = check_registration(s, actor, project_id, params, roots=server_roots(hub.settings))
    with hub.db.session(write=True) as s:
        return ModelVersionPublic.model_validate(store_model(s, actor, project_id, kind, name, checked))
