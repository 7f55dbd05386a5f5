"""Fill between slices on a volume item: interpolated masks stored as proposals (the editor's fill tool)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.strict import StrictIn
from labelhub.services import volume_fill as fill_service

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}", tags=["volumes"])


class VolumeFillIn(StrictIn):
    label: str = Field(min_length=1, max_length=200, description="The class whose masks are interpolated")
    from_slice: int = Field(ge=0, description="A slice with a mask of the class")
    to_slice: int = Field(ge=0, description="Another slice with a mask of the class, at least 2 slices away")
    version: int = Field(description="The item's version the editor holds (409 when it is stale)")


class VolumeFillPublic(BaseModel):
    version: int = Field(description="The item's version after the fill")
    filled: list[int] = Field(description="The slices that got a proposed mask, ascending")


@router.post("/volume/fill", response_model=VolumeFillPublic)
def fill_between_slices(
    project_id: int, item_id: int, body: VolumeFillIn, actor: ActorDep, hub: HubDep
) -> VolumeFillPublic:
    """Interpolate the class's masks on the slices between two drawn ones and store them as proposals (ANNOTATE).

    Slices between that already hold a mask or polygon of the class are left alone.
    """
    result = fill_service.fill_slices(
        hub,
        actor,
        project_id,
        item_id,
        label=body.label,
        from_slice=body.from_slice,
        to_slice=body.to_slice,
        expected_version=body.version,
    )
    return VolumeFillPublic(version=result.version, filled=result.filled)
