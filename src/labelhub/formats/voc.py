"""Pascal VOC XML: one ``<annotation>`` file per image with an ``<object>`` (name, bndbox, flags) per box.

Layouts: a VOC folder (``Annotations/*.xml``, ``JPEGImages/``, optional ``ImageSets/Main/{train,val,test}.txt``
naming each split's image ids), found directly or one or two folders down (``VOCdevkit/VOC2012``); or a flat
folder of ``.xml`` files next to their images (as labelImg saves them). ``images_dir`` overrides where images
are looked up. The XML is parsed with defusedxml, refusing any DTD or entity with a FormatError naming the file.

Coordinates: VOC boxes are 1-based and pixel-inclusive: ``xmin = 1`` is the first pixel column and
``xmax = width`` the last, so a box spans ``xmax - xmin + 1`` pixels. In labelhub's continuous top-left
convention that box is ``[xmin - 1, ymin - 1, xmax, ymax]``; the exporter writes ``xmin = round(x1) + 1``,
``xmax = round(x2)`` (clamped to the image), so a round trip moves an edge by at most half a pixel. ``xmax ==
xmin`` is a box one pixel wide and is accepted; ``xmax < xmin`` is not. A box must lie in the image:
``xmax <= width``, ``ymax <= height``; ``xmin = 0`` (written by tools that count from 0) is accepted as the edge.

Kept per object: ``truncated``, ``difficult``, ``occluded`` (integers 0 or 1; true or false when the project
declares the attribute as a bool) and ``pose`` (text) as attributes. Part
boxes (``<part>``), actions and ``<segmented>`` are not read. ``<size>`` gives the image size; when it is
absent or zero the image header is read instead (so metadata-only imports need ``<size>``). VOC declares no
class list: labels come in the order objects name them, or from a ``labels.txt`` (one name a line) when the
folder has one, as the exporter writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import parse as parse_xml

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._attributes import declared_bools
from labelhub.formats._common import IMAGE_EXTENSIONS, absolute, checked_size, is_safe_relative
from labelhub.formats._guards import is_file, read_names, storable
from labelhub.formats._mismatch import not_this_format
from labelhub.formats._nesting import MAX_XML_DEPTH, XmlTooDeep
from labelhub.formats._voc_export import VocExporter
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["VocExporter", "VocImporter", "detect"]

SPLITS = ("train", "val", "test")
_FLAGS = ("truncated", "difficult", "occluded")
_BOX_KEYS = ("xmin", "ymin", "xmax", "ymax")
_FLAG_VALUES = {"0": 0, "1": 1, "false": 0, "true": 1}
_HEAD = re.compile(rb"<annotation[\s>]")
_MAX_XML_BYTES = 16 << 20  # one image's objects fit in kilobytes; refuse what would only fill memory
_LINE = " line"  # XML names cannot hold a space, so no document can set this attribute itself


class _LineParser(DefusedXMLParser):  # type: ignore[misc]  # defusedxml ships no type information
    """defusedxml's parser, noting the line of every start tag so problems can name it, and refusing elements
    nested deeper than :data:`MAX_XML_DEPTH`."""

    depth = 0

    def _start(self, tag: str, attr_list: list[str]) -> Element:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise XmlTooDeep(self.parser.CurrentLineNumber)
        elem: Element = super()._start(tag, attr_list)
        elem.attrib[_LINE] = str(self.parser.CurrentLineNumber)
        return elem

    def _end(self, tag: str) -> Element:
        self.depth -= 1
        elem: Element = super()._end(tag)
        return elem


def _line(elem: Element | None) -> int | None:
    value = elem.get(_LINE) if elem is not None else None
    return int(value) if value is not None else None


def find_root(source: Path) -> Path | None:
    """Return the VOC folder (the one holding ``Annotations/``) at or just under ``source``, or None."""
    if (source / "Annotations").is_dir():
        return source
    found = [p.parent for p in (*source.glob("*/Annotations"), *source.glob("*/*/Annotations")) if p.is_dir()]
    return found[0] if len(found) == 1 else None


def _looks_like_voc(xml: Path) -> bool:
    try:
        with xml.open("rb") as fh:
            return _HEAD.search(fh.read(4096)) is not None
    except OSError:
        return False


def detect(path: Path) -> bool:
    """Return True for a VOC folder, or a folder whose first ``.xml`` file has an ``<annotation>`` root."""
    try:
        if not path.is_dir():
            return False
        if find_root(path) is not None:
            return True
        first = next(iter(sorted(p for p in path.glob("*.xml") if p.is_file())), None)
        return first is not None and _looks_like_voc(first)
    except OSError:
        return False


def _xml_files(folder: Path) -> list[Path]:
    """Return the ``.xml`` files under ``folder``, sorted, skipping hidden files and folders."""
    return sorted(
        p
        for p in folder.rglob("*.xml")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _text(parent: Element, tag: str) -> str | None:
    elem = parent.find(tag)
    text = elem.text.strip() if elem is not None and elem.text is not None else None
    return text or None


class VocImporter(FormatImporter):
    """Reads a Pascal VOC folder; yields one image item per XML file with its boxes."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if not source.is_dir():
            msg = f"{source} is not a folder: a VOC import reads a folder of XML files"
            raise not_this_format(source, "voc", msg)
        root = find_root(source)
        self.standard = root is not None
        self.root = root if root is not None else source
        self.xml_dir = self.root / "Annotations" if self.standard else self.root
        self.xml_files = _xml_files(self.xml_dir)
        if not self.xml_files:
            raise FormatError(f"no .xml files in {self.xml_dir}", file=str(self.xml_dir))
        self._splits: dict[str, str] = {}
        self._split_problems: list[Problem] = []
        self._bools = declared_bools(options.extra)  # flags the project declares as bools
        if self.standard:
            self._read_image_sets()

    def labels(self) -> list[str]:
        """Return the names in ``labels.txt`` when the folder has one; VOC itself declares no classes."""
        path = self.root / "labels.txt"
        if not path.is_file():
            return []
        return list(dict.fromkeys(read_names(path)))

    def total(self) -> int | None:
        """Return the number of XML files."""
        return len(self.xml_files)

    def _read_image_sets(self) -> None:
        """Read ``ImageSets/Main/{train,val,test}.txt`` (or ``trainval.txt`` alone) into image id -> split."""
        main = self.root / "ImageSets" / "Main"
        present = [s for s in SPLITS if (main / f"{s}.txt").is_file()]
        if not present and (main / "trainval.txt").is_file():
            present = ["trainval"]
        known = {self._xml_id(p) for p in self.xml_files}
        for split in present:
            path = main / f"{split}.txt"
            try:
                with path.open(encoding="utf-8") as fh:
                    for n, line in enumerate(fh, start=1):
                        image_id = line.split()[0] if line.split() else None
                        if image_id is None:
                            continue
                        if image_id not in known:
                            msg = f"image id {image_id!r} has no Annotations/{image_id}.xml"
                            self._split_problems.append(Problem(msg, file=str(path), line=n))
                        elif self._splits.setdefault(image_id, split) != split:
                            msg = f"image id {image_id!r} is already in split {self._splits[image_id]!r}"
                            self._split_problems.append(Problem(msg, file=str(path), line=n))
            except (OSError, UnicodeDecodeError) as exc:
                raise FormatError(f"cannot read {path}: {exc}", file=str(path)) from None

    def _xml_id(self, xml: Path) -> str:
        return xml.relative_to(self.xml_dir).with_suffix("").as_posix()

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield the split list problems, then per XML file its problems and then its item."""
        return storable(self._records(), self.root)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        yield from self._split_problems
        seen: dict[str, str] = {}
        for xml in self.xml_files:
            for rec in self._read(xml):
                if isinstance(rec, ItemRecord):
                    first = seen.setdefault(rec.name, str(xml))
                    if first != str(xml):
                        yield Problem(
                            f"image {rec.name!r} is also annotated by {first}", file=str(xml), field="filename"
                        )
                        continue
                yield rec

    def _parse(self, xml: Path) -> Element | Problem:
        parser = _LineParser(target=TreeBuilder(), forbid_dtd=True)
        file = str(xml)
        try:
            if xml.stat().st_size > _MAX_XML_BYTES:
                return Problem(
                    f"{xml.name} is over {_MAX_XML_BYTES >> 20} MiB, too large for one image's annotation", file=file
                )
            root: Element = parse_xml(str(xml), parser=parser).getroot()
        except DefusedXmlException as exc:
            msg = f"{xml.name} declares a DTD or an entity ({exc!r}), which is refused: VOC files have none"
            raise FormatError(msg, file=file, line=parser.parser.CurrentLineNumber) from None
        except ParseError as exc:
            line = exc.position[0] if exc.position else None
            return Problem(f"{xml.name} is not well-formed XML: {exc}", file=file, line=line)
        except XmlTooDeep as exc:
            return Problem(f"{xml.name}: {exc}, which is refused", file=file, line=exc.line)
        except (LookupError, ValueError) as exc:  # an encoding Python does not know, or expat cannot read
            msg = f"{xml.name} declares an encoding that cannot be read: {str(exc)[:100]}"
            return Problem(msg, file=file, line=1, field="encoding")
        except OSError as exc:
            return Problem(f"cannot read {xml.name}: {exc}", file=file)
        if root.tag != "annotation":
            msg = f"{xml.name} is not a VOC file: the root element is <{root.tag}>, not <annotation>"
            return Problem(msg, file=file, line=_line(root))
        return root

    def _read(self, xml: Path) -> Iterator[ItemRecord | Problem]:
        root = self._parse(xml)
        if isinstance(root, Problem):
            yield root
            return
        file, xml_id = str(xml), self._xml_id(xml)
        found = self._image(root, xml, xml_id)
        if isinstance(found, Problem):
            yield found
            return
        name, media = found
        size = self._size(root, xml, media)
        if isinstance(size, Problem):
            yield size
            return
        width, height = size
        boxes: list[AnnotationRecord] = []
        for i, obj in enumerate(root.findall("object")):
            rec = _object(obj, i, width, height, file, self._bools)
            if isinstance(rec, Problem):
                yield rec
                continue
            rec.origin = f"{xml.relative_to(self.root).as_posix()}: object[{i}]"
            boxes.append(rec)
        yield ItemRecord(
            kind=ItemKind.IMAGE,
            name=name,
            media_path=media,
            width=width,
            height=height,
            external_id=xml_id,
            split=self._splits.get(xml_id),
            annotations=boxes,
            origin=xml.relative_to(self.root).as_posix(),
        )

    def _image(self, root: Element, xml: Path, xml_id: str) -> tuple[str, Path | None] | Problem:
        """Return the item name and the image file of an annotation file (None when media is not read)."""
        filename = _text(root, "filename")
        if filename is not None:
            filename = filename.replace("\\", "/")
            if not is_safe_relative(filename):
                msg = f"<filename> must be a relative path without '..', got {filename!r}"
                return Problem(msg, file=str(xml), line=_line(root.find("filename")), field="filename")
        if self.options.images_dir is not None:
            base, prefix = self.options.images_dir, ""
        elif self.standard:
            base, prefix = self.root / "JPEGImages", ""
        else:
            base = xml.parent
            rel_dir = xml.parent.relative_to(self.root).as_posix()
            prefix = "" if rel_dir == "." else f"{rel_dir}/"
        stem = xml_id if self.standard or self.options.images_dir is not None else xml.stem
        # <filename> names the image; when it is missing (or names no file), an image with the XML's stem will do.
        candidates = ([filename] if filename else []) + [stem + ext for ext in sorted(IMAGE_EXTENSIONS)]
        if self.options.media == "none":
            if filename is None:
                return Problem("<filename> is missing", file=str(xml), field="filename")
            return prefix + filename, None
        for candidate in candidates:
            if is_file(base / candidate):
                return prefix + candidate, absolute(base / candidate)
        what = f"image file {filename!r}" if filename else f"an image named {stem}.*"
        msg = f"{what} not found in {base}"
        return Problem(msg, file=str(xml), line=_line(root.find("filename")), field="filename")

    def _size(self, root: Element, xml: Path, media: Path | None) -> tuple[int, int] | Problem:
        size = root.find("size")
        dims: list[int] = []
        for tag in ("width", "height"):
            text = _text(size, tag) if size is not None else None
            try:
                value = float(text) if text is not None else 0.0
            except ValueError:
                value = -1.0
            if not math.isfinite(value) or value < 0 or not value.is_integer():
                msg = f"<size><{tag}> must be a whole number of pixels, got {text!r}"
                return Problem(msg, file=str(xml), line=_line(size), field=f"size.{tag}")
            dims.append(int(value))
        declared = dims[0] > 0 and dims[1] > 0
        if media is None:
            if declared:
                return dims[0], dims[1]
            msg = "<size> is missing or zero and the image is not read (metadata-only import)"
            return Problem(msg, file=str(xml), field="size")
        try:  # the file is stored anyway: one header read checks it is an image of the declared size
            return checked_size(media, dims[0] if declared else None, dims[1] if declared else None)
        except FormatError as exc:
            field = exc.context.get("field")
            line = _line(size) if field else _line(root.find("filename"))
            return Problem(exc.detail, file=str(xml), line=line, field=f"size.{field}" if field else "filename")


def _object(
    obj: Element, i: int, width: int, height: int, file: str, bools: frozenset[str] = frozenset()
) -> AnnotationRecord | Problem:
    """Return the box of one ``<object>``, or a Problem naming the field that is wrong."""
    where = f"object[{i}]"
    label = _text(obj, "name")
    if label is None:
        return Problem(f"{where} has no <name>", file=file, line=_line(obj), field=f"{where}.name")
    bndbox = obj.find("bndbox")
    if bndbox is None:
        return Problem(f"{where} ({label}) has no <bndbox>", file=file, line=_line(obj), field=f"{where}.bndbox")
    values: dict[str, float] = {}
    for key in _BOX_KEYS:
        text = _text(bndbox, key)
        field, line = f"{where}.bndbox.{key}", _line(bndbox.find(key)) or _line(bndbox)
        try:
            values[key] = float(text) if text is not None else math.nan
        except ValueError:
            values[key] = math.nan
        if not math.isfinite(values[key]):
            return Problem(
                f"{where} ({label}): <{key}> must be a number, got {text!r}", file=file, line=line, field=field
            )
    xmin, ymin, xmax, ymax = (values[k] for k in _BOX_KEYS)
    bad: tuple[str, str] | None = None
    if xmin < 0 or ymin < 0:
        bad = ("xmin" if xmin < 0 else "ymin", f"is negative ({xmin:g}, {ymin:g})")
    elif xmax < 1 or ymax < 1:
        key = "xmax" if xmax < 1 else "ymax"
        bad = (key, f"= {values[key]:g} is outside the image (VOC pixels count from 1)")
    elif xmax > width or ymax > height:
        key = "xmax" if xmax > width else "ymax"
        bad = (key, f"= {values[key]:g} is outside the {width}x{height} image")
    elif xmax < xmin or ymax < ymin:
        key = "xmax" if xmax < xmin else "ymax"
        bad = (key, f"is less than {key[0]}min ({xmin:g}, {ymin:g}, {xmax:g}, {ymax:g})")
    if bad is not None:
        key, why = bad
        line = _line(bndbox.find(key)) or _line(bndbox)
        return Problem(f"{where} ({label}): {key} {why}", file=file, line=line, field=f"{where}.bndbox.{key}")
    attributes: dict[str, Any] = {}
    for flag in _FLAGS:
        text = _text(obj, flag)
        if text is None:
            continue
        value = _FLAG_VALUES.get(text.lower())
        if value is None:
            msg = f"{where} ({label}): <{flag}> must be 0 or 1, got {text!r}"
            return Problem(msg, file=file, line=_line(obj.find(flag)), field=f"{where}.{flag}")
        attributes[flag] = bool(value) if flag in bools else value
    pose = _text(obj, "pose")
    if pose is not None:
        attributes["pose"] = pose
    # 1-based inclusive pixels to continuous coordinates; xmin 0 (a 0-based writer) stays on the image edge.
    x1, y1 = max(xmin - 1, 0.0), max(ymin - 1, 0.0)
    return AnnotationRecord(AnnotationKind.BOX, label, {"bbox": [x1, y1, xmax, ymax]}, attributes=attributes)
