"""Training the built-in encoders (``dual``, ``ssl``) on a project's own data, as a job."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import Field

from labelhub.api.deps import ActorDep, HubDep, queued_job
from labelhub.api.schemas import JobPublic
from labelhub.api.strict import StrictIn
from labelhub.services.embedder_training import queue_embedder_training
from labelhub.services.uploads import server_roots

router = APIRouter(prefix="/projects/{project_id}/embedders", tags=["search"])


class EmbedderTrainIn(StrictIn):
    kind: Literal["dual", "ssl"] = Field(description="dual: image and multilingual text towers; ssl: images only")
    epochs: int | None = Field(default=None, ge=1, description="Passes over the data (default: by data size)")
    seed: int = Field(default=0, ge=0, lt=2**31)
    bitext: str | None = Field(
        default=None, description="dual only: translation pairs (TSV or parallel files), inside LABELHUB_IMPORT_ROOTS"
    )
    bitext_splits: list[str] | None = Field(default=None, description="Which splits of the bitext folder to train on")


@router.post("/train", response_model=JobPublic, status_code=202)
def train_embedder(project_id: int, body: EmbedderTrainIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Queue a training job for a built-in encoder; the embedding job then uses the newest trained one."""
    return queued_job(request, hub, actor, lambda s: queue_embedder_training(
        s, actor, project_id, body.kind, epochs=body.epochs, seed=body.seed, bitext=body.bitext,
        bitext_splits=body.bitext_splits, roots=server_roots(hub.settings),
    ))  # fmt: skip
