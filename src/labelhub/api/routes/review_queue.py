"""The review queue's "next" (claims: two reviewers are sent different items) and the items other reviewers are
deciding now (see :mod:`labelhub.services.review_queue`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from labelhub.api.deps import ActorDep, HubDep
from labelhub.services import review_queue

router = APIRouter(prefix="/projects/{project_id}/review", tags=["items"])


class ReviewNextPublic(BaseModel):
    item_id: int | None = Field(description="The labelled item to decide next, now claimed for you; null: none left")


class ReviewClaimIn(BaseModel):
    item_id: int = Field(description="A labelled item of the project, opened from the review queue's list")


class ReviewClaimPublic(BaseModel):
    claimed: bool = Field(
        description="True: the item is yours to decide; false: another reviewer holds it, or it is "
        "not a labelled item of the project"
    )


class ReviewHeldPublic(BaseModel):
    item_ids: list[int] = Field(description="Labelled items other reviewers hold a live claim on, in id order")


@router.get("/next", response_model=ReviewNextPublic)
def get_review_next(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    after: Annotated[
        int | None, Query(description="The item on screen; the next labelled item after it (wrapping) is returned")
    ] = None,
) -> ReviewNextPublic:
    """The item the review queue's "next" opens, claimed for you so other reviewers' "next" passes over it
    (reviewers); null when no labelled item is left that others do not hold."""
    with hub.db.session(write=True) as s:
        found = review_queue.next_to_review(s, actor, project_id, after, minutes=hub.settings.queue_claim_minutes)
    return ReviewNextPublic(item_id=found)


@router.get("/held", response_model=ReviewHeldPublic)
def get_review_held(project_id: int, actor: ActorDep, hub: HubDep) -> ReviewHeldPublic:
    """The labelled items other reviewers are deciding now (they hold a live claim on them; reviewers)."""
    with hub.db.session() as s:
        return ReviewHeldPublic(item_ids=review_queue.held_for_review(s, actor, project_id))


@router.post("/claim", response_model=ReviewClaimPublic)
def post_review_claim(project_id: int, body: ReviewClaimIn, actor: ActorDep, hub: HubDep) -> ReviewClaimPublic:
    """Claim a labelled item you opened from the review queue's list, so other reviewers' "next" passes over it
    (reviewers). A claim never refuses a decision: this only orders the work."""
    with hub.db.session(write=True) as s:
        claimed = review_queue.claim_for_review(s, actor, project_id, body.item_id,
                                                minutes=hub.settings.queue_claim_minutes)  # fmt: skip
    return ReviewClaimPublic(claimed=claimed)
