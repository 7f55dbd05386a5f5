"""CVAT for images 1.1: one XML file, an ``<image>`` per item with its boxes, polygons, points and tags.

The source is the XML file, or a folder holding ``annotations.xml`` (CVAT's export zip, unpacked) with the images
under ``images/``. ``<box xtl ytl xbr ybr>`` becomes a box ``[x1, y1, x2, y2]``, ``<polygon>`` a polygon,
``<points>`` keypoints (each point visible), ``<skeleton>`` keypoints of its label's declared points (see
:mod:`labelhub.formats._cvat_skeleton`; ``schema_meta`` carries each skeleton label's ``keypoints`` and
``skeleton``, which the import declares on classes without their own), ``<tag>`` a class annotation; a rotated box
becomes the polygon of its corners (its ``rotation`` kept as an attribute). ``occluded``, a non-zero ``z_order`` and
``group_id`` and every ``<attribute>`` are kept as annotation attributes, typed by the label's attribute spec
(checkbox -> bool, number -> number; an attribute the file does not declare, by the project's declaration). The
attributes ``<meta>`` declares are declared in the project, and ``occluded`` when the shapes carry it (see
:mod:`labelhub.formats._cvat_attributes`, ``occluded_spec``). The labels of ``<meta>`` keep their order, and their
colours, types and attribute specs are kept in the project's format metadata (``schema_meta``) so an export declares
them again. Polylines, ellipses, cuboids and masks are reported as not supported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._common import MediaResolver, checked_size, is_safe_relative
from labelhub.formats._cvat_attributes import input_types, occluded_spec, specs_from_labels
from labelhub.formats._cvat_common import (
    CvatMeta,
    find_xml,
    line_of,
    parse_meta,
    sniff_mode,
    top_level,
    whole,
)
from labelhub.formats._cvat_export import CvatImagesExporter
from labelhub.formats._cvat_shapes import ShapeReader
from labelhub.formats._guards import MAX_INT, find_media, storable
from labelhub.formats._mismatch import not_this_format
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["CvatImagesExporter", "CvatImagesImporter", "detect", "read_meta"]


def detect(path: Path) -> bool:
    """Return True when ``path`` is a CVAT 1.1 XML file (or a folder with one) whose items are ``<image>``s."""
    return sniff_mode(path) == "images"


def read_meta(xml_path: Path) -> CvatMeta:
    """Return the ``<meta>`` block at the head of a CVAT file (empty when the file has none)."""
    for elem in top_level(xml_path):
        if elem.tag == "meta":
            return parse_meta(elem, xml_path)
        if elem.tag != "version":
            break  # <meta> comes first: the items have begun
    return CvatMeta()


def _int(value: str | None) -> int | None:
    """Return a size attribute as a positive integer, or None when it is not one (the header is read then)."""
    number = whole(value)
    return number if number is not None and 0 < number <= MAX_INT else None


class CvatImagesImporter(FormatImporter):
    """Reads a CVAT for images 1.1 file; yields one image item per ``<image>`` element."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        try:
            self.xml_path = find_xml(source)
        except FormatError as exc:
            raise not_this_format(source, "cvat_images", exc.detail) from None
        self._file = str(self.xml_path)
        self._meta: CvatMeta | None = None
        self._occluded = False  # whether a shape read so far carried CVAT's occluded flag

    def meta(self) -> CvatMeta:
        """Return the file's ``<meta>`` (read once)."""
        if self._meta is None:
            self._meta = read_meta(self.xml_path)
        return self._meta

    def labels(self) -> list[str]:
        """Return the labels ``<meta>`` declares, in its order."""
        return self.meta().names

    def total(self) -> int | None:
        """Return the task size ``<meta>`` states, when it does."""
        return self.meta().size

    def schema_meta(self) -> dict[str, Any]:
        """Return ``{"cvat": {"labels": [...]}}``: each label's colour, type and attribute specs, for export."""
        labels = self.meta().labels
        return {"cvat": {"labels": labels}} if labels else {}

    def attribute_specs(self) -> list[AttributeSpec]:
        """Return the attributes ``<meta>`` declares, one per label and attribute (see ``_cvat_attributes``), and
        once the records were read, ``occluded`` when a shape carried it (see ``occluded_spec``)."""
        specs = specs_from_labels(self.meta().labels)
        return specs + occluded_spec(self.options.extra, specs, video=False) if self._occluded else specs

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield per ``<image>`` its problems and then the item, reading the file once, element by element."""
        return storable(self._records(), self.xml_path)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        folder = self.xml_path.parent
        resolver = MediaResolver(self.options.images_dir, [folder / "images", folder])
        reader = ShapeReader(self.xml_path, self.meta(), input_types(self.options.extra))
        seen: dict[str, int | None] = {}
        for elem in top_level(self.xml_path):
            if elem.tag == "image":
                yield from self._image(elem, reader, resolver, seen)
                self._occluded = self._occluded or reader.occluded
            elif elem.tag == "track":
                msg = "<track> elements belong to CVAT for video: import this file with the cvat_video format"
                yield Problem(msg, file=self._file, line=line_of(elem), field="track")

    def _image(
        self, elem: Element, reader: ShapeReader, resolver: MediaResolver, seen: dict[str, int | None]
    ) -> Iterator[ItemRecord | Problem]:
        line = line_of(elem)
        name = (elem.get("name") or "").replace("\\", "/")
        if not is_safe_relative(name):
            msg = f"<image> name must be a relative path without '..', got {elem.get('name')!r}"
            yield Problem(msg, file=self._file, line=line, field="name")
            return
        if name in seen:
            yield Problem(f"image {name!r} is listed twice (first at line {seen[name]})", file=self._file, line=line)
            return
        seen[name] = line
        annotations: list[AnnotationRecord] = []
        for child in elem:
            rec = reader.shape(child, None, image=name)
            if isinstance(rec, Problem):
                yield rec
            else:
                annotations.append(rec)
        item = ItemRecord(
            kind=ItemKind.IMAGE,
            name=name,
            width=_int(elem.get("width")),
            height=_int(elem.get("height")),
            external_id=elem.get("id"),
            split=elem.get("subset") or None,
            annotations=annotations,
            origin=f"{self.xml_path.name}: line {line}",
        )
        if self.options.media != "none":
            found = find_media(resolver, name)
            if found is None:
                where = ", ".join(str(f) for f in resolver.folders) or "no existing folder"
                msg = f"image file {name!r} not found (looked in {where})"
                yield Problem(msg, file=self._file, line=line, field="name")
                return
            item.media_path = found
            try:  # the file is stored anyway: one header read checks it is an image of the declared size
                item.width, item.height = checked_size(found, item.width, item.height)
            except FormatError as exc:
                yield Problem(exc.detail, file=self._file, line=line, field=exc.context.get("field", "name"))
                return
        yield item
