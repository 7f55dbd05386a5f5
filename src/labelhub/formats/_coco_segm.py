"""COCO segmentation and keypoints at the format boundary: checking what a file holds, and measuring it.

A COCO annotation's ``segmentation`` is either a list of polygons (flat ``[x, y, ...]`` lists, one per part
of the object) or a run-length encoded mask ``{"size": [h, w], "counts": ...}`` whose counts are a list of
ints (uncompressed) or COCO's compressed string. Inside labelhub a polygon is ``{"points": [x, y, ...]}``
and a mask is an uncompressed RLE (:mod:`labelhub.domain.geometry`); this module converts between the two.

pycocotools does the mask work (compressing, area, bounding box), but only on RLEs checked here first: its C
reader of compressed strings has no bounds checks and gives no access to the counts, so
:func:`~labelhub.domain.rle.decode_counts` is a hand-written reader of that string (the inverse of
``rleToString`` in pycocotools' ``maskApi.c``) that refuses malformed input. Polygon areas use the shoelace
formula, which is what COCO's own ``area`` values are for polygons (pycocotools would rasterise, and differ
by a few pixels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul
from typing import Any

from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.geometry import EDGE_TOLERANCE
from labelhub.domain.records import AnnotationRecord
from labelhub.domain.rle import decode_counts as decode_counts  # _coco_objects reads it from here

# type() not isinstance: booleans are ints but not coordinates.
_NUMBER_TYPES = frozenset({int, float})
_POLYGON, _MASK, _KEYPOINTS = AnnotationKind.POLYGON, AnnotationKind.MASK, AnnotationKind.KEYPOINTS
# pycocotools keeps run lengths as uint32.
_MAX_COUNT = 2**32 - 1


class SegmentationError(Exception):
    """A segmentation, mask or keypoint list that cannot be read; ``where`` is the field below the annotation."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def compress(counts: list[int], height: int, width: int) -> str:
    """Return COCO's compressed string for checked uncompressed ``counts`` (pycocotools encodes it)."""
    rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    return str(rle["counts"].decode("ascii"))


def _finite(values: list[Any]) -> bool:
    try:
        return all(map(math.isfinite, values))
    except OverflowError:  # an int too large for a float
        return False


def read_polygons(seg: list[Any], width: int | None, height: int | None) -> list[list[Any]]:
    """Return the parts of a polygon segmentation as they are (number lists), or raise naming the bad part."""
    parts: list[list[Any]] = []
    lo = -EDGE_TOLERANCE
    for k, part in enumerate(seg):
        where = f"segmentation[{k}]"
        if type(part) is not list or not _NUMBER_TYPES.issuperset(map(type, part)):
            raise SegmentationError(f"a polygon must be a list of numbers [x, y, x, y, ...]: {part!r:.80}", where)
        if len(part) % 2:
            raise SegmentationError(f"a polygon needs x, y pairs, got an odd count of {len(part)} numbers", where)
        if len(part) < 6:
            raise SegmentationError(f"a polygon needs at least 3 points, got {len(part) // 2}", where)
        xs, ys = part[0::2], part[1::2]
        if not _finite(part):
            raise SegmentationError("a polygon has a coordinate that is not a finite number", where)
        if min(xs) < lo or min(ys) < lo:
            raise SegmentationError("a polygon has negative coordinates", where)
        if width is not None and max(xs) > width + EDGE_TOLERANCE:
            raise SegmentationError(f"a polygon extends past the image width {width}", where)
        if height is not None and max(ys) > height + EDGE_TOLERANCE:
            raise SegmentationError(f"a polygon extends past the image height {height}", where)
        parts.append(part)
    return parts


def read_rle(seg: dict[str, Any], width: int | None, height: int | None) -> tuple[dict[str, Any], bool]:
    """Return ``({"size": [h, w], "counts": [...]}, was_compressed)`` for an RLE mask, or raise naming the field.

    The image size, when known, must be the mask's; the counts must cover exactly ``h * w`` pixels.
    """
    size = seg.get("size")
    if type(size) is not list or len(size) != 2 or not all(type(s) is int and s > 0 for s in size):
        raise SegmentationError(
            f"an RLE mask needs 'size': [height, width] positive integers, got {size!r}", "segmentation.size"
        )
    h, w = size
    if (height is not None and h != height) or (width is not None and w != width):
        msg = f"the mask size {h}x{w} (height x width) does not match the image {height}x{width}"
        raise SegmentationError(msg, "segmentation.size")
    raw = seg.get("counts")
    compressed = type(raw) is str
    counts = decode_counts(raw) if type(raw) is str else raw
    if compressed and counts is None:
        raise SegmentationError("the compressed RLE 'counts' string is malformed", "segmentation.counts")
    if type(counts) is not list or not all(type(c) is int and c >= 0 for c in counts):
        raise SegmentationError("RLE 'counts' must be non-negative integers or a COCO string", "segmentation.counts")
    if counts and max(counts) > _MAX_COUNT:
        msg = f"an RLE run of {max(counts)} pixels is longer than pycocotools can hold ({_MAX_COUNT})"
        raise SegmentationError(msg, "segmentation.counts")
    total = sum(counts)
    if total != h * w:
        msg = f"RLE 'counts' sum to {total}, but a {h}x{w} mask has {h * w} pixels"
        raise SegmentationError(msg, "segmentation.counts")
    return {"size": [h, w], "counts": counts}, compressed


def read_keypoints(kps: Any, expected: int | None, width: int | None, height: int | None) -> list[Any]:
    """Return COCO ``keypoints`` (``x, y, v`` triples) as they are, or raise naming the field."""
    if type(kps) is not list or not kps or len(kps) % 3 or not _NUMBER_TYPES.issuperset(map(type, kps)):
        raise SegmentationError("keypoints must be a non-empty list of x, y, v number triples", "keypoints")
    if expected is not None and len(kps) != 3 * expected:
        msg = f"keypoints has {len(kps) // 3} points but the category names {expected}"
        raise SegmentationError(msg, "keypoints")
    if any(v not in (0, 1, 2) for v in kps[2::3]):
        raise SegmentationError("keypoint visibility must be 0, 1 or 2", "keypoints")
    xs, ys = kps[0::3], kps[1::3]
    if not _finite(kps) or min(xs) < -EDGE_TOLERANCE or min(ys) < -EDGE_TOLERANCE:
        raise SegmentationError("keypoints must be finite and not negative", "keypoints")
    if (width is not None and max(xs) > width + EDGE_TOLERANCE) or (
        height is not None and max(ys) > height + EDGE_TOLERANCE
    ):
        raise SegmentationError(f"keypoints lie outside the image {width}x{height}", "keypoints")
    return kps


def polygons_area(parts: Sequence[list[float]]) -> float:
    """Return the summed shoelace area of polygon parts, as COCO computes ``area`` for polygons."""
    total = 0.0
    for pts in parts:
        xs, ys = pts[0::2], pts[1::2]
        # map(mul) over rotated copies: runs once per polygon of a large file, so no per-point Python loop.
        twice = sum(map(mul, xs, ys[1:] + ys[:1])) - sum(map(mul, xs[1:] + xs[:1], ys))
        total += abs(twice) / 2.0
    return total


def polygons_bbox(parts: Sequence[Sequence[float]]) -> list[float]:
    """Return the ``[x, y, width, height]`` that encloses every part."""
    xs = [v for pts in parts for v in pts[0::2]]
    ys = [v for pts in parts for v in pts[1::2]]
    x1, y1 = min(xs), min(ys)
    return [float(x1), float(y1), float(max(xs) - x1), float(max(ys) - y1)]


def mask_area_bbox(counts: list[int], height: int, width: int) -> tuple[float, list[float]]:
    """Return the pixel area and ``[x, y, width, height]`` of a checked uncompressed mask (pycocotools)."""
    rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    area = float(mask_utils.area(rle))
    bbox = [float(v) for v in mask_utils.toBbox(rle)]
    return area, bbox


def read_shapes(
    ann: dict[str, Any],
    label: str,
    attributes: dict[str, Any],
    origin: str,
    keypoint_count: int | None,
    width: int | None,
    height: int | None,
) -> tuple[list[AnnotationRecord], float | None]:
    """Return the polygon, mask and keypoint records of one COCO annotation, and its segmentation's area.

    Each polygon part becomes one ``polygon``; an RLE becomes one ``mask`` (``attributes["coco_rle"]`` notes a
    compressed source, so an export can write it back the same way); keypoints with at least one labelled
    point become one ``keypoints`` record. All carry ``attributes`` (the COCO id), so an export can regroup them.
    The area is None when there is no segmentation. Raises :class:`SegmentationError` naming the field.
    """
    out: list[AnnotationRecord] = []
    area: float | None = None
    seg = ann.get("segmentation")
    if type(seg) is list:
        if seg:
            parts = read_polygons(seg, width, height)
            for part in parts:
                geometry = {"points": part}
                out.append(AnnotationRecord(_POLYGON, label, geometry, attributes=dict(attributes), origin=origin))
            area = polygons_area(parts)
    elif type(seg) is dict:
        rle, compressed = read_rle(seg, width, height)
        attrs = {**attributes, "coco_rle": "compressed"} if compressed else dict(attributes)
        out.append(AnnotationRecord(_MASK, label, rle, attributes=attrs, origin=origin))
        area = mask_area_bbox(rle["counts"], rle["size"][0], rle["size"][1])[0]
    elif seg is not None:
        raise SegmentationError("segmentation must be a list of polygons or an RLE object", "segmentation")
    kps = ann.get("keypoints")
    if kps is not None:
        points = read_keypoints(kps, keypoint_count, width, height)
        if any(v > 0 for v in points[2::3]):  # all-zero keypoints are COCO's "none labelled"
            geometry = {"points": points}
            out.append(AnnotationRecord(_KEYPOINTS, label, geometry, attributes=dict(attributes), origin=origin))
    return out, area


def same_area(a: float, b: float) -> bool:
    """Return True when two areas agree up to float rounding."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


def keep_area(box: AnnotationRecord, ann: dict[str, Any], computed: float) -> None:
    """Keep the file's ``area`` on the box when it differs from the one the exporter would compute.

    Where they differ (a crowd mask, or a writer with its own rule), the box keeps both in
    ``attributes["coco_area"]``, and the export writes the file's area back as long as the geometry still
    gives the same computed one; edited geometry gets a fresh area.
    """
    area: Any = ann.get("area")
    try:
        differs = type(area) in _NUMBER_TYPES and math.isfinite(area) and not same_area(area, computed)
    except OverflowError:  # an int too large for a float is no area worth keeping
        differs = False
    if differs:
        box.attributes["coco_area"] = {"area": area, "computed": computed}
