"""Consensus labelling: put items under consensus, compare an item's replicas, merge early, the agreement report.

Each person's own labels of an item under consensus go through the ordinary annotation routes
(``.../items/{id}/annotations``): see :mod:`labelhub.services.consensus`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from labelhub.api.consensus_schemas import (
    AgreementPublic,
    ConsensusIn,
    ConsensusSetPublic,
    ItemConsensusPublic,
    SkippedPublic,
)
from labelhub.api.deps import ActorDep, HubDep
from labelhub.services import agreement_report, consensus, consensus_set

router = APIRouter(prefix="/projects/{project_id}", tags=["consensus"])


@router.post("/consensus", response_model=ConsensusSetPublic)
def set_consensus(project_id: int, body: ConsensusIn, actor: ActorDep, hub: HubDep) -> ConsensusSetPublic:
    """Have items labelled by ``overlap`` people each (managers); items already labelled are skipped."""
    f = body.filter.to_filter(actor) if body.filter is not None else None
    with hub.db.session(write=True) as s:
        r = consensus_set.set_overlap(s, actor, project_id, overlap=body.overlap, item_ids=body.item_ids, item_filter=f)
    skipped = [SkippedPublic(reason=k, count=len(v), item_ids=v[:100]) for k, v in r.skipped.items()]
    return ConsensusSetPublic(overlap=r.overlap, changed=len(r.changed), skipped=skipped)


@router.get("/items/{item_id}/consensus", response_model=ItemConsensusPublic)
def get_item_consensus(project_id: int, item_id: int, actor: ActorDep, hub: HubDep) -> ItemConsensusPublic:
    """Every person's labels of the item and their pairwise agreement (reviewers)."""
    with hub.db.session() as s:
        found = agreement_report.item_consensus(s, actor, project_id, item_id)
    return ItemConsensusPublic.model_validate(asdict(found))


@router.post("/items/{item_id}/consensus/merge", response_model=ItemConsensusPublic)
def merge_consensus(project_id: int, item_id: int, actor: ActorDep, hub: HubDep) -> ItemConsensusPublic:
    """Merge the replicas submitted so far (managers; at least two) without waiting for the others."""
    with hub.db.session(write=True) as s:
        consensus.force_merge(s, actor, project_id, item_id)
        found = agreement_report.item_consensus(s, actor, project_id, item_id)
    return ItemConsensusPublic.model_validate(asdict(found))


@router.get("/agreement", response_model=AgreementPublic)
def get_agreement(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    lowest: Annotated[int, Query(ge=1, le=200, description="How many of the lowest-agreement items to list")] = 20,
) -> AgreementPublic:
    """The project's inter-annotator agreement (reviewers): Krippendorff's alpha, per annotator, lowest items."""
    with hub.db.session() as s:
        report = agreement_report.project_agreement(s, actor, project_id, lowest=lowest)
    return AgreementPublic.model_validate(asdict(report))
