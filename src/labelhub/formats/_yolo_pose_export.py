"""The YOLO exporter's pose lines: ``class cx cy w h`` followed by K ``x y v`` keypoints, and the ``kpt_shape``.

A pose dataset has one ``kpt_shape`` for all its classes, and Ultralytics wants every line of it to carry K
keypoints. So:

- K comes from the schema: the classes that declare keypoints (``options.extra["schema_keypoints"]``) must all
  declare the same number. ``task=pose`` with classes of different counts is refused naming them, and so is
  ``task=pose`` when no class declares any; ``task=auto`` writes pose lines when the declared counts agree and
  detection lines (keypoints left out) otherwise.
- A keypoints annotation with another number of points than K is refused naming its item and class.
- Every box goes out as a pose line (a polygon whose object has no box as its bounding box, as for ``detect``);
  its keypoints are those of the keypoints annotation of its object, else K absent points ``0 0 0`` (how
  Ultralytics reads a class without keypoints). A keypoints annotation and a box are one object when they
  share ``attributes["coco_id"]`` or ``coco_group`` (the COCO and YOLO importers' link), or, when either has
  none, they have the same label and the visible points lie inside the box. A keypoints annotation of no box
  gets the bounding box of its labelled (v > 0) points, widened to one pixel where it is thinner; one with no
  labelled point is left out.
- Points are normalised and clipped to 0..1 with six decimals, absent points written ``0 0 0``; ``data.yaml``
  gets ``kpt_shape: [K, 3]``, and ``flip_idx`` only when a YOLO import of the project gave one for K points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labelhub.domain.geometry import EDGE_TOLERANCE
from labelhub.errors import FormatError, ValidationError
from labelhub.formats._keypoint_schema import schema_keypoints

# label, the object id shared with the other shapes of its object, box bounds or points, position in the item
Shape = tuple[str, object, list[float], int]


def pose_points(extra: Mapping[str, Any], task: str) -> int | None:
    """Return K for a pose export (None: not a pose export), or raise naming the classes that disagree."""
    counts = {name: len(sk.keypoints) for name, sk in schema_keypoints(extra).items()}
    if task not in ("pose", "auto"):
        return None
    if not counts:
        if task == "auto":
            return None
        raise ValidationError(
            "task=pose needs a class that declares its keypoints (the schema's keypoints), which give kpt_shape",
            field="task",
        )
    if len(set(counts.values())) > 1:
        if task == "auto":
            return None
        shown = ", ".join(f"{name!r} {n}" for name, n in counts.items())
        raise ValidationError(
            f"a YOLO pose dataset has one kpt_shape, but the classes declare different numbers of keypoints: "
            f"{shown}; make them declare the same points, or export with task=detect",
            field="task",
        )
    return next(iter(counts.values()))


def flip_idx(extra: Mapping[str, Any], k: int) -> list[int] | None:
    """Return the ``flip_idx`` a YOLO import kept in the format metadata, when it is one for ``k`` points."""
    meta = extra.get("format_meta")
    yolo = meta.get("yolo") if isinstance(meta, dict) else None
    flip = yolo.get("flip_idx") if isinstance(yolo, dict) else None
    if isinstance(flip, list) and all(type(v) is int for v in flip) and sorted(flip) == list(range(k)):
        return list(flip)
    return None


def _clip(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def _visible_bounds(points: list[float]) -> list[float] | None:
    xs = [x for x, v in zip(points[0::3], points[2::3], strict=True) if v > 0]
    ys = [y for y, v in zip(points[1::3], points[2::3], strict=True) if v > 0]
    return [min(xs), min(ys), max(xs), max(ys)] if xs else None


def _inside(inner: list[float], outer: list[float]) -> bool:
    return all(inner[i] >= outer[i] - EDGE_TOLERANCE for i in (0, 1)) and all(
        inner[i] <= outer[i] + EDGE_TOLERANCE for i in (2, 3)
    )


def _partner(kp: Shape, bounds: list[float] | None, boxes: list[Shape], taken: set[int]) -> int | None:
    """Return the index of the box that stands for the keypoints' object, or None."""
    label, oid = kp[0], kp[1]
    if oid is not None:
        for i, (b_label, b_oid, _, _) in enumerate(boxes):
            if i not in taken and b_label == label and b_oid == oid:
                return i
    for i, (b_label, b_oid, b_bounds, _) in enumerate(boxes):
        if i in taken or b_label != label or (oid is not None and b_oid is not None):
            continue
        if bounds is not None and _inside(bounds, b_bounds):
            return i
    return None


def pose_lines(
    boxes: list[Shape],
    keypoints: list[Shape],
    size: tuple[int, int],
    k: int,
    class_id: Callable[[str], int],
    item: str,
) -> tuple[list[str], set[int]]:
    """Return an item's pose lines and the positions of the annotations they hold.

    ``boxes`` are the item's detection objects (boxes, and polygon outlines without a box) as bounds,
    ``keypoints`` its keypoints annotations with their points.
    """
    width, height = size
    taken: dict[int, Shape] = {}
    alone: list[tuple[Shape, list[float]]] = []
    for kp in keypoints:
        label, _oid, pts, _at = kp
        if len(pts) != 3 * k:
            raise FormatError(
                f"keypoints of class {label!r} on item {item!r} have {len(pts) // 3} points, but this YOLO pose "
                f"dataset's kpt_shape is [{k}, 3] (from the classes' declared keypoints)",
                item=item,
            )
        bounds = _visible_bounds(pts)
        at = _partner(kp, bounds, boxes, set(taken))
        if at is not None:
            taken[at] = kp
        elif bounds is not None:
            alone.append((kp, _widened(bounds)))
    lines: list[str] = []
    written: set[int] = set()
    absent = " 0 0 0" * k
    for i, (label, _oid, bounds, at) in enumerate(boxes):
        partner = taken.get(i)
        points = _points(partner[2], width, height) if partner is not None else absent
        lines.append(f"{class_id(label)} {_box(bounds, width, height)}{points}\n")
        written.add(at)
        if partner is not None:
            written.add(partner[3])
    for (label, _oid, pts, at), bounds in alone:
        lines.append(f"{class_id(label)} {_box(bounds, width, height)}{_points(pts, width, height)}\n")
        written.add(at)
    return lines, written


def _widened(bounds: list[float]) -> list[float]:
    """The bounds at least one pixel wide and high (one labelled point has a box of no size)."""
    x1, y1, x2, y2 = bounds
    if x2 - x1 < 1:
        x1, x2 = (x1 + x2) / 2 - 0.5, (x1 + x2) / 2 + 0.5
    if y2 - y1 < 1:
        y1, y2 = (y1 + y2) / 2 - 0.5, (y1 + y2) / 2 + 0.5
    return [x1, y1, x2, y2]


def _box(bounds: list[float], width: int, height: int) -> str:
    x1, y1, x2, y2 = bounds
    x1, x2 = _clip(x1 / width), _clip(x2 / width)
    y1, y2 = _clip(y1 / height), _clip(y2 / height)
    return f"{(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} {x2 - x1:.6f} {y2 - y1:.6f}"


def _points(points: list[float], width: int, height: int) -> str:
    out: list[str] = []
    for x, y, v in zip(points[0::3], points[1::3], points[2::3], strict=True):
        if v > 0:
            out.append(f" {_clip(x / width):.6f} {_clip(y / height):.6f} {int(v)}")
        else:
            out.append(" 0 0 0")
    return "".join(out)
