"""Request and response bodies of the federated coordinator routes (docs/api.md, "Federated training")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelhub.api.strict import StrictIn


class SiteCreate(StrictIn):
    name: str = Field(max_length=200, description="What to call the site: a hospital, a business unit")
    url: str = Field(max_length=2000, description="The site's project URL, like https://host/api/v1/projects/3")
    token: str = Field(max_length=1000, description="A manager's API token on the site; never shown again")


class SiteUpdate(StrictIn):
    """The fields to change; each left out (or null) keeps its value. An empty body is refused (422)."""

    name: str | None = Field(default=None, max_length=200, description="A new name")
    url: str | None = Field(default=None, max_length=2000, description="A new project URL on the site")
    token: str | None = Field(
        default=None, max_length=1000, description="A new manager's token there (replaces the old one); null keeps it"
    )


class SitePublic(BaseModel):
    """A site of the coordinator project; the token only as its last four characters."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    name: str
    url: str
    token_hint: str = Field(description="The token's last four characters")
    created_by: int | None
    created_at: datetime


class SiteCheckPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    site_id: int
    name: str
    url: str
    status: Literal[
        "ok", "refused", "unreachable", "token_refused", "no_access", "not_text", "classes_differ", "role", "error"
    ] = Field(description="ok: a round would be accepted; the others say why not")
    detail: str
    missing: list[str] = Field(description="The coordinator's classes the site lacks")
    extra: list[str] = Field(description="The site's classes the coordinator lacks")
    ms: float


class FederatedTrainIn(StrictIn):
    rounds: int = Field(default=10, ge=1, le=10_000, description="FedAvg rounds")
    steps: int = Field(default=50, ge=1, le=2000, description="Local SGD steps per round (whole passes)")
    lr: float = Field(default=0.5, gt=0, le=100, description="The sites' learning rate")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Initial weights and batch order")
    on_failure: Literal["skip", "stop"] = Field(
        default="skip", description="A site that fails a round twice: skip it for that round, or stop the training"
    )
    name: str = Field(default="federated-text-classifier", min_length=1, max_length=100, description="Model line")


class FederatedVersionPublic(BaseModel):
    """A federated version and its rounds: per round ``round``, ``accuracy`` (on the coordinator's labels, or
    null), ``bytes_sent`` and ``sites`` (each: site URL, examples or null, error, seconds, attempts)."""

    model_config = ConfigDict(from_attributes=True)

    model_id: int
    name: str
    version: int
    status: str
    active: bool
    accuracy: float | None
    sites: list[str]
    rounds: list[dict[str, Any]]
