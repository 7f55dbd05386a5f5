"""One YOLO label line to one annotation: detection boxes and segmentation polygons, told apart by their length.

A line is ``class`` followed by numbers normalised to the image size (0..1):

- 5 numbers ``class cx cy w h``: a box (centre and size);
- 6 numbers ``class cx cy w h conf``: a box with a model confidence, read as a model proposal;
- an odd count of at least 7 ``class x1 y1 x2 y2 ... xn yn``: a polygon of n >= 3 points (Ultralytics
  segmentation; an oriented box ``class x1 y1 ... x4 y4`` has the same shape and is read as a 4-point polygon);
- anything else is refused: 4 or fewer numbers is incomplete, and an even count of 8 or more is either a polygon
  with a trailing confidence or one with a coordinate missing, which no rule can tell apart.

A polygon of more than :data:`MAX_POINTS` points is refused before its numbers are read. Every coordinate must
lie in 0..1, give or take one pixel (the domain's edge tolerance), so that pixel
coordinates and negative values are reported on their line instead of becoming boxes far outside the image.
Hand-written: Ultralytics' own checks run on whole label arrays with numpy and reject a file at a time, not a line.
"""

from __future__ import annotations

import math

from labelhub.domain.enums import AnnotationKind, AnnotationState, Source
from labelhub.domain.geometry import EDGE_TOLERANCE
from labelhub.domain.records import AnnotationRecord

# A polygon line of more points than this is refused before its numbers are read: contours traced from masks
# of 4K images stay well below it, and a line of a million numbers should end in an error, not a record.
MAX_POINTS = 100_000


class LineError(ValueError):
    """What is wrong with one label line; the caller adds the file and line number."""


def parse_line(tokens: list[str], names: list[str], width: int, height: int) -> AnnotationRecord:
    """Return the annotation that a split label line describes, or raise LineError saying what is wrong."""
    n = len(tokens)
    is_box = n in (5, 6)
    if not is_box and (n < 7 or n % 2 == 0):
        raise LineError(
            f"got {n} values; expected a box 'class cx cy w h' (5, or 6 with a confidence) or a polygon "
            "'class x1 y1 ... xn yn' (an odd count of at least 7)"
        )
    if n > 2 * MAX_POINTS + 1:
        raise LineError(f"a polygon of {(n - 1) // 2} points is more than the {MAX_POINTS} labelhub reads")
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        raise LineError(f"not a number in {' '.join(tokens)!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise LineError(f"non-finite number in {' '.join(tokens)!r}")
    cls_f = values[0]
    if not cls_f.is_integer() or not 0 <= cls_f < len(names):
        raise LineError(f"class id {tokens[0]} is not one of the {len(names)} names (0..{len(names) - 1})")
    label = names[int(cls_f)]
    coords = values[1:5] if is_box else values[1:]
    _check_range(coords, width, height)
    if is_box:
        return _box(label, coords, values[5:], width, height)
    points = [v * (width if i % 2 == 0 else height) for i, v in enumerate(coords)]
    return AnnotationRecord(kind=AnnotationKind.POLYGON, label=label, geometry={"points": points})


def _check_range(coords: list[float], width: int, height: int) -> None:
    for i, v in enumerate(coords):
        tol = EDGE_TOLERANCE / (width if i % 2 == 0 else height)
        if v < -tol:
            raise LineError(f"negative coordinate {v:g} (value {i + 2} of the line)")
        if v > 1 + tol:
            raise LineError(
                f"coordinate {v:g} (value {i + 2} of the line) is above 1: YOLO coordinates are normalised to 0..1"
            )


def _box(label: str, coords: list[float], conf: list[float], width: int, height: int) -> AnnotationRecord:
    cx, cy, w, h = coords
    if w <= 0 or h <= 0:
        raise LineError(f"box width and height must be > 0, got {w:g} {h:g}")
    x1, y1, x2, y2 = (cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height
    if min(x1, y1) < -EDGE_TOLERANCE or x2 > width + EDGE_TOLERANCE or y2 > height + EDGE_TOLERANCE:
        raise LineError(f"box {cx:g} {cy:g} {w:g} {h:g} extends outside the image")
    rec = AnnotationRecord(kind=AnnotationKind.BOX, label=label, geometry={"bbox": [x1, y1, x2, y2]})
    if conf:
        if not 0 <= conf[0] <= 1:
            raise LineError(f"confidence {conf[0]:g} is not in 0..1")
        rec.score, rec.source, rec.state = conf[0], Source.MODEL, AnnotationState.PROPOSED
    return rec
