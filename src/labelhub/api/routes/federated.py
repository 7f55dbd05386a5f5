"""Federated training, site side: one round on this server's labels (see services/federated_site.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from labelhub.api.deps import ActorDep, HubDep

# services.federated_site loads PyTorch: imported in the route, so the API starts without it (as services.models).

router = APIRouter(prefix="/projects/{project_id}/federated", tags=["federated"])
SAFETENSORS = "application/octet-stream"


@router.post(
    "/round",
    response_class=Response,
    openapi_extra={
        "requestBody": {"required": True, "content": {SAFETENSORS: {"schema": {"type": "string", "format": "binary"}}}}
    },
    responses={200: {"content": {SAFETENSORS: {}}, "description": "safetensors: the new weights, metadata examples"}},
)
async def federated_round(project_id: int, request: Request, actor: ActorDep, hub: HubDep) -> Response:
    """Train one FedAvg round (manager role): the body is a safetensors file of the global weights whose metadata
    ``settings`` holds the round settings as JSON; the answer is a safetensors file of the new weights whose only
    metadata is ``examples``, the number of labels trained on. Runs synchronously (at most 2,000 steps)."""
    from labelhub.services import federated_site

    body = await request.body()
    out = await run_in_threadpool(federated_site.run_round, hub, actor, project_id, body)
    return Response(out, media_type=SAFETENSORS)
