"""Ultralytics pose datasets: ``kpt_shape`` (and ``flip_idx``) in ``data.yaml``, and one pose line to annotations.

A ``data.yaml`` with ``kpt_shape: [K, D]`` (K keypoints, D = 2 for ``x y`` or 3 for ``x y v``) makes every label
line of the dataset ``class cx cy w h`` followed by K points of D values, all normalised to 0..1; a line of any
other length is refused on its line, as Ultralytics refuses the file. Visibility is COCO's: 0 absent, 1 occluded,
2 visible; with D = 2 a point at (0, 0) is absent and any other point visible.

Each line becomes what the COCO importer makes of an annotation with a ``bbox`` and ``keypoints``: one ``box``
and one ``keypoints`` record (``{"points": [x, y, v, ...]}`` in pixels, absent points ``0, 0, 0``), both
carrying ``attributes["coco_group"]`` (the line number) so the COCO and YOLO exporters put them back together.
A line whose points are all absent gives the box alone, as COCO's all-zero keypoints do. Coordinates follow the
box rule of :mod:`labelhub.formats._yolo_lines` (0..1, give or take one pixel); that holds for absent points
too, as Ultralytics checks every value of the line.

YOLO names no points: the importer's ``schema_meta`` carries ``{"yolo": {"kpt_shape": ..., "classes": ...}}`` and
:func:`labelhub.services.schema_keypoints.adopt_file_skeletons` declares ``kp1 .. kpK`` (no edges) on the
dataset's classes that declare no keypoints yet; a class that already declares K names keeps them.
Hand-written: Ultralytics checks whole label arrays with numpy and rejects a file at a time, not a line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.geometry import EDGE_TOLERANCE
from labelhub.domain.keypoints import MAX_KEYPOINTS
from labelhub.domain.records import AnnotationRecord
from labelhub.errors import FormatError
from labelhub.formats._yolo_lines import LineError, parse_line


@dataclass(frozen=True, slots=True)
class PoseShape:
    """A dataset's ``kpt_shape`` (``points`` keypoints of ``dims`` values) and its ``flip_idx`` when given."""

    points: int
    dims: int
    flip_idx: tuple[int, ...] | None = None

    @property
    def values(self) -> int:
        """The number of values of a pose line, class id included."""
        return 5 + self.points * self.dims


def pose_shape(data: dict[Any, Any], path: Path) -> PoseShape | None:
    """Return the ``kpt_shape`` and ``flip_idx`` a data.yaml declares (None without ``kpt_shape``); raise
    FormatError naming the field when they are malformed."""
    raw = data.get("kpt_shape")
    if raw is None:
        return None
    ok = isinstance(raw, list) and len(raw) == 2 and all(type(v) is int for v in raw)
    if not ok or not 1 <= raw[0] <= MAX_KEYPOINTS or raw[1] not in (2, 3):
        msg = f"kpt_shape must be [K, 2] or [K, 3] with 1 <= K <= {MAX_KEYPOINTS} keypoints, got {raw!r}"
        raise FormatError(msg, file=str(path), field="kpt_shape")
    k, dims = raw
    flip = data.get("flip_idx")
    if flip is None:
        return PoseShape(k, dims)
    if not isinstance(flip, list) or not all(type(v) is int for v in flip) or sorted(flip) != list(range(k)):
        msg = f"flip_idx must list each keypoint index 0..{k - 1} once (kpt_shape [{k}, {dims}]), got {flip!r}"
        raise FormatError(msg, file=str(path), field="flip_idx")
    return PoseShape(k, dims, tuple(flip))


def pose_meta(shape: PoseShape, classes: list[str]) -> dict[str, Any]:
    """The ``schema_meta`` of a pose dataset: its kpt_shape, flip_idx and the classes the keypoints belong to."""
    meta: dict[str, Any] = {"kpt_shape": [shape.points, shape.dims], "classes": list(classes)}
    if shape.flip_idx is not None:
        meta["flip_idx"] = list(shape.flip_idx)
    return {"yolo": meta}


def parse_pose_line(
    tokens: list[str], names: list[str], width: int, height: int, shape: PoseShape, group: int
) -> list[AnnotationRecord]:
    """Return the box and (unless every point is absent) the keypoints of one pose line, or raise LineError."""
    n = len(tokens)
    if n != shape.values:
        layout = "x y v" if shape.dims == 3 else "x y"
        raise LineError(
            f"got {n} values; kpt_shape [{shape.points}, {shape.dims}] makes a line 'class cx cy w h' followed by "
            f"{shape.points} keypoints '{layout}': {shape.values} values"
        )
    box = parse_line(tokens[:5], names, width, height)  # the class id, the box and its range checks
    try:
        values = [float(t) for t in tokens[5:]]
    except ValueError:
        raise LineError(f"not a number in {' '.join(tokens)!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise LineError(f"non-finite number in {' '.join(tokens)!r}")
    points: list[float] = []
    for j in range(shape.points):
        at = j * shape.dims
        x, y = values[at], values[at + 1]
        for i, (v, size) in enumerate(((x, width), (y, height))):
            tol = EDGE_TOLERANCE / size
            if not -tol <= v <= 1 + tol:
                raise LineError(
                    f"keypoint {j + 1} coordinate {v:g} (value {at + i + 6} of the line) is not in 0..1: "
                    "YOLO coordinates are normalised to the image size"
                )
        if shape.dims == 3:
            vis = values[at + 2]
            if vis not in (0.0, 1.0, 2.0):
                raise LineError(
                    f"keypoint {j + 1} visibility {tokens[5 + at + 2]} (value {at + 8} of the line) is not "
                    "0 (absent), 1 (occluded) or 2 (visible)"
                )
        else:
            vis = 0.0 if x == 0 and y == 0 else 2.0
        points += [0.0, 0.0, 0] if vis == 0 else [x * width, y * height, int(vis)]
    box.attributes["coco_group"] = group
    if not any(points[2::3]):
        return [box]
    kps = AnnotationRecord(
        kind=AnnotationKind.KEYPOINTS, label=box.label, geometry={"points": points}, attributes={"coco_group": group}
    )
    return [box, kps]
