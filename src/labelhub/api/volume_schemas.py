"""Response bodies of the volume routes (see docs/api.md, "Volumes")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class WindowPublic(BaseModel):
    name: str
    center: float
    width: float


class AnnotatedSlicePublic(BaseModel):
    slice: int
    count: int = Field(description="How many annotations the slice has")
    regions: list[str] = Field(
        default_factory=list,
        description="The classes with a mask or polygon (not rejected) on the slice, sorted: fill between slices "
        "starts from them",
    )


class VolumePublic(BaseModel):
    """A volume item as the viewer needs it before the first slice; sizes of the RAS+ array."""

    width: int = Field(description="X: columns of a shown axial slice (the patient's right on the left)")
    height: int = Field(description="Y: rows of a shown axial slice (anterior at the top)")
    slices: int = Field(description="Z: axial slices, inferior (0) to superior")
    spacing: list[float] = Field(description="Voxel size in mm along X, Y, Z")
    dtype: Literal["int16", "float32"] = Field(description="The type of the values GET .../slices/{k} sends")
    range: list[float] = Field(description="The smallest and largest voxel value")
    windows: list[WindowPublic] = Field(description="Display windows to offer, the default first")
    modality: str | None
    annotated: list[AnnotatedSlicePublic] = Field(description="Slices with annotations, ascending")
