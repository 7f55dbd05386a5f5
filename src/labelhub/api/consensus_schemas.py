"""Bodies of the consensus routes: putting items under consensus, an item's replicas, the project's agreement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from labelhub.api.assignment_schemas import ItemFilterIn
from labelhub.api.strict import StrictIn
from labelhub.domain.consensus import MAX_OVERLAP
from labelhub.domain.enums import ItemStatus
from labelhub.services.consensus_set import MAX_IDS


class ConsensusIn(StrictIn):
    """Which items (``item_ids`` or ``filter``, one of them) are labelled by how many people (``overlap``)."""

    item_ids: list[int] | None = Field(default=None, max_length=MAX_IDS, description="Items of the project")
    filter: ItemFilterIn | None = Field(
        default=None, description="Instead of item_ids: every item the item list shows with these filters"
    )
    overlap: int = Field(
        ge=0,
        le=MAX_OVERLAP,
        description=f"How many people label each item independently, 2..{MAX_OVERLAP}; 0 or 1 takes items out of"
        " consensus (only while none of their replicas is submitted)",
    )


class SkippedPublic(BaseModel):
    reason: str
    count: int
    item_ids: list[int] = Field(description="The first 100 of them")


class ConsensusSetPublic(BaseModel):
    overlap: int = Field(description="The overlap the changed items have now (0: ordinary items)")
    changed: int = Field(description="Items whose overlap this call changed")
    skipped: list[SkippedPublic] = Field(description="Items left as they were, by reason")


class ReplicaPublic(BaseModel):
    user_id: int
    username: str
    submitted: bool
    version: int
    updated_at: datetime
    annotations: list[dict[str, Any]] = Field(description="Their labels, in the annotation input shape")


class ItemConsensusPublic(BaseModel):
    """Every replica of an item, and how much each pair agrees (``matrix``, in the order of ``replicas``)."""

    item_id: int
    overlap: int
    status: ItemStatus
    merged: bool
    agreement: float | None = Field(description="Mean pairwise agreement of the submitted replicas, 0..1")
    flags: list[dict[str, Any]] = Field(description="What the merge could not decide, e.g. a class tie")
    replicas: list[ReplicaPublic]
    matrix: list[list[float]]


class AnnotatorAgreementPublic(BaseModel):
    user_id: int
    username: str
    agreement: float | None = Field(description="Mean agreement with the others on the items they share, 0..1")
    items: int = Field(description="Items they and someone else submitted")
    submitted: int = Field(description="Replicas they submitted")


class ItemAgreementPublic(BaseModel):
    item_id: int
    name: str
    status: ItemStatus
    agreement: float
    replicas: int


class AgreementPublic(BaseModel):
    alpha: float | None = Field(
        description="Krippendorff's alpha (nominal) of the class tags; null when undefined (no variation, no pairs)"
    )
    mean_agreement: float | None
    items_open: int = Field(description="Items under consensus, not merged yet")
    items_merged: int
    items_scored: int = Field(description="Items with two or more submitted replicas")
    capped: bool = Field(description="True when only the most recent 5,000 consensus items were read")
    annotators: list[AnnotatorAgreementPublic]
    lowest: list[ItemAgreementPublic] = Field(description="The items people agreed least on, lowest first")
