"""Structure measurements of a volume item (the volume editor's "Structures" panel; ITK-SNAP's label statistics)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from labelhub.api.deps import ActorDep, HubDep
from labelhub.services import volume_measures as measures_service

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}", tags=["volumes"])


class CentroidPublic(BaseModel):
    column: float = Field(description="Column of the shown axial slice (0 = its left edge's pixel)")
    row: float = Field(description="Row of the shown axial slice (0 = the top)")
    slice: float = Field(description="Axial slice, 0 = inferior")


class IntensityPublic(BaseModel):
    mean: float
    std: float = Field(description="Population standard deviation")
    min: float
    max: float


class StructurePublic(BaseModel):
    label: str
    voxels: int
    volume_ml: float = Field(description="voxels x the voxel's size in mm³ / 1000")
    first_slice: int
    last_slice: int
    slice_count: int = Field(description="Slices holding at least one of its voxels")
    centroid: CentroidPublic
    center_slice: int = Field(description="The slice holding it nearest to the centroid (where the editor jumps)")
    intensity: IntensityPublic = Field(description="The volume's values over its voxels (HU for CT)")


class VolumeMeasuresPublic(BaseModel):
    item_id: int
    version: int = Field(description="The item's version the measurements were taken at")
    spacing: list[float] = Field(description="Voxel size in mm along X, Y, Z")
    voxel_ml: float = Field(description="One voxel's volume in mL")
    unit: str | None = Field(description='Unit of the intensities: "HU" for CT, null when unknown')
    structures: list[StructurePublic] = Field(
        description="Per class of the accepted masks and polygons, in the project's label order"
    )
    proposals: list[StructurePublic] = Field(description="The same for the proposed masks and polygons, apart")


def _structure(s: measures_service.Structure) -> StructurePublic:
    column, row, k = s.centroid
    return StructurePublic(
        label=s.label,
        voxels=s.voxels,
        volume_ml=s.volume_ml,
        first_slice=s.first_slice,
        last_slice=s.last_slice,
        slice_count=s.slice_count,
        centroid=CentroidPublic(column=column, row=row, slice=k),
        center_slice=s.center_slice,
        intensity=IntensityPublic(mean=s.mean, std=s.std, min=s.min, max=s.max),
    )


@router.get("/volume/measures", response_model=VolumeMeasuresPublic)
def get_volume_measures(project_id: int, item_id: int, actor: ActorDep, hub: HubDep) -> VolumeMeasuresPublic:
    """Per class: voxel count, volume in mL, slices spanned, centroid and intensity statistics (read access).

    Measured on the label map the plane views show (a voxel two classes claim counts for the later class in the
    project's list); proposals are measured apart. A non-volume item: 422 on ``kind``.
    """
    m = measures_service.volume_measures(hub, actor, project_id, item_id)
    return VolumeMeasuresPublic(
        item_id=m.item_id,
        version=m.version,
        spacing=list(m.spacing),
        voxel_ml=m.voxel_ml,
        unit=m.unit,
        structures=[_structure(s) for s in m.structures],
        proposals=[_structure(s) for s in m.proposals],
    )
