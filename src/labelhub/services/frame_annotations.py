"""The frame rules of an annotation save: ``?frame=k`` saves and reads on volumes and videos, and the slice every
mask, polygon or box of a volume must name.

A frame-scoped save replaces only the annotations of frame ``k`` (a volume's slice, a video's frame) and leaves
the others alone, under the same item-version guard as a full save (:func:`labelhub.services.annotations.plan_save`
applies these rules); each annotation it sends belongs to frame ``k`` (``frame`` null or ``k``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.errors import ValidationError

if TYPE_CHECKING:  # services.annotations imports this module
    from labelhub.services.annotations import AnnotationInput

_FRAMED = frozenset({ItemKind.VOLUME.value, ItemKind.VIDEO.value})


def check_frame(kind: str, frame_count: int | None, frame: int, item_id: int) -> None:
    """Raise a ValidationError on the field ``frame`` unless ``frame`` is a frame (slice) of the item."""
    if kind not in _FRAMED:
        raise ValidationError(
            f"item {item_id} is {'an' if kind[:1] in 'aeiou' else 'a'} {kind} item, which has no frames; ?frame= is "
            "for volume and video items",
            field="frame",
        )
    what = "slices" if kind == ItemKind.VOLUME.value else "frames"
    if not frame_count or not 0 <= frame < frame_count:
        have = f"{what} 0 to {frame_count - 1}" if frame_count else f"no {what}"
        raise ValidationError(f"frame {frame} is outside item {item_id} ({have})", field="frame")


def scope_inputs(
    annotations: list[AnnotationInput], frame: int | None, item: Any, item_id: int
) -> list[AnnotationInput]:
    """Return the annotations a save sends, checked against the item's frames (``item``: its facts, with
    ``kind`` and ``frame_count``).

    With ``frame``: each must be on that frame (or name none) and is stored on it. Without, on a volume: every
    annotation but a whole-volume ``class`` tag names a slice of the volume.
    """
    if frame is not None:
        check_frame(item.kind, item.frame_count, frame, item_id)
        for i, a in enumerate(annotations):
            if a.frame is not None and a.frame != frame:
                raise ValidationError(
                    f"annotations[{i}]: frame {a.frame} is not frame {frame}, the only one this save replaces",
                    field=f"annotations[{i}].frame",
                )
        return [a if a.frame == frame else replace(a, frame=frame) for a in annotations]
    if item.kind == ItemKind.VOLUME.value:
        n = item.frame_count or 0
        for i, a in enumerate(annotations):
            if a.kind is not AnnotationKind.CLASS and (a.frame is None or not 0 <= a.frame < n):
                raise ValidationError(
                    f"annotations[{i}]: a {a.kind.value} on a volume needs its slice in frame (0 to {n - 1}), "
                    f"got {a.frame}",
                    field=f"annotations[{i}].frame",
                )
    return annotations
