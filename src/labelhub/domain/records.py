"""Plain records that formats read and write: the shape of an item and its annotations outside the database.

Formats never touch the database. An importer yields :class:`ItemRecord` objects; the import service
validates them and writes them in one transaction. An exporter receives the same records back.
All geometry follows the convention in :mod:`labelhub.domain.geometry`.

Video, the convention every video format follows:

- A video item has ``kind=video``, ``frame_count`` and ``fps``. Its media is either one video file
  (``media_path``) or an image sequence (``frame_files``, in frame order; the first is also ``media_path``).
- A track is one object through the video: every box of it is an :class:`AnnotationRecord` with
  ``kind=track_box``, the track's ``label``, a 0-based ``frame`` and the same ``track_id`` (an integer unique
  within the item).
- ``attributes["keyframe"]`` is True for a box a person set, False for one the system propagated or
  interpolated (its confidence in ``score``); ``attributes["outside"]`` is True where the object is not
  visible (the box then keeps the last known place). Formats keep their own per-box attributes next to these.
- Boxes on video frames that belong to no track (COCO frame by frame, MOT detections) are ``kind=box`` with
  ``frame`` set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source


@dataclass(slots=True)
class AnnotationRecord:
    """One annotation as a format sees it; ``label`` is a class name, never a numeric id."""

    kind: AnnotationKind
    label: str | None
    geometry: dict[str, Any] = field(default_factory=dict)
    source: Source = Source.HUMAN
    state: AnnotationState = AnnotationState.ACCEPTED
    score: float | None = None
    model_version: str | None = None
    frame: int | None = None
    track_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # Where the record came from, for error messages: e.g. "annotations[12]" or "line 40".
    origin: str | None = None
    # On export: the username of who last saved it (the importer for imported labels); None for what a model or a
    # propagation made and nobody changed since, and for a deleted user.
    author: str | None = None


@dataclass(slots=True)
class ItemRecord:
    """One item as a format sees it.

    ``name`` is the item's name inside the project (a relative file name for media); ``media_path`` is the
    file to store, when there is one on disk. ``external_id`` keeps the id the source format used.
    """

    kind: ItemKind
    name: str
    media_path: Path | None = None
    width: int | None = None
    height: int | None = None
    frame_count: int | None = None
    fps: float | None = None
    text: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    split: str | None = None
    annotations: list[AnnotationRecord] = field(default_factory=list)
    origin: str | None = None
    # An image-sequence video: its frames in order (each stored; the item's meta lists their keys).
    frame_files: list[Path] = field(default_factory=list)


@dataclass(slots=True)
class Problem:
    """One thing wrong with an input: where (file, line or field) and what."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("file", self.file),
                ("line", self.line),
                ("field", self.field),
                ("message", self.message),
            )
            if v is not None
        }
