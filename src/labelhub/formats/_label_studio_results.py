"""Label Studio result objects -> labelhub annotation records.

Label Studio stores regions in percent of the image (``x``, ``y``, ``width``, ``height`` and polygon points
in 0-100 of ``original_width`` / ``original_height``); rectangles are anchored at their top-left corner and
turn clockwise about it by ``rotation`` degrees. Text spans are character offsets into the task's text.
A ``videorectangle`` holds a track as a ``sequence`` of keyframes with 1-based ``frame`` numbers.
Everything is converted here to labelhub's absolute pixels, ``[x1, y1, x2, y2]`` boxes and 0-based frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from labelhub.domain.enums import AnnotationKind, AnnotationState, Source
from labelhub.domain.geometry import EDGE_TOLERANCE
from labelhub.domain.records import AnnotationRecord

# Result types read, by the key of their label list; "labels" also serves rectangles and spans that a
# separate <Labels> tag labels (the region type is then told by its value keys).
BOX_TYPES = frozenset({"rectanglelabels", "rectangle"})
POLYGON_TYPES = frozenset({"polygonlabels", "polygon"})
LABEL_KEYS = ("rectanglelabels", "polygonlabels", "labels", "choices")
_NUMBER = (int, float)
KNOWN_TYPES = BOX_TYPES | POLYGON_TYPES | {"labels", "choices", "videorectangle"}


class BadResult(Exception):
    """One result that cannot be read; ``field`` is relative to the result (e.g. ``value.x``)."""

    def __init__(self, message: str, field: str = "value") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(slots=True)
class Context:
    """What converting the results of one annotation or prediction needs to know about its task."""

    origin: str
    width: int | None = None
    height: int | None = None
    text: str | None = None
    frame_count: int | None = None
    source: Source = Source.HUMAN
    state: AnnotationState = AnnotationState.ACCEPTED
    score: float | None = None
    model_version: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    next_track: list[int] = field(default_factory=lambda: [1])  # shared by every result of the item


def convert(result: Any, ctx: Context) -> list[AnnotationRecord]:
    """Return the records one result becomes, or raise BadResult saying why it cannot be read."""
    if not isinstance(result, dict):
        raise BadResult("a result must be an object", "")
    rtype = result.get("type")
    value = result.get("value")
    if not isinstance(rtype, str) or rtype not in KNOWN_TYPES:
        raise BadResult(f"result type {rtype!r:.60} is not imported (known: {', '.join(sorted(KNOWN_TYPES))})", "type")
    if not isinstance(value, dict):
        raise BadResult("a result needs a 'value' object")
    rotation = result.get("image_rotation") or 0
    if rotation:
        raise BadResult(f"results on a rotated image (image_rotation {rotation!r}) are not supported", "image_rotation")
    score = ctx.score
    if ctx.source is Source.MODEL and result.get("score") is not None:
        score = _number(result["score"], "score", "a score")
    attrs = dict(ctx.attributes)
    if isinstance(result.get("id"), str | int):
        attrs["ls_id"] = result["id"]
    base = {"source": ctx.source, "state": ctx.state, "score": score, "model_version": ctx.model_version}
    base["origin"] = ctx.origin
    if rtype == "choices":
        return _choices(value, attrs, base)
    if rtype == "videorectangle":
        return _track(value, ctx, attrs, base)
    if rtype in POLYGON_TYPES:
        return _polygon(value, _size(result, ctx), attrs, base)
    if rtype in BOX_TYPES or any(k in value for k in ("x", "y", "width", "height")):
        return _box(value, _size(result, ctx), attrs, base)
    if "start" in value or "end" in value:
        return _spans(value, ctx, attrs, base)
    raise BadResult("a 'labels' result needs x, y, width, height (a region) or start, end (a text span)")


def _labels(value: dict[str, Any]) -> list[str]:
    for key in LABEL_KEYS:
        if key in value:
            labels = value[key]
            if not isinstance(labels, list) or not labels:
                raise BadResult(f"{key} must be a non-empty list of label names", f"value.{key}")
            for i, lb in enumerate(labels):
                if not isinstance(lb, str) or not lb:
                    raise BadResult(f"a label must be a non-empty string, got {lb!r}", f"value.{key}[{i}]")
            return list(dict.fromkeys(labels))
    raise BadResult("the region has no label", "value")


def _number(v: Any, where: str, what: str = "a finite number") -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise BadResult(f"{where} must be {what}, got {v!r}", where)
    f = float(v)
    if not math.isfinite(f):
        raise BadResult(f"{where} must be {what}, got {v!r}", where)
    return f


def _size(result: dict[str, Any], ctx: Context) -> tuple[float, float]:
    w: Any = result.get("original_width")
    h: Any = result.get("original_height")
    if type(w) is int and type(h) is int and w > 0 and h > 0:
        return float(w), float(h)
    if _is_pixels(w) and _is_pixels(h):
        return float(w), float(h)
    if ctx.width is None or ctx.height is None:
        raise BadResult(
            "percent coordinates need original_width and original_height, or the image file to read them from",
            "original_width",
        )
    return float(ctx.width), float(ctx.height)


def _is_pixels(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def _choices(value: dict[str, Any], attrs: dict[str, Any], base: dict[str, Any]) -> list[AnnotationRecord]:
    if any(k in value for k in ("x", "points", "start")):
        raise BadResult("choices on a region (per-region classification) are not imported", "value.choices")
    if "choices" not in value:
        raise BadResult("a choices result needs value.choices", "value.choices")
    return [
        AnnotationRecord(AnnotationKind.CLASS, label, {}, attributes=dict(attrs), **base) for label in _labels(value)
    ]


def _rect(
    value: dict[str, Any], size: tuple[float, float], prefix: str = "value"
) -> tuple[list[float], float, list[float]]:
    """Return the box ``[x1, y1, x2, y2]`` in pixels (axis-aligned; clipped to the image when rotated), the
    rotation in degrees and the unrotated ``[x, y, width, height]`` in pixels."""
    w_img, h_img = size
    raw: list[Any] = [value.get(k) for k in ("x", "y", "width", "height", "rotation")]
    x, y, w, h, rotation = raw
    rotation = rotation or 0
    try:
        # type() not isinstance: booleans are not coordinates. The sum is finite only when every term is.
        valid = all(type(v) in _NUMBER for v in (x, y, w, h, rotation)) and math.isfinite(x + y + w + h + rotation)
    except OverflowError:  # an integer too large for a float
        valid = False
    if not valid:  # find the culprit for the message
        for k in ("x", "y", "width", "height"):
            _number(value.get(k), f"{prefix}.{k}", "a finite number (percent)")
        _number(rotation, f"{prefix}.rotation")
    if w <= 0 or h <= 0:
        raise BadResult(f"width and height must be > 0, got {w!r}, {h!r}", f"{prefix}.width")
    px, py, pw, ph = x * w_img / 100, y * h_img / 100, w * w_img / 100, h * h_img / 100
    tol = EDGE_TOLERANCE
    outside = f"the region x={x:g}, y={y:g}, width={w:g}, height={h:g} (percent) lies outside the image"
    if not (-tol <= px <= w_img + tol and -tol <= py <= h_img + tol and pw <= w_img + tol and ph <= h_img + tol):
        raise BadResult(outside, prefix)
    turn = rotation % 360
    if turn == 0:
        if px + pw > w_img + tol or py + ph > h_img + tol:
            raise BadResult(outside, prefix)
        box = [max(0.0, px), max(0.0, py), min(w_img, px + pw), min(h_img, py + ph)]
    else:
        # Clockwise on screen (y points down) about the top-left corner, as Label Studio draws it.
        c, s = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
        corners = [(px + dx * c - dy * s, py + dx * s + dy * c) for dx, dy in ((0, 0), (pw, 0), (pw, ph), (0, ph))]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        box = [max(0.0, min(xs)), max(0.0, min(ys)), min(w_img, max(xs)), min(h_img, max(ys))]
    if box[2] <= box[0] or box[3] <= box[1]:
        raise BadResult(outside, prefix)
    return box, (rotation if turn else 0.0), [px, py, pw, ph]


def _box(
    value: dict[str, Any], size: tuple[float, float], attrs: dict[str, Any], base: dict[str, Any]
) -> list[AnnotationRecord]:
    labels = _labels(value)
    box, rotation, unrotated = _rect(value, size)
    if rotation:
        attrs = {**attrs, "rotation": rotation, "ls_rotated_box": unrotated}
    return [
        AnnotationRecord(AnnotationKind.BOX, lb, {"bbox": list(box)}, attributes=dict(attrs), **base) for lb in labels
    ]


def _polygon(
    value: dict[str, Any], size: tuple[float, float], attrs: dict[str, Any], base: dict[str, Any]
) -> list[AnnotationRecord]:
    labels = _labels(value)
    points = value.get("points")
    if not isinstance(points, list) or len(points) < 3:
        raise BadResult("points must be a list of at least 3 [x, y] pairs (percent)", "value.points")
    w_img, h_img = size
    flat: list[float] = []
    for i, pt in enumerate(points):
        if not isinstance(pt, list) or len(pt) != 2:
            raise BadResult(f"a point must be [x, y], got {pt!r}", f"value.points[{i}]")
        x = _number(pt[0], f"value.points[{i}][0]", "a finite number (percent)") * w_img / 100
        y = _number(pt[1], f"value.points[{i}][1]", "a finite number (percent)") * h_img / 100
        if not (-EDGE_TOLERANCE <= x <= w_img + EDGE_TOLERANCE and -EDGE_TOLERANCE <= y <= h_img + EDGE_TOLERANCE):
            raise BadResult(f"point {pt!r} (percent) lies outside the image", f"value.points[{i}]")
        flat += [min(max(x, 0.0), w_img), min(max(y, 0.0), h_img)]
    return [
        AnnotationRecord(AnnotationKind.POLYGON, lb, {"points": list(flat)}, attributes=dict(attrs), **base)
        for lb in labels
    ]


def _spans(value: dict[str, Any], ctx: Context, attrs: dict[str, Any], base: dict[str, Any]) -> list[AnnotationRecord]:
    labels = _labels(value)
    text = ctx.text
    if text is None:
        raise BadResult("a text span needs a text task", "value.start")
    start, end = value.get("start"), value.get("end")
    if type(start) is not int or type(end) is not int or not 0 <= start < end:
        raise BadResult(f"start and end must be integers with 0 <= start < end, got {start!r}, {end!r}", "value.start")
    covered = value.get("text")
    if end > len(text) or (isinstance(covered, str) and text[start:end] != covered):
        start, end = _from_utf16(text, start, end, covered)
    return [
        AnnotationRecord(AnnotationKind.SPAN, lb, {"start": start, "end": end}, attributes=dict(attrs), **base)
        for lb in labels
    ]


def _from_utf16(text: str, start: int, end: int, covered: Any) -> tuple[int, int]:
    """Return offsets counted in UTF-16 code units (as JavaScript counts them) as Python string offsets.

    Label Studio's editor measures spans in the browser, so text with characters outside the Basic
    Multilingual Plane (emoji) has its offsets shifted; the span's ``text`` tells which count is meant.
    """
    units = 0
    mapping: dict[int, int] = {0: 0}
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        mapping[units] = i + 1
    s, e = mapping.get(start), mapping.get(end)
    if s is not None and e is not None and s < e and (not isinstance(covered, str) or text[s:e] == covered):
        return s, e
    if end > len(text) and (s is None or e is None):
        raise BadResult(f"span [{start}, {end}) is past the end of the text ({len(text)} characters)", "value.end")
    raise BadResult(f"span [{start}, {end}) covers {text[start:end]!r}, not {covered!r} as its text says", "value.text")


def _track(value: dict[str, Any], ctx: Context, attrs: dict[str, Any], base: dict[str, Any]) -> list[AnnotationRecord]:
    """Return one track per label: a keyframe box per sequence entry, and an outside box after a disabled one.

    Frames between keyframes are not materialised; labelhub's propagation fills them.
    """
    labels = _labels(value)
    if ctx.width is None or ctx.height is None:
        raise BadResult("a video track needs the video's width and height (the video file was not read)", "value")
    size = (float(ctx.width), float(ctx.height))
    seq = value.get("sequence")
    if not isinstance(seq, list) or not seq:
        raise BadResult("a videorectangle needs a non-empty sequence of keyframes", "value.sequence")
    entries: list[tuple[int, list[float], dict[str, Any], bool]] = []
    for i, kf in enumerate(seq):
        where = f"value.sequence[{i}]"
        if not isinstance(kf, dict):
            raise BadResult("a keyframe must be an object", where)
        frame = kf.get("frame")
        if isinstance(frame, float) and frame.is_integer():
            frame = int(frame)
        if type(frame) is not int or frame < 1 or (ctx.frame_count is not None and frame > ctx.frame_count):
            limit = f" (the video has {ctx.frame_count} frames)" if ctx.frame_count is not None else ""
            raise BadResult(f"frame must be a 1-based frame number{limit}, got {frame!r}", f"{where}.frame")
        box, rotation, unrotated = _rect(kf, size, where)
        extra: dict[str, Any] = {"rotation": rotation, "ls_rotated_box": unrotated} if rotation else {}
        entries.append((frame - 1, box, extra, kf.get("enabled", True) is not False))
    entries.sort(key=lambda e: e[0])
    frames = [e[0] for e in entries]
    if len(set(frames)) != len(frames):
        raise BadResult("the sequence has two keyframes on the same frame", "value.sequence")
    out: list[AnnotationRecord] = []
    for label in labels:
        track_id = ctx.next_track[0]
        ctx.next_track[0] += 1
        for n, (frame, box, extra, enabled) in enumerate(entries):
            kf_attrs = {**attrs, **extra, "keyframe": True, "outside": False}
            out.append(_track_box(label, frame, track_id, box, kf_attrs, base))
            after = frame + 1
            next_frame = frames[n + 1] if n + 1 < len(frames) else None
            in_video = ctx.frame_count is None or after < ctx.frame_count
            if not enabled and in_video and (next_frame is None or next_frame > after):
                gone = {**attrs, **extra, "keyframe": True, "outside": True}
                out.append(_track_box(label, after, track_id, box, gone, base))
    return out


def _track_box(
    label: str, frame: int, track_id: int, box: list[float], attrs: dict[str, Any], base: dict[str, Any]
) -> AnnotationRecord:
    return AnnotationRecord(
        AnnotationKind.TRACK_BOX, label, {"bbox": list(box)}, frame=frame, track_id=track_id, attributes=attrs, **base
    )
