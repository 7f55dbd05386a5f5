"""Box to polygon: GrabCut on an image item, for the editor's "Box → polygon" tool (nothing is stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.strict import StrictIn
from labelhub.services import grabcut as grabcut_service

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}", tags=["assist"])


class GrabcutIn(StrictIn):
    # Four numbers; whether they lie inside the image is checked by the service (422 naming ``box``).
    box: Annotated[list[float], Field(min_length=4, max_length=4, description="x1, y1, x2, y2 in image pixels")]
    iterations: int = Field(default=5, ge=1, le=grabcut_service.MAX_ITERATIONS)


class GrabcutPublic(BaseModel):
    polygon: list[list[float]] = Field(description="The outline as [x, y] points in image pixels, at least 3")
    area: float = Field(description="The polygon's area in square pixels")


@router.post("/grabcut", response_model=GrabcutPublic)
def grabcut(project_id: int, item_id: int, body: GrabcutIn, actor: ActorDep, hub: HubDep) -> GrabcutPublic:
    """Segment the object inside ``box`` with GrabCut and return its outline (ANNOTATE)."""
    outline = grabcut_service.grabcut_item(hub, actor, project_id, item_id, body.box, iterations=body.iterations)
    return GrabcutPublic(polygon=outline.pairs(), area=outline.area)
