"""CVAT skeletons: a ``skeleton`` label's points and edges, and ``<skeleton>`` shapes as keypoints annotations.

CVAT declares a skeleton as a label of ``<type>skeleton</type>`` whose ``<svg>`` text draws it: one
``<circle data-type="element node" data-node-id data-label-name>`` per point and one
``<line data-type="edge" data-node-from data-node-to>`` per edge (node ids, from 1), and one sub-label per point
(``<type>points</type><parent>skeleton</parent>``). On an ``<image>``, ``<skeleton label>`` holds one
``<points label outside occluded points="x,y">`` per point. labelhub's class declares ``keypoints`` (the points'
names in node-id order) and a 0-based ``skeleton``; a ``keypoints`` annotation lists ``x, y, v`` per point with
COCO's visibility (0 absent, 1 occluded, 2 visible): ``outside="1"`` is absent (x = y = 0), ``occluded="1"`` is
occluded, else visible, and a point the shape does not list is absent.

Hand-written: no library reads or writes CVAT's skeleton ``<svg>`` (Datumaro's CVAT reader drops skeletons).
The ``<svg>`` text is parsed with defusedxml like the file around it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from labelhub.domain.keypoints import MAX_KEYPOINTS, Edge, Skeleton, check_skeleton
from labelhub.errors import FormatError, ValidationError

_SVG_CHARS = 1 << 20  # a skeleton of 100 points draws in well under 100 kB
_TRUE = frozenset({"1", "true", "True"})
_CENTRE, _RADIUS = 50.0, 40.0  # CVAT's skeleton editor draws in a 100 x 100 box


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # an <svg xmlns="..."> wrapper puts its namespace on every tag


def _node_id(elem: Element, key: str) -> int | None:
    raw = (elem.get(key) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _coord(elem: Element, key: str) -> float | None:
    try:
        value = float(elem.get(key) or "nan")
    except ValueError:
        return None
    return round(value, 2) if math.isfinite(value) else None


def read_skeleton(
    label: Element, name: str, sublabels: Sequence[str], file: Path | None, line: int | None
) -> dict[str, Any]:
    """Return ``{"keypoints", "skeleton", "layout"}`` of a skeleton label: its points in node-id order (sub-labels
    the ``<svg>`` does not draw follow in ``<meta>`` order), its 0-based edges and the nodes' drawn positions.

    Raises FormatError naming the file, the label's line and the label for an ``<svg>`` that cannot be read or
    that names points, nodes or edges the label does not have.
    """

    def fail(why: str) -> FormatError:
        msg = f"skeleton label {name[:80]!r}: {why}"
        return FormatError(msg, file=str(file) if file else None, line=line, field="meta.labels")

    text = label.findtext("svg") or ""
    if len(text) > _SVG_CHARS:
        raise fail(f"its <svg> is longer than {_SVG_CHARS:,} characters")
    try:
        svg = fromstring(f"<svg>{text}</svg>", forbid_dtd=True) if text.strip() else Element("svg")
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise fail(f"its <svg> is not readable XML ({str(exc)[:100]})") from None
    nodes: dict[int, Element] = {}
    lines: list[Element] = []
    for elem in svg.iter():
        tag = _local(elem.tag)
        if tag == "circle":
            nid = _node_id(elem, "data-node-id")
            if nid is None:
                raise fail(f"an <svg> node has no whole-number data-node-id (got {elem.get('data-node-id')!r:.40})")
            if nid in nodes:
                raise fail(f"the <svg> draws node {nid} twice")
            nodes[nid] = elem
        elif tag == "line":
            lines.append(elem)
    order = sorted(nodes)
    drawn = [nodes[n].get("data-label-name") for n in order]
    if drawn and not any(drawn) and len(drawn) == len(sublabels):
        names = list(sublabels)  # CVAT leaves out data-label-name at times: its nodes follow its sub-labels
    else:
        stray = next((d for d in drawn if not d or (sublabels and d not in sublabels)), "")
        if stray != "":
            what = f"a point {stray!r} that is none of its sub-labels" if stray else "a node without data-label-name"
            raise fail(f"its <svg> draws {what} ({', '.join(sublabels) or 'it has none'})")
        names = [d or "" for d in drawn]
    index = {n: i for i, n in enumerate(order)}
    layout = [[_coord(nodes[n], "cx"), _coord(nodes[n], "cy")] for n in order]
    names += [s for s in sublabels if s not in names]
    if len(names) > MAX_KEYPOINTS or len(lines) > MAX_KEYPOINTS**2:
        raise fail(f"it draws {len(names)} points and {len(lines)} edges; a class holds at most {MAX_KEYPOINTS} points")
    edges: list[Edge] = []
    joined: set[frozenset[int]] = set()
    for elem in lines:
        ends = [_node_id(elem, "data-node-from"), _node_id(elem, "data-node-to")]
        if any(e not in index for e in ends):
            got = (elem.get("data-node-from"), elem.get("data-node-to"))
            raise fail(f"an <svg> edge joins nodes {got[0]!r:.20} and {got[1]!r:.20}, which it does not draw")
        a, b = (index[e] for e in ends if e is not None)
        if frozenset((a, b)) not in joined or a == b:  # a repeated edge adds nothing; a loop is refused below
            joined.add(frozenset((a, b)))
            edges.append((a, b))
    try:
        check_skeleton(names, edges, "label")
    except ValidationError as exc:
        raise fail(exc.detail) from None
    out: dict[str, Any] = {"keypoints": names, "skeleton": [list(e) for e in edges]}
    if layout and all(x is not None and y is not None for x, y in layout):
        out["layout"] = layout
    return out


def sublabels(meta: Element) -> dict[str, list[str]]:
    """Return skeleton label -> the names of its sub-labels (its points), in ``<meta>``'s order."""
    out: dict[str, list[str]] = {}
    for label in meta.iter("label"):
        parent, name = (label.findtext(k, "").strip() for k in ("parent", "name"))
        if parent and name and name not in out.setdefault(parent, []):
            out[parent].append(name)
    return out


def skeletons_of(labels: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Return label -> point names of the skeleton labels among ``<meta>``'s labels (as ``parse_meta`` reads them)."""
    return {
        lab["name"]: tuple(lab["keypoints"]) for lab in labels if lab.get("type") == "skeleton" and lab.get("keypoints")
    }


def skeleton_points(
    elem: Element, label: str, names: Sequence[str] | None, image: str
) -> list[float] | tuple[str, str, Element]:
    """Return the ``x, y, v`` triples of a ``<skeleton>``'s points in ``names`` order, or why not, the field and
    the element (the skeleton, or its point) at fault."""
    where = (f"image {image!r}: " if image else "") + f"skeleton {label!r}"
    if not names:
        return f"{where}: its label is not declared as a skeleton (with points) in <meta> labels", "label", elem
    out = [0.0] * (3 * len(names))
    seen: set[str] = set()
    for child in elem:
        if _local(child.tag) != "points":
            continue  # <attribute>s are the skeleton's own, read with its other attributes
        point = child.get("label") or ""
        if point not in names:
            return f"{where} has a point {point!r} that is none of its points ({', '.join(names)})", "label", child
        if point in seen:
            return f"{where} lists its point {point!r} twice", "label", child
        seen.add(point)
        if child.get("outside", "0") in _TRUE:
            continue  # absent: x = y = v = 0
        raw = child.get("points") or ""
        xy = raw.split(",")
        try:
            x, y = (float(xy[0]), float(xy[1])) if len(xy) == 2 else (math.nan, math.nan)
        except ValueError:
            x = y = math.nan
        if not (math.isfinite(x) and math.isfinite(y)):
            return f'{where}: point {point!r} needs points="x,y" (finite numbers), got {raw[:40]!r}', "points", child
        i = 3 * names.index(point)
        out[i : i + 3] = [x, y, 1.0 if child.get("occluded", "0") in _TRUE else 2.0]
    return out


# Export ---------------------------------------------------------------------------------------------------------


def _layout(sk: Skeleton, kept: Any) -> list[tuple[float, float]]:
    """The nodes' positions: those the imported file drew, when it drew these points, else a circle."""
    n = len(sk.keypoints)
    if isinstance(kept, list) and len(kept) == n:
        try:
            pos = [(float(x), float(y)) for x, y in kept]
            if all(math.isfinite(v) for p in pos for v in p):
                return pos
        except (TypeError, ValueError):
            pass
    angles = (2 * math.pi * i / n - math.pi / 2 for i in range(n))
    return [(round(_CENTRE + _RADIUS * math.cos(a), 2), round(_CENTRE + _RADIUS * math.sin(a), 2)) for a in angles]


def svg_text(sk: Skeleton, kept_layout: Any = None) -> str:
    """Return the ``<svg>`` text of a skeleton label: its edges, then one node per point (ids from 1)."""
    pos = _layout(sk, kept_layout)
    parts: list[Element] = []
    for a, b in sk.skeleton:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        parts.append(Element("line", {"x1": str(x1), "y1": str(y1), "x2": str(x2), "y2": str(y2),
                                      "stroke": "black", "data-type": "edge", "data-node-from": str(a + 1),
                                      "stroke-width": "0.5", "data-node-to": str(b + 1)}))  # fmt: skip
    for i, name in enumerate(sk.keypoints):
        x, y = pos[i]
        parts.append(Element("circle", {"r": "1.5", "stroke": "black", "fill": "#b3b3b3", "cx": str(x),
                                        "cy": str(y), "stroke-width": "0.1", "data-type": "element node",
                                        "data-element-id": str(i + 1), "data-node-id": str(i + 1),
                                        "data-label-name": name}))  # fmt: skip
    return "".join(tostring(p, encoding="unicode", short_empty_elements=False) for p in parts)


def sublabel_elements(sk: Skeleton, parent: str, colours: Sequence[str]) -> list[Element]:
    """Return the ``<label>`` of each point of a skeleton label, ``<parent>`` naming it."""
    out: list[Element] = []
    for i, name in enumerate(sk.keypoints):
        label = Element("label")
        SubElement(label, "name").text = name
        SubElement(label, "color").text = colours[i % len(colours)]
        SubElement(label, "type").text = "points"
        SubElement(label, "attributes")
        SubElement(label, "parent").text = parent
        out.append(label)
    return out


def point_elements(sk: Skeleton, points: Sequence[Any], source: str, num: Callable[[float], str]) -> list[Element]:
    """Return one ``<points>`` per declared point of a ``<skeleton>``; none when ``points`` is not one ``x, y, v``
    triple per point (the annotation then has no CVAT form)."""
    if len(points) != 3 * len(sk.keypoints):
        return []
    out: list[Element] = []
    for i, name in enumerate(sk.keypoints):
        x, y, v = (float(p) for p in points[3 * i : 3 * i + 3])
        out.append(Element("points", {"label": name, "source": source, "outside": "1" if v <= 0 else "0",
                                      "occluded": "1" if v == 1 else "0", "points": f"{num(x)},{num(y)}"}))  # fmt: skip
    return out
