"""Federated training, coordinator side: the project's sites (list, add, change, remove, check), a training job over
them, and the rounds of its federated versions (see docs/assist.md, "Federated training")."""

from __future__ import annotations

from fastapi import APIRouter, Request

from labelhub.api.deps import ActorDep, HubDep, queued_job
from labelhub.api.federated_schemas import (
    FederatedTrainIn,
    FederatedVersionPublic,
    SiteCheckPublic,
    SiteCreate,
    SitePublic,
    SiteUpdate,
)
from labelhub.api.schemas import JobPublic
from labelhub.services import federated_sites

# services.federated_jobs loads PyTorch (through federated_train): imported in the routes that need it.

router = APIRouter(prefix="/projects/{project_id}/federated", tags=["federated"])


@router.get("/sites", response_model=list[SitePublic])
def list_sites(project_id: int, actor: ActorDep, hub: HubDep) -> list[SitePublic]:
    """The coordinator project's sites (manager role); tokens only as their last four characters."""
    with hub.db.session() as s:
        return [SitePublic.model_validate(v) for v in federated_sites.list_sites(s, actor, project_id)]


@router.post("/sites", response_model=SitePublic, status_code=201)
def add_site(project_id: int, body: SiteCreate, actor: ActorDep, hub: HubDep) -> SitePublic:
    """Add a site: its project URL (allowed by LABELHUB_WEBHOOK_HOSTS) and a manager's token there."""
    policy = federated_sites.policy_of(hub)
    with hub.db.session(write=True) as s:
        view = federated_sites.add_site(s, actor, project_id, name=body.name, url=body.url, token=body.token,
                                        policy=policy)  # fmt: skip
        return SitePublic.model_validate(view)


@router.patch("/sites/{site_id}", response_model=SitePublic)
def update_site(project_id: int, site_id: int, body: SiteUpdate, actor: ActorDep, hub: HubDep) -> SitePublic:
    """Change a site's name, URL or token (the fields given; null or left out keeps one); never returns the token."""
    policy = federated_sites.policy_of(hub)
    with hub.db.session(write=True) as s:
        view = federated_sites.update_site(s, actor, project_id, site_id, name=body.name, url=body.url,
                                           token=body.token, policy=policy)  # fmt: skip
        return SitePublic.model_validate(view)


@router.delete("/sites/{site_id}", status_code=204)
def delete_site(project_id: int, site_id: int, actor: ActorDep, hub: HubDep) -> None:
    """Remove a site and its token."""
    with hub.db.session(write=True) as s:
        federated_sites.delete_site(s, actor, project_id, site_id)


@router.post("/sites/check", response_model=list[SiteCheckPublic])
def check_sites(project_id: int, actor: ActorDep, hub: HubDep) -> list[SiteCheckPublic]:
    """Ask each site for its project (one GET): reachable, token refused, no access, classes differ..."""
    return [SiteCheckPublic.model_validate(c) for c in federated_sites.check_sites(hub, actor, project_id)]


@router.post("/train", response_model=JobPublic, status_code=202)
def train(project_id: int, body: FederatedTrainIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Queue a ``federated_train`` job over the project's sites; the job registers the new version."""
    from labelhub.services.federated_jobs import queue_federated

    return queued_job(request, hub, actor, lambda s: queue_federated(s, actor, project_id, **body.model_dump()))


@router.get("/versions", response_model=list[FederatedVersionPublic])
def list_federated_versions(project_id: int, actor: ActorDep, hub: HubDep) -> list[FederatedVersionPublic]:
    """The project's federated versions, newest first, each with its rounds (anyone who may read the project)."""
    from labelhub.services.federated_jobs import federated_versions

    with hub.db.session() as s:
        return [FederatedVersionPublic.model_validate(v) for v in federated_versions(s, actor, project_id)]
