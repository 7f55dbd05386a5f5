"""Tracks as plain domain values: a label and one :class:`FrameBox` per frame, plus the keyframes a person set.

A frame's box is in one of three states (:class:`BoxState`):

- ``keyframe``: a person drew it; the propagation never changes it.
- ``propagated``: the system placed it (tracker, or interpolation), with a ``confidence`` in [0, 1].
- ``outside``: the object is not visible in that frame. A person can say so (an outside keyframe, ``source``
  human) or the system decides it (the object left the image). The box then keeps the last known place, as
  the video convention of :mod:`labelhub.domain.records` asks, or is None when no place is known.

``needs_review`` marks frames whose confidence fell below the review threshold: a person should look at them.
Coordinates follow :mod:`labelhub.domain.geometry` (absolute pixel ``x1, y1, x2, y2`` floats, frames from 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from labelhub.domain.enums import AnnotationKind, Source
from labelhub.domain.geometry import validate_box
from labelhub.domain.records import AnnotationRecord
from labelhub.errors import ValidationError
from labelhub.tracking._boxes import Box, as_box

__all__ = ["Box", "BoxState", "FrameBox", "Keyframe", "Track", "check_keyframes"]


class BoxState(StrEnum):
    """Where a frame's box came from, or that the object is not visible there."""

    KEYFRAME = "keyframe"
    PROPAGATED = "propagated"
    OUTSIDE = "outside"


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A person's word on one frame: the object's box, or ``box=None`` for "not visible here" (outside)."""

    frame: int
    box: Box | None

    @property
    def outside(self) -> bool:
        """True when the person marked the object as not visible on this frame."""
        return self.box is None


@dataclass(frozen=True, slots=True)
class FrameBox:
    """The object on one frame: state, box (None only when outside with no known place), confidence."""

    frame: int
    state: BoxState
    box: Box | None
    confidence: float
    needs_review: bool = False
    source: Source = Source.MODEL

    @property
    def keyframe(self) -> bool:
        """True when a person set this frame (a box, or outside)."""
        return self.source is Source.HUMAN

    @property
    def visible(self) -> bool:
        """True when the object has a box on this frame (keyframe or propagated)."""
        return self.state is not BoxState.OUTSIDE


@dataclass(frozen=True, slots=True)
class Track:
    """One object through a video: its label and exactly one :class:`FrameBox` per frame, in frame order."""

    label: str
    boxes: tuple[FrameBox, ...]

    def __post_init__(self) -> None:
        for i, fb in enumerate(self.boxes):
            if fb.frame != i:
                raise ValidationError(f"boxes[{i}] is for frame {fb.frame}, expected {i}", field=f"boxes[{i}].frame")

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def keyframes(self) -> tuple[Keyframe, ...]:
        """Return the frames a person set, in frame order."""
        return tuple(
            Keyframe(fb.frame, None if fb.state is BoxState.OUTSIDE else fb.box) for fb in self.boxes if fb.keyframe
        )

    def review_frames(self) -> list[int]:
        """Return the frames marked ``needs_review``, in frame order."""
        return [fb.frame for fb in self.boxes if fb.needs_review]

    def to_records(self, track_id: int) -> list[AnnotationRecord]:
        """Return the track as ``track_box`` records in the video convention of :mod:`labelhub.domain.records`.

        Outside frames with no known place are left out: a record needs a box.
        """
        out: list[AnnotationRecord] = []
        for fb in self.boxes:
            if fb.box is None:
                continue
            out.append(
                AnnotationRecord(
                    kind=AnnotationKind.TRACK_BOX,
                    label=self.label,
                    geometry={"bbox": list(fb.box)},
                    source=fb.source,
                    score=None if fb.keyframe else round(fb.confidence, 4),
                    frame=fb.frame,
                    track_id=track_id,
                    attributes={
                        "keyframe": fb.keyframe,
                        "outside": fb.state is BoxState.OUTSIDE,
                        "needs_review": fb.needs_review,
                    },
                )
            )
        return out


def check_keyframes(
    keyframes: Iterable[Keyframe], n_frames: int, width: int, height: int, field: str = "keyframes"
) -> list[Keyframe]:
    """Return the keyframes sorted by frame, boxes as floats; raise ValidationError naming the field at fault.

    Each frame must be in ``[0, n_frames)`` and appear once; each box must be a non-empty box inside the image
    (with the one-pixel tolerance of :func:`labelhub.domain.geometry.validate_box`). At least one keyframe must
    show the object.
    """
    if n_frames <= 0:
        raise ValidationError("the video has no frames", field="frames")
    seen: dict[int, Keyframe] = {}
    for i, kf in enumerate(keyframes):
        where = f"{field}[{i}]"
        if not isinstance(kf, Keyframe):
            raise ValidationError(f"{where} is not a Keyframe: {kf!r:.80}", field=where)
        if isinstance(kf.frame, bool) or not isinstance(kf.frame, int) or not 0 <= kf.frame < n_frames:
            raise ValidationError(
                f"{where}.frame must be a frame number in [0, {n_frames}), got {kf.frame!r}", field=f"{where}.frame"
            )
        if kf.frame in seen:
            raise ValidationError(f"{where}.frame: frame {kf.frame} has two keyframes", field=f"{where}.frame")
        box = None if kf.box is None else as_box(validate_box(list(kf.box), width, height, f"{where}.box"))
        seen[kf.frame] = Keyframe(kf.frame, box)
    if not any(kf.box is not None for kf in seen.values()):
        raise ValidationError("at least one keyframe must have a box", field=field)
    return [seen[f] for f in sorted(seen)]
