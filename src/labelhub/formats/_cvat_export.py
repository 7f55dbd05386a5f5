"""The CVAT for images 1.1 exporter, and the XML pieces the CVAT for video exporter shares with it.

Elements are built with ElementTree and serialised one item at a time; nothing is written by hand but the
XML declaration and the root's open and close tags. Boxes leave as ``xtl ytl xbr ybr`` (two decimals, as CVAT
writes them), polygons and keypoints as ``"x,y;x,y"``, class annotations as ``<tag>``; a polygon imported
from a rotated box goes back as that box. Keypoints of a class that declares its points go as a ``<skeleton>``
of a skeleton label (see :mod:`labelhub.formats._cvat_skeleton`). Masks and spans have no CVAT shape here and
are left out.
Scalar attributes become ``<attribute>`` children. ``<meta>`` declares on each label the project's attributes
that apply to it, those the imported file declared on it (``format_meta["cvat"]["labels"]``) and those its
shapes carry (see :mod:`labelhub.formats._cvat_attributes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import AnnotationKind, ItemKind, Source
from labelhub.domain.keypoints import Skeleton
from labelhub.domain.records import AnnotationRecord
from labelhub.domain.schema import PALETTE
from labelhub.errors import FormatError
from labelhub.formats._attributes import schema_attributes
from labelhub.formats._common import AtomicDir, AtomicFile, copy_media, is_safe_relative
from labelhub.formats._cvat_attributes import Seen, declare, seen_from
from labelhub.formats._cvat_common import RESERVED
from labelhub.formats._cvat_skeleton import point_elements, sublabel_elements, svg_text
from labelhub.formats._export_base import FileOrFolderExporter, Spool
from labelhub.formats._keypoint_schema import schema_keypoints
from labelhub.formats.base import ExportItem, ExportOptions

XML_HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
XML_TAIL = b"</annotations>\n"
_SHAPE_TAGS = {AnnotationKind.BOX: "box", AnnotationKind.TRACK_BOX: "box", AnnotationKind.POLYGON: "polygon",
               AnnotationKind.KEYPOINTS: "points", AnnotationKind.CLASS: "tag"}  # fmt: skip


def num(value: float) -> str:
    """Return a coordinate as CVAT writes it: two decimals."""
    return f"{value:.2f}"


def _attr_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return value
    return None  # lists, dicts and None have no CVAT attribute form


@dataclass(slots=True)
class LabelCatalog:
    """The labels to declare in ``<meta>``: the project's, in order, then any met while writing.

    ``specs`` are the imported file's label declarations (``format_meta["cvat"]["labels"]``) by name, and
    ``attributes`` the project's attribute declarations (see :mod:`labelhub.formats._cvat_attributes`).
    """

    order: list[str]
    specs: dict[str, dict[str, Any]]
    attributes: list[AttributeSpec] = field(default_factory=list)
    seen: dict[str, dict[str, Seen]] = field(default_factory=dict)
    skeletons: dict[str, Skeleton] = field(default_factory=dict)  # declared as CVAT skeletons (images only)

    @classmethod
    def build(cls, labels: list[str], options: ExportOptions) -> LabelCatalog:
        meta = options.extra.get("format_meta")
        cvat = meta.get("cvat") if isinstance(meta, dict) else None
        known = cvat.get("labels") if isinstance(cvat, dict) else None
        specs = {s["name"]: s for s in known or [] if isinstance(s, dict) and isinstance(s.get("name"), str)}
        attributes = [a for a in schema_attributes(options.extra) if a.name not in RESERVED]
        return cls(order=list(dict.fromkeys(labels)), specs=specs, attributes=attributes)

    def use(self, label: str, attributes: list[tuple[str, Any]]) -> None:
        """Note a label and the attributes a shape of it carries."""
        if label not in self.seen:
            self.seen[label] = {}
            if label not in self.order:
                self.order.append(label)
        seen = self.seen[label]
        for name, value in attributes:
            entry = seen.get(name)
            if entry is None:
                seen[name] = seen_from(value)
            else:
                entry.note(value)

    def element(self) -> Element:
        """Return the ``<labels>`` element."""
        labels = Element("labels")
        for i, name in enumerate(self.order):
            spec = self.specs.get(name, {})
            label = SubElement(labels, "label")
            SubElement(label, "name").text = name
            SubElement(label, "color").text = spec.get("color") or PALETTE[i % len(PALETTE)]
            sk = self.skeletons.get(name)
            kept = spec.get("type") or "any"
            SubElement(label, "type").text = "skeleton" if sk else "points" if kept == "skeleton" else kept
            hints = spec.get("attributes")
            declare(SubElement(label, "attributes"), name, hints if isinstance(hints, list) else [],
                    self.attributes, self.seen.get(name, {}))  # fmt: skip
            if sk is not None:
                SubElement(label, "svg").text = svg_text(sk, spec.get("layout"))
                labels.extend(sublabel_elements(sk, name, PALETTE[i + 1 :] + PALETTE[: i + 1]))
        return labels


def dumped_at(options: ExportOptions) -> str:
    """Return the time ``<meta><dumped>`` states: when the exported data last changed, not when it was written.

    The export service passes the newest change to the project (its settings, items and annotations) as the
    option ``changed_at``. The clock's time would make two exports of the same data differ in this one line,
    so a diff or a checksum could not tell that nothing changed; ``SOURCE_DATE_EPOCH`` would need every user
    to set it. The clock is used only when an exporter is run without the service (and so without the time).
    """
    changed = options.extra.get("changed_at")
    when = changed if isinstance(changed, datetime) else datetime.now(UTC)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(sep=" ", timespec="seconds")


def meta_element(
    catalog: LabelCatalog, task: dict[str, str], size: tuple[int, int] | None = None, *, dumped: str
) -> Element:
    """Return ``<meta>`` with the task's facts (in order), its labels, for video ``original_size``, and
    ``<dumped>`` (see :func:`dumped_at`)."""
    meta = Element("meta")
    node = SubElement(meta, "task")
    for key, text in task.items():
        SubElement(node, key).text = text
    node.append(catalog.element())
    if size is not None:
        original = SubElement(node, "original_size")
        SubElement(original, "width").text = str(size[0])
        SubElement(original, "height").text = str(size[1])
    SubElement(meta, "dumped").text = dumped
    return meta


def serialise(elem: Element) -> bytes:
    """Return an element indented one level below the root, with a newline."""
    indent(elem, space="  ", level=1)
    text: bytes = tostring(elem, encoding="utf-8", xml_declaration=False)
    return b"  " + text + b"\n"


def _unrotated(points: list[float]) -> list[float] | None:
    """Return the box ``[x1, y1, x2, y2]`` that turned about its centre has the four corners ``points``."""
    if len(points) != 8:
        return None
    xs, ys = points[0::2], points[1::2]
    cx, cy = sum(xs) / 4, sum(ys) / 4
    w = math.dist(points[0:2], points[2:4])
    h = math.dist(points[2:4], points[4:6])
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] if w > 0 and h > 0 else None


def shape_element(ann: AnnotationRecord, catalog: LabelCatalog, label: str | None, **flags: str) -> Element | None:
    """Return the CVAT element of one annotation (None for kinds CVAT has no shape for here).

    ``label`` is written on the element (shapes on images); a track's shapes pass None and carry ``flags``
    such as ``frame``, ``outside`` and ``keyframe`` instead.
    """
    tag = _SHAPE_TAGS.get(ann.kind)
    if tag is None:
        return None
    attrs = ann.attributes
    elem = Element(tag)
    if label is not None:
        elem.set("label", label)
        elem.set("source", "auto" if ann.source is Source.MODEL else "manual")
    for key, value in flags.items():
        elem.set(key, value)
    if tag != "tag":
        elem.set("occluded", "1" if attrs.get("occluded") else "0")
    g = ann.geometry
    raw_turn = attrs.get("rotation")
    turn = float(raw_turn) % 360 if isinstance(raw_turn, int | float) and not isinstance(raw_turn, bool) else 0.0
    box = g.get("bbox")
    if ann.kind is AnnotationKind.POLYGON and turn:
        box = _unrotated([float(v) for v in g["points"]])
        tag = elem.tag = "box" if box is not None else tag
    if tag == "box" and box is not None:
        for key, value in zip(("xtl", "ytl", "xbr", "ybr"), box, strict=True):
            elem.set(key, num(float(value)))
        if ann.kind is AnnotationKind.POLYGON:
            elem.set("rotation", num(turn))
    elif tag in ("polygon", "points"):
        pts = [float(v) for v in g["points"]]
        step = 3 if ann.kind is AnnotationKind.KEYPOINTS else 2
        elem.set("points", ";".join(f"{num(pts[i])},{num(pts[i + 1])}" for i in range(0, len(pts), step)))
    if tag != "tag":
        elem.set("z_order", str(int(attrs.get("z_order") or 0)))
    if attrs.get("group_id"):
        elem.set("group_id", str(attrs["group_id"]))
    extra = [(k, v) for k, v in attrs.items() if k not in RESERVED and _attr_text(v) is not None]
    catalog.use(label or ann.label or "", extra)
    for key, value in extra:
        SubElement(elem, "attribute", name=key).text = _attr_text(value)
    return elem


class CvatImagesExporter(FileOrFolderExporter):
    """Writes CVAT for images 1.1: ``dest`` as one .xml file, or a folder with ``annotations.xml`` and
    ``images/`` (with ``copy_media``), the layout of CVAT's own export zip."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._catalog = LabelCatalog.build(labels, options)
        self._catalog.skeletons = schema_keypoints(options.extra)
        self._body = Spool(dest, ".body")
        self._count = 0
        self._names: set[str] = set()

    def open(self) -> None:
        """Start the destination and the buffer the ``<image>`` elements wait in until ``<meta>`` is known."""
        super().open()
        self._body.open()

    def write(self, item: ExportItem) -> None:
        """Write one ``<image>`` with its shapes, and copy its file with ``copy_media``."""
        out = self._opened("write")
        rec = item.record
        if rec.kind is not ItemKind.IMAGE:
            raise FormatError(f"item {rec.name!r} is a {rec.kind.value}; export videos as cvat_video", item=rec.name)
        if rec.name in self._names:
            raise FormatError(f"two items are named {rec.name!r}", item=rec.name)
        self._names.add(rec.name)
        image = Element("image", id=str(self._count), name=rec.name)
        if rec.width and rec.height:
            image.set("width", str(rec.width))
            image.set("height", str(rec.height))
        if rec.split:
            image.set("subset", rec.split)
        for ann in rec.annotations:
            # Frames belong to videos, and a shape without a label cannot be written.
            elem = None if ann.frame is not None or ann.label is None else self._shape(ann, ann.label)
            if elem is None:
                self.tally.skip(ann)
                continue
            image.append(elem)
            self.tally.annotations += 1
        self._body.write(serialise(image))
        self._count += 1
        if isinstance(out, AtomicDir) and self.wants_media(item) and item.media_file is not None:
            if not is_safe_relative(rec.name):
                raise FormatError(f"item name {rec.name!r} cannot be used as a file path", item=rec.name)
            copy_media(item.media_file, out.path(f"images/{rec.name}"))

    def _shape(self, ann: AnnotationRecord, label: str) -> Element | None:
        """Return the element of one annotation: a ``<skeleton>`` for keypoints of a class declaring its points."""
        sk = self._catalog.skeletons.get(label) if ann.kind is AnnotationKind.KEYPOINTS else None
        if sk is None:
            return shape_element(ann, self._catalog, label)
        points = point_elements(
            sk, ann.geometry.get("points") or [], "auto" if ann.source is Source.MODEL else "manual", num
        )
        if not points:
            return None  # not one triple per declared point (stored before the class declared them)
        elem = shape_element(ann, self._catalog, label)
        if elem is not None:
            elem.tag = "skeleton"
            elem.attrib.pop("points", None)
            for j, point in enumerate(points):
                elem.insert(j, point)
        return elem

    def _complete(self, out: AtomicFile | AtomicDir) -> None:
        """Write ``<meta>``, then the buffered images."""
        name = str(self.options.extra.get("project_name") or self.dest.stem)  # the project, as CVAT names a task
        task = {"name": name, "size": str(self._count), "mode": "annotation", "overlap": "0",
                "bugtracker": "", "flipped": "False"}  # fmt: skip
        head = XML_HEAD + serialise(meta_element(self._catalog, task, dumped=dumped_at(self.options)))
        if isinstance(out, AtomicFile):
            self._assemble(out.handle, head)
        else:
            with out.path("annotations.xml").open("wb") as fh:
                self._assemble(fh, head)

    def _assemble(self, out: IO[bytes], head: bytes) -> None:
        out.write(head)
        self._body.copy_to(out)
        out.write(XML_TAIL)

    def _release(self) -> None:
        self._body.close()
