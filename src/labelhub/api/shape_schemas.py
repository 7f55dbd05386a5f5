"""Response body of the grid's labels-on-thumbnails route (see docs/api.md, "Shapes for the grid")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from labelhub.domain.enums import Source


class ShapePublic(BaseModel):
    kind: Literal["box", "polygon", "keypoints", "mask"]
    label: str | None
    source: Source
    proposed: bool = Field(description="A proposal waiting for a decision (state `proposed`): drawn dashed")
    points: list[float] = Field(
        description="Image pixels: a box's x1, y1, x2, y2; a polygon's x, y pairs (at most 32 points); keypoints'"
        " x, y, v triples; a mask's bounding box x1, y1, x2, y2"
    )
    parts: list[list[float]] = Field(
        default_factory=list,
        description="A mask's outline: its largest outer contours (at most 4), x, y pairs of at most 32 points each",
    )


class ItemShapesPublic(BaseModel):
    item_id: int
    width: int | None = Field(description="The image's width in pixels (the shapes' coordinate space)")
    height: int | None
    shapes: list[ShapePublic] = Field(description="In annotation order; at most 300")
    more: int = Field(description="Shapes past the first 300, not sent")


class ItemShapesPagePublic(BaseModel):
    items: list[ItemShapesPublic] = Field(
        description="The image items of the project among `ids`, in that order; other ids are left out"
    )
