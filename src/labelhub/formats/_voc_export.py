"""The Pascal VOC exporter: ``Annotations/<name>.xml`` per image, ``ImageSets/Main/<split>.txt``, ``JPEGImages/``.

Boxes leave in VOC's 1-based, pixel-inclusive integers: ``xmin = round(x1) + 1``, ``ymin = round(y1) + 1``,
``xmax = round(x2)``, ``ymax = round(y2)``, clamped to the image (``1 <= xmin <= xmax <= width``), so reading
the file back gives every edge within half a pixel (a box under a pixel wide becomes one pixel wide).
``truncated``, ``difficult``, ``occluded`` and ``pose`` come from the annotation's attributes (``pose``
``Unspecified`` and the flags 0 when absent; ``occluded`` only when set). Only boxes are written: VOC detection
XML has no polygons, masks, keypoints or tags (the tally counts those as left out, by kind). Items with a split
are listed in ``ImageSets/Main/<split>.txt`` by image id (the name without its extension); items without one are
in no list. ``labels.txt`` keeps the class order, and ``JPEGImages/`` gets the images when ``copy_media`` is set
(an item without a stored image fails the export, naming it).

The XML is built with the standard library's ElementTree, which escapes text; characters XML 1.0 cannot hold
(control characters) are refused with an error naming the item, so every file written can be read back.
"""

from __future__ import annotations

import math
import re
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, copy_media, image_size, is_safe_relative, labelled_boxes, safe_component
from labelhub.formats._export_base import FolderExporter
from labelhub.formats.base import ExportItem, ExportOptions

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _round(v: float) -> int:
    # Half up, not Python's half-to-even: neighbouring edges then never swap order.
    return math.floor(v + 0.5)


def voc_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> tuple[int, int, int, int]:
    """Return ``xmin, ymin, xmax, ymax`` in VOC's 1-based inclusive pixels for a box in labelhub's coordinates."""
    xmin = min(max(_round(x1) + 1, 1), width)
    ymin = min(max(_round(y1) + 1, 1), height)
    xmax = min(max(_round(x2), xmin), width)
    ymax = min(max(_round(y2), ymin), height)
    return xmin, ymin, xmax, ymax


def _flag(value: object) -> str:
    return "1" if value in (1, True, "1", "true") else "0"


class VocExporter(FolderExporter):
    """Writes a VOC folder, one XML file per image item."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._names: dict[str, None] = dict.fromkeys(labels)
        self._written: dict[str, str] = {}  # image id -> item name
        self._lists: dict[str, IO[str]] = {}

    def _text(self, parent: Element, tag: str, value: object, item: str) -> None:
        text = str(value)
        if _NOT_XML.search(text):
            raise FormatError(f"<{tag}> {text!r} of item {item!r} holds characters XML cannot store", item=item)
        SubElement(parent, tag).text = text

    def write(self, item: ExportItem) -> None:
        """Write the item's XML file, list it in its split, and copy its image when ``copy_media`` is set."""
        out = self._opened("write")
        rec = item.record
        if rec.kind is not ItemKind.IMAGE:
            raise FormatError(f"item {rec.name!r} is a {rec.kind.value} item; VOC holds images", item=rec.name)
        if not is_safe_relative(rec.name):
            raise FormatError(f"item name {rec.name!r} cannot be used as a file path", item=rec.name)
        width, height = rec.width, rec.height
        if not width or not height:
            if item.media_file is None:
                msg = f"item {rec.name!r} has no width/height and no stored image, which VOC's <size> needs"
                raise FormatError(msg, item=rec.name)
            width, height = image_size(item.media_file)
        image_id = PurePosixPath(rec.name).with_suffix("").as_posix()
        if image_id in self._written:
            msg = f"items {self._written[image_id]!r} and {rec.name!r} would both write Annotations/{image_id}.xml"
            raise FormatError(msg, item=rec.name)
        root = Element("annotation")
        self._text(root, "folder", "JPEGImages", rec.name)
        self._text(root, "filename", rec.name, rec.name)
        source = SubElement(root, "source")
        self._text(source, "database", "labelhub", rec.name)
        size = SubElement(root, "size")
        for tag, value in (("width", width), ("height", height), ("depth", 3)):
            self._text(size, tag, value, rec.name)
        self._text(root, "segmented", 0, rec.name)
        for ann, label, x1, y1, x2, y2 in labelled_boxes(rec, "VOC"):
            if "\n" in label or "\r" in label:
                raise FormatError(f"label {label!r} of item {rec.name!r} has a line break", item=rec.name)
            self._names.setdefault(label)
            obj = SubElement(root, "object")
            self._text(obj, "name", label, rec.name)
            self._text(obj, "pose", ann.attributes.get("pose") or "Unspecified", rec.name)
            self._text(obj, "truncated", _flag(ann.attributes.get("truncated")), rec.name)
            self._text(obj, "difficult", _flag(ann.attributes.get("difficult")), rec.name)
            if "occluded" in ann.attributes:
                self._text(obj, "occluded", _flag(ann.attributes["occluded"]), rec.name)
            bndbox = SubElement(obj, "bndbox")
            for tag, value in zip(
                ("xmin", "ymin", "xmax", "ymax"), voc_box(x1, y1, x2, y2, width, height), strict=True
            ):
                self._text(bndbox, tag, value, rec.name)
        self.tally.count(rec.annotations, lambda a: a.kind is AnnotationKind.BOX)
        indent(root)
        with out.path(f"Annotations/{image_id}.xml").open("w", encoding="utf-8") as fh:
            ElementTree(root).write(fh, encoding="unicode")
            fh.write("\n")
        self._written[image_id] = rec.name
        if rec.split:
            split = safe_component(rec.split, "split", rec.name)
            handle = self._lists.get(split)
            if handle is None:
                # Kept open across write() calls and closed in _release(), so no with-block fits.
                handle = self._lists[split] = out.path(f"ImageSets/Main/{split}.txt").open("w", encoding="utf-8")
            handle.write(image_id + "\n")
        if self.wants_media(item) and item.media_file is not None:
            copy_media(item.media_file, out.path(f"JPEGImages/{rec.name}"))

    def _complete(self, out: AtomicDir) -> None:
        """Write labels.txt."""
        with out.path("labels.txt").open("w", encoding="utf-8") as fh:
            fh.writelines(f"{name}\n" for name in self._names)

    def _release(self) -> None:
        """Close the split lists."""
        for handle in self._lists.values():
            handle.close()
        self._lists = {}
