"""Box arithmetic for tracking: IoU, centre-size form, clipping, visibility and blending.

Hand-written glue (a few lines of numpy each, nothing here is a tracking method). Boxes follow the labelhub
convention of :mod:`labelhub.domain.geometry`: absolute pixel ``x1, y1, x2, y2`` floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]
"""A box as ``x1, y1, x2, y2`` in absolute pixels (origin top-left)."""

FloatArray = npt.NDArray[np.float64]


def as_box(values: Sequence[float] | FloatArray) -> Box:
    """Return ``values`` (four numbers) as a tuple of Python floats."""
    x1, y1, x2, y2 = (float(v) for v in values)
    return (x1, y1, x2, y2)


def area(box: Box) -> float:
    """Return the area of ``box`` (0 for an empty or inverted box)."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def iou(a: Box, b: Box) -> float:
    """Return the intersection over union of two boxes, 0 when they do not overlap."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def scaled(box: Box, factor: float) -> Box:
    """Return ``box`` with every coordinate multiplied by ``factor`` (into or out of a resized frame)."""
    return (box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor)


def to_cxcywh(box: Box) -> FloatArray:
    """Return ``box`` as the array ``[cx, cy, w, h]``."""
    x1, y1, x2, y2 = box
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dtype=np.float64)


def from_cxcywh(v: FloatArray | Sequence[float]) -> Box:
    """Return the box of centre ``v[0], v[1]`` and size ``v[2], v[3]`` (sizes below 1 pixel become 1)."""
    cx, cy = float(v[0]), float(v[1])
    w, h = max(1.0, float(v[2])), max(1.0, float(v[3]))
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def to_xywh_int(box: Box, scale: float = 1.0) -> tuple[int, int, int, int]:
    """Return ``box`` scaled by ``scale`` as the integer ``x, y, w, h`` rectangle OpenCV trackers take."""
    x1, y1, x2, y2 = (v * scale for v in box)
    x, y = round(x1), round(y1)
    return (x, y, max(1, round(x2) - x), max(1, round(y2) - y))


def from_xywh(rect: Sequence[float], scale: float = 1.0) -> Box:
    """Return the ``x, y, w, h`` rectangle ``rect`` divided by ``scale`` as an ``x1, y1, x2, y2`` box."""
    x, y, w, h = (float(v) / scale for v in rect)
    return (x, y, x + w, y + h)


def visible_fraction(box: Box, width: int, height: int) -> float:
    """Return the share of ``box``'s area inside the image (1 inside, 0 fully outside or empty)."""
    full = area(box)
    if full <= 0:
        return 0.0
    return area(clip(box, width, height)) / full


def clip(box: Box, width: int, height: int) -> Box:
    """Return ``box`` cut to the image ``[0, width] x [0, height]`` (possibly empty)."""
    x1, y1, x2, y2 = box
    return (min(max(x1, 0.0), width), min(max(y1, 0.0), height), min(max(x2, 0.0), width), min(max(y2, 0.0), height))


def shift(box: Box, delta: FloatArray) -> Box:
    """Return ``box`` with ``delta`` (``[dcx, dcy, dlog_w, dlog_h]``) added: centre moved, size scaled."""
    c = to_cxcywh(box)
    return from_cxcywh([c[0] + delta[0], c[1] + delta[1], c[2] * math.exp(delta[2]), c[3] * math.exp(delta[3])])


def difference(target: Box, source: Box) -> FloatArray:
    """Return ``[dcx, dcy, dlog_w, dlog_h]`` that :func:`shift` adds to ``source`` to reach ``target``."""
    t, s = to_cxcywh(target), to_cxcywh(source)
    return np.array(
        [t[0] - s[0], t[1] - s[1], math.log(max(t[2], 1.0) / max(s[2], 1.0)), math.log(max(t[3], 1.0) / max(s[3], 1.0))]
    )


def blend(boxes: Sequence[Box], weights: Sequence[float]) -> Box:
    """Return the weighted mean of ``boxes`` in centre-size form (centres averaged, sizes averaged in log)."""
    total = float(sum(weights))
    if total <= 0:
        raise ValueError("blend needs a positive total weight")
    acc = np.zeros(4)
    for box, w in zip(boxes, weights, strict=True):
        c = to_cxcywh(box)
        acc += (w / total) * np.array([c[0], c[1], math.log(max(c[2], 1.0)), math.log(max(c[3], 1.0))])
    return from_cxcywh([acc[0], acc[1], math.exp(acc[2]), math.exp(acc[3])])


def lerp(a: Box, b: Box, t: float) -> Box:
    """Return the box ``(1 - t) * a + t * b``, corner by corner (the linear-interpolation baseline)."""
    return as_box([(1 - t) * p + t * q for p, q in zip(a, b, strict=True)])
