"""Shapes of CVAT for images 1.1 and CVAT for video 1.1: one ``<box>``, ``<polygon>``, ``<points>``, ``<skeleton>``
or ``<tag>`` element to one annotation record, or a Problem naming the file and line.

At this boundary CVAT's ``xtl, ytl, xbr, ybr`` pixel boxes and ``"x,y;x,y"`` point lists become labelhub's
``[x1, y1, x2, y2]`` and flat ``[x, y, ...]`` lists; a rotated box becomes a polygon of its corners.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from labelhub.domain.enums import AnnotationKind, Source
from labelhub.domain.records import AnnotationRecord, Problem
from labelhub.formats._cvat_common import FALSE_WORDS, TRUE_WORDS, UNDEFINED, CvatMeta, line_of, optional_int
from labelhub.formats._cvat_skeleton import skeleton_points, skeletons_of


def convert_value(text: str, input_type: str | None) -> Any:
    """Return an attribute's text as the type its spec declares: checkbox -> bool, number -> int or float; text
    that is no value of its type (a checkbox's ``maybe``) stays text, for the editor to flag."""
    if input_type == "checkbox":
        word = text.strip()
        return True if word in TRUE_WORDS else False if word.lower() in FALSE_WORDS else text
    if input_type == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in text else number
    return text


class ShapeReader:
    """Turns shape elements of one file into annotation records, or Problems naming the file and line."""

    def __init__(self, path: Path, meta: CvatMeta, fallback: Mapping[str, str] | None = None) -> None:
        """``fallback``: attribute name -> CVAT input type, for values the label's ``<meta>`` does not declare
        (the project's declarations: a declared bool's ``true`` becomes True)."""
        self.file = str(path)
        self.fname = path.name
        self.meta = meta
        self.known = set(meta.names)
        self.types = meta.input_types()
        self.fallback = fallback or {}
        self.skeletons = skeletons_of(meta.labels)
        #: Whether a shape (not a tag) carried CVAT's built-in ``occluded`` flag: the import then declares it.
        self.occluded = False

    def problem(self, message: str, elem: Element, field: str | None = None) -> Problem:
        return Problem(message, file=self.file, line=line_of(elem), field=field)

    def check_label(self, label: str | None, elem: Element) -> Problem | None:
        if not label:
            return self.problem(f"<{elem.tag}> has no label", elem, "label")
        if self.known and label not in self.known:
            return self.problem(f"label {label!r} is not declared in <meta> labels", elem, "label")
        return None

    def number(self, elem: Element, name: str) -> float | Problem:
        raw = elem.get(name)
        try:
            value = float(raw) if raw is not None else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            return self.problem(f"<{elem.tag}> {name} must be a finite number, got {raw!r}", elem, name)
        return value

    def points(self, elem: Element) -> list[float] | Problem:
        raw = elem.get("points") or ""
        out: list[float] = []
        for pair in raw.split(";"):
            xy = pair.split(",")
            try:
                x, y = (float(xy[0]), float(xy[1])) if len(xy) == 2 else (math.nan, math.nan)
            except ValueError:
                x = y = math.nan
            if not (math.isfinite(x) and math.isfinite(y)):
                return self.problem(f"<{elem.tag}> points must be 'x,y;x,y;...' finite numbers", elem, "points")
            out += (x, y)
        return out

    def attributes(self, elem: Element, label: str, into: dict[str, Any]) -> None:
        """Add the shape's flags and its ``<attribute>`` children to ``into``."""
        into["occluded"] = elem.get("occluded", "0") in TRUE_WORDS
        self.occluded = self.occluded or (elem.tag != "tag" and elem.get("occluded") is not None)
        for key in ("z_order", "group_id"):
            value = optional_int(elem.get(key))
            if value:
                into[key] = value
        self.values(elem, label, into)

    def values(self, elem: Element, label: str, into: dict[str, Any]) -> None:
        """Add the ``<attribute>`` children of ``elem`` to ``into``, typed as declared (file, else project)."""
        types = self.types.get(label, {})
        for attr in elem.findall("attribute"):
            name = attr.get("name")
            if name and (attr.text or "").strip() != UNDEFINED:  # CVAT's "no value chosen"
                into[name] = convert_value(attr.text or "", types.get(name) or self.fallback.get(name))

    def shape(
        self, elem: Element, track_label: str | None = None, track_source: str = "manual", image: str = ""
    ) -> AnnotationRecord | Problem:
        """Return the annotation of one shape (``box``, ``polygon``, ``points``, ``skeleton``) or ``tag`` element.

        Inside a ``<track>`` the label and source are the track's, and a box is a ``track_box``. ``image`` names
        the item in the messages about a skeleton's points.
        """
        in_track = track_label is not None
        label = track_label if in_track else elem.get("label")
        bad = self.check_label(label, elem)
        if bad is not None or label is None:
            return bad or self.problem("no label", elem)
        tag = elem.tag
        geometry: dict[str, Any]
        attributes: dict[str, Any] = {}
        if tag == "box":
            nums = [self.number(elem, k) for k in ("xtl", "ytl", "xbr", "ybr")]
            fails = [n for n in nums if isinstance(n, Problem)]
            if fails:
                return fails[0]
            x1, y1, x2, y2 = (float(n) for n in nums if not isinstance(n, Problem))
            if x2 <= x1 or y2 <= y1:
                return self.problem(f"<box> is empty or inverted: xtl={x1} ytl={y1} xbr={x2} ybr={y2}", elem, "xbr")
            rotation = self.number(elem, "rotation") if elem.get("rotation") is not None else 0.0
            if isinstance(rotation, Problem):
                return rotation
            if rotation % 360:
                if in_track:
                    return self.problem("rotated boxes in tracks are not supported", elem, "rotation")
                kind, geometry = AnnotationKind.POLYGON, {"points": _rotated(x1, y1, x2, y2, rotation)}
                attributes["rotation"] = rotation
            else:
                kind = AnnotationKind.TRACK_BOX if in_track else AnnotationKind.BOX
                geometry = {"bbox": [x1, y1, x2, y2]}
        elif tag in ("polygon", "points"):
            pts = self.points(elem)
            if isinstance(pts, Problem):
                return pts
            if tag == "polygon":
                if len(pts) < 6:
                    return self.problem("<polygon> needs at least 3 points", elem, "points")
                kind, geometry = AnnotationKind.POLYGON, {"points": pts}
            else:
                kind = AnnotationKind.KEYPOINTS
                geometry = {"points": [v for i in range(0, len(pts), 2) for v in (pts[i], pts[i + 1], 2.0)]}
        elif tag == "tag" and not in_track:
            kind, geometry = AnnotationKind.CLASS, {}
        elif tag == "skeleton" and not in_track:
            triples = skeleton_points(elem, label, self.skeletons.get(label), image)
            if isinstance(triples, tuple):
                return self.problem(triples[0], triples[2], triples[1])
            kind, geometry = AnnotationKind.KEYPOINTS, {"points": triples}
        else:
            why = " by cvat_video (export the task as CVAT for images)" if tag == "skeleton" else ""
            return self.problem(f"<{tag}> shapes are not supported{why} (boxes, polygons, points and tags are)", elem)
        self.attributes(elem, label, attributes)
        if tag == "tag":
            attributes.pop("occluded", None)  # a tag has no occluded flag
        source = elem.get("source", track_source)
        return AnnotationRecord(
            kind=kind,
            label=label,
            geometry=geometry,
            source=Source.MODEL if source in ("auto", "semi-auto") else Source.HUMAN,
            attributes=attributes,
            origin=f"{self.fname}: line {line_of(elem)}",
        )


def _rotated(x1: float, y1: float, x2: float, y2: float, degrees: float) -> list[float]:
    """Return the corners of a box turned ``degrees`` clockwise about its centre (CVAT's rotation)."""
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    out: list[float] = []
    for x, y in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)):
        dx, dy = x - cx, y - cy
        out += (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
    return out
