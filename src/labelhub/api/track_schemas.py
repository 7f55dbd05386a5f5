"""Request and response bodies of the video routes: frames and tracks (see docs/api.md, "Video and tracks")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from labelhub.api.schemas import JobPublic
from labelhub.api.strict import StrictIn

Bbox = Annotated[list[float], Field(min_length=4, max_length=4, description="x1, y1, x2, y2 in pixels")]
Method = Literal["track", "interpolate"]
Value = str | int | float | bool  # an attribute value (smart union: JSON true stays a bool, 1 an int)


class FrameRangePublic(BaseModel):
    item_id: int
    frame_count: int
    start: int
    count: int
    urls: list[str] = Field(description="One URL per frame of the range, ready to load (decoded on the server)")


class TrackPublic(BaseModel):
    track_id: int
    label: str
    frame_count: int
    start: int = Field(
        default=0,
        description="The frame that the per-frame lists (states, boxes, confidence, frame_attributes) begin on: 0, "
        "and one entry per frame of the video, unless `span=true` was asked for (then the track's first box)",
    )
    keyframes: list[int] = Field(description="Frames a person set (a box, or outside), ascending")
    states: str = Field(
        description="One character per frame from `start`: k keyframe box, x keyframe outside, p propagated, "
        "o outside (the object left), - nothing yet"
    )
    boxes: list[list[float] | None] = Field(
        description="One box per frame from `start` (to 0.01 px); outside frames keep the last place"
    )
    confidence: list[float | None] = Field(
        description="One per frame from `start`, in [0, 1] (to 0.001); null on keyframes and '-'"
    )
    review: list[int] = Field(description="Frames whose confidence fell below the review threshold")
    suggested: list[int] = Field(description="Up to 10 frames to check next, best first")
    attributes: dict[str, Value] = Field(
        default_factory=dict,
        description="The track's attribute values: the declared attributes' values all its boxes share",
    )
    attributes_mixed: list[str] = Field(
        default_factory=list,
        description="Declared attributes whose boxes hold different values (imported per-frame values); no value "
        "is reported for them until one is set on the whole track",
    )
    frame_attributes: dict[str, list[Value | None]] = Field(
        default_factory=dict,
        description="Per-frame (mutable) attributes that apply to the track's label: the value on each frame from "
        "`start` (null: unset, or no box on that frame). A value holds from the frame it was set on up to the next "
        "change",
    )
    job: JobPublic | None = Field(default=None, description="The track's latest propagation job")


class TracksPublic(BaseModel):
    item_id: int
    version: int
    frame_count: int
    width: int
    height: int
    fps: float | None
    tracks: list[TrackPublic]


class TrackCreate(StrictIn):
    version: int
    label: str = Field(min_length=1, max_length=200)
    frame: int = Field(ge=0)
    box: Bbox
    propagate: bool = True
    method: Method = "track"
    attributes: dict[str, Value] | None = Field(
        default=None, description="Attribute values of the new track (the editor sends its label's defaults)"
    )


class KeyframePut(StrictIn):
    version: int
    box: Bbox | None = Field(description="The box on this frame, or null: the object is not visible (outside)")


class FrameAttributesIn(StrictIn):
    from_frame: int = Field(ge=0, description="The first frame the values hold on")
    to_frame: int | None = Field(
        default=None,
        ge=0,
        description="The last frame they hold on (undo sends it to put back exactly what changed); null: up to the "
        "next frame where the value changes",
    )
    values: dict[str, Value | None] = Field(
        min_length=1,
        description="Per-frame (mutable) attributes' values; each holds from from_frame up to the next frame where "
        "the value changes. null unsets it over the same frames",
    )


class TrackPatch(StrictIn):
    version: int
    label: str | None = Field(default=None, min_length=1, max_length=200)
    attributes: dict[str, Value | None] | None = Field(
        default=None,
        description="Values to set on every box of the track; null removes that attribute's value",
    )
    frame_attributes: FrameAttributesIn | None = Field(
        default=None, description="Per-frame values to set from a frame on (applied after label and attributes)"
    )


class PropagateIn(StrictIn):
    method: Method = "track"


class TrackChange(BaseModel):
    version: int = Field(description="The item's new version")
    track: TrackPublic
    job: JobPublic | None = Field(description="The propagation job this change queued")


class TrackSplit(StrictIn):
    version: int
    frame: int = Field(description="The new track's first frame: the track keeps the frames before it")


class TrackMerge(StrictIn):
    version: int
    track_ids: list[int] = Field(
        min_length=2, max_length=2, description="The two tracks; the one with the lower id is kept"
    )
    label: str | None = Field(
        default=None, min_length=1, max_length=200, description="The merged track's label (needed when theirs differ)"
    )


_UNDO = "Send it to POST .../tracks/undo to put the tracks back as they were before this change"


class TracksChange(BaseModel):
    version: int = Field(description="The item's new version")
    tracks: list[TrackPublic] = Field(description="The tracks the change made, changed or brought back, in id order")
    removed: list[int] = Field(
        default_factory=list, description="The tracks that are gone (merged into another, or split off and undone)"
    )
    undo_token: int | None = Field(default=None, description=_UNDO + " (null: the change is an undo itself)")


class TrackUndo(StrictIn):
    version: int
    undo_token: int = Field(description="The token of the delete, split or merge to undo (each undoes once)")


class TrackDeleted(BaseModel):
    version: int = Field(description="The item's new version")
    undo_token: int = Field(description=_UNDO)
