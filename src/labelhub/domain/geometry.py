"""Geometry per annotation kind, validated at the boundary of the domain.

Convention, everywhere inside labelhub: absolute pixel coordinates with the origin at the top-left corner,
boxes as ``x1, y1, x2, y2`` floats (``x2 > x1``, ``y2 > y1``), polygons as flat ``[x, y, x, y, ...]`` lists,
keypoints as ``[x, y, v, ...]`` with COCO visibility ``v`` in {0, 1, 2}, masks as COCO-style run-length
encodings in column-major order (uncompressed counts, or COCO's compressed string kept as it came once it reads
and covers the mask), text spans as ``[start, end)`` character offsets, and frames
counted from 0. Formats convert to this at their boundary and nowhere else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.rle import MAX_COUNT, decode_counts
from labelhub.errors import ValidationError

Geometry = dict[str, Any]

# How far (pixels) a coordinate may sit outside the image before we call it an error: exporters round.
EDGE_TOLERANCE = 1.0


def _numbers(value: Any, field: str) -> list[float]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValidationError(f"{field} must be a list of numbers", field=field)
    out: list[float] = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValidationError(f"{field}[{i}] must be a number, got {v!r}", field=f"{field}[{i}]")
        f = float(v)
        if not math.isfinite(f):
            raise ValidationError(f"{field}[{i}] is not finite ({v!r})", field=f"{field}[{i}]")
        out.append(f)
    return out


def _check_inside(xs: Sequence[float], ys: Sequence[float], width: int | None, height: int | None, field: str) -> None:
    lo = -EDGE_TOLERANCE
    if any(x < lo for x in xs) or any(y < lo for y in ys):
        raise ValidationError(f"{field} has negative coordinates", field=field)
    if width is not None and any(x > width + EDGE_TOLERANCE for x in xs):
        raise ValidationError(f"{field} extends past the image width {width}", field=field)
    if height is not None and any(y > height + EDGE_TOLERANCE for y in ys):
        raise ValidationError(f"{field} extends past the image height {height}", field=field)


def validate_box(bbox: Any, width: int | None = None, height: int | None = None, field: str = "bbox") -> list[float]:
    """Return ``[x1, y1, x2, y2]`` as floats, or raise naming ``field`` when it is not a box in the image."""
    if type(bbox) is list and len(bbox) == 4:
        # The common case (importers and the editor send four floats), checked in one expression; anything
        # else, NaN and infinities included, fails it and takes the general path, which names the fault.
        x1, y1, x2, y2 = bbox
        lo = -EDGE_TOLERANCE
        if (
            type(x1) is float
            and type(y1) is float
            and type(x2) is float
            and type(y2) is float
            and lo <= x1 < x2
            and lo <= y1 < y2
            and (x2 <= width + EDGE_TOLERANCE if width is not None else math.isfinite(x2))
            and (y2 <= height + EDGE_TOLERANCE if height is not None else math.isfinite(y2))
        ):
            return [x1, y1, x2, y2]
    nums = _numbers(bbox, field)
    if len(nums) != 4:
        raise ValidationError(f"{field} needs 4 numbers x1,y1,x2,y2, got {len(nums)}", field=field)
    x1, y1, x2, y2 = nums
    if x2 <= x1 or y2 <= y1:
        raise ValidationError(f"{field} is empty or inverted: {nums}", field=field)
    _check_inside((x1, x2), (y1, y2), width, height, field)
    return nums


def outside_box_in_image(geometry: Mapping[str, Any] | None, width: int | None, height: int | None) -> Any:
    """Return a track's *outside* box clipped into the image, or ``geometry`` as it is when that cannot be done.

    An outside frame's box is only where the object was last seen: CVAT copies the last shape there, a tracker's
    last prediction may run past the edge. Such a box is clipped rather than refused; one wholly off the image,
    or not four numbers, is left for :func:`validate_geometry` to name.
    """
    bbox = (geometry or {}).get("bbox")
    if width is None or height is None or not isinstance(bbox, list) or len(bbox) != 4:
        return geometry
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in bbox):
        return geometry
    x1, y1 = min(max(float(bbox[0]), 0.0), width), min(max(float(bbox[1]), 0.0), height)
    x2, y2 = min(max(float(bbox[2]), 0.0), width), min(max(float(bbox[3]), 0.0), height)
    if x2 <= x1 or y2 <= y1:
        return geometry
    return {**geometry, "bbox": [x1, y1, x2, y2]} if geometry else geometry


def validate_geometry(
    kind: AnnotationKind,
    geometry: Mapping[str, Any] | None,
    *,
    width: int | None = None,
    height: int | None = None,
    text_length: int | None = None,
) -> Geometry:
    """Return a normalised copy of ``geometry`` for ``kind``, or raise :class:`ValidationError` naming the field."""
    g: Mapping[str, Any] = geometry or {}
    if kind in (AnnotationKind.BOX, AnnotationKind.TRACK_BOX):
        return {"bbox": validate_box(g.get("bbox"), width, height, "geometry.bbox")}
    if kind is AnnotationKind.POLYGON:
        pts = _numbers(g.get("points"), "geometry.points")
        if len(pts) < 6 or len(pts) % 2:
            raise ValidationError(
                "geometry.points needs at least 3 x,y pairs (an even count of at least 6 numbers)",
                field="geometry.points",
            )
        _check_inside(pts[0::2], pts[1::2], width, height, "geometry.points")
        return {"points": pts}
    if kind is AnnotationKind.KEYPOINTS:
        pts = _numbers(g.get("points"), "geometry.points")
        if len(pts) % 3 or not pts:
            raise ValidationError("geometry.points must be x,y,v triples", field="geometry.points")
        if any(v not in (0.0, 1.0, 2.0) for v in pts[2::3]):
            raise ValidationError("keypoint visibility must be 0, 1 or 2", field="geometry.points")
        _check_inside(pts[0::3], pts[1::3], width, height, "geometry.points")
        return {"points": pts}
    if kind is AnnotationKind.MASK:
        return _validate_rle(g, width, height)
    if kind is AnnotationKind.SPAN:
        return _validate_span(g, text_length)
    if kind is AnnotationKind.CLASS:
        if g:
            raise ValidationError("a class annotation has no geometry", field="geometry")
        return {}
    raise ValidationError(f"unknown annotation kind {kind!r}", field="kind")  # pragma: no cover


def _validate_rle(g: Mapping[str, Any], width: int | None, height: int | None) -> Geometry:
    size = g.get("size")
    counts = g.get("counts")
    if not isinstance(size, Sequence) or len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValidationError("geometry.size must be [height, width] positive integers", field="geometry.size")
    h, w = int(size[0]), int(size[1])
    if (height is not None and h != height) or (width is not None and w != width):
        raise ValidationError(f"mask size {h}x{w} does not match the image {height}x{width}", field="geometry.size")
    if isinstance(counts, str):
        # Compressed COCO RLE string: stored as it came (short), once its runs are read and cover the mask.
        runs = decode_counts(counts)
        if runs is None:
            raise ValidationError("geometry.counts is not a valid compressed COCO RLE string", field="geometry.counts")
        _check_total(runs, h, w)
        return {"size": [h, w], "counts": counts}
    if not isinstance(counts, Sequence) or not all(isinstance(c, int) and c >= 0 for c in counts):
        raise ValidationError("geometry.counts must be non-negative integers", field="geometry.counts")
    _check_total(counts, h, w)
    return {"size": [h, w], "counts": [int(c) for c in counts]}


def _check_total(counts: Sequence[int], h: int, w: int) -> None:
    if counts and max(counts) > MAX_COUNT:
        raise ValidationError(
            f"geometry.counts has a run of {max(counts)} pixels, more than COCO RLE holds ({MAX_COUNT})",
            field="geometry.counts",
        )
    if sum(counts) != h * w:
        raise ValidationError(
            f"geometry.counts sums to {sum(counts)}, expected height*width = {h * w}", field="geometry.counts"
        )


def _validate_span(g: Mapping[str, Any], text_length: int | None) -> Geometry:
    start, end = g.get("start"), g.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise ValidationError("geometry.start and geometry.end must be integers", field="geometry.start")
    if start < 0 or end <= start:
        raise ValidationError(f"span [{start}, {end}) is empty or negative", field="geometry.end")
    if text_length is not None and end > text_length:
        raise ValidationError(f"span end {end} is past the text length {text_length}", field="geometry.end")
    return {"start": start, "end": end}


def box_area(bbox: Sequence[float]) -> float:
    """Return the area of an ``x1, y1, x2, y2`` box."""
    return max(0.0, bbox[2] - bbox[0]) * max(0.0, bbox[3] - bbox[1])
