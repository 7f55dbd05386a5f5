"""What CVAT for images 1.1 and CVAT for video 1.1 share: a safe streaming XML reader and ``<meta>``.

Both formats are one XML file: ``<annotations><version>1.1</version><meta>...</meta>`` followed by ``<image>``
elements (images) or ``<track>`` elements (video). The file is read with defusedxml's ``iterparse``, which
refuses DTDs, entity declarations and external references (a FormatError naming the file); each top-level
element is handed over when it is complete and then dropped, so a large file is never held whole.

expat knows the line of each start tag only while it reads it, and ElementTree does not keep it: the small
parser subclass below stores it in the element under an attribute name no XML document can contain, so every
Problem names its line. Shapes are read by :mod:`labelhub.formats._cvat_shapes`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from labelhub.errors import FormatError
from labelhub.formats._cvat_skeleton import read_skeleton, sublabels
from labelhub.formats._guards import MAX_INT, bad_label
from labelhub.formats._nesting import MAX_XML_DEPTH, XmlTooDeep

LINE = " line"  # XML names cannot contain a space, so no document can set this attribute itself
#: labelhub's own element in ``<meta><task>``, for what CVAT 1.1 has no field for (``<fps>``); CVAT's loader and
#: Datumaro's CVAT reader pass over task elements they do not know.
LABELHUB_ELEMENT = "labelhub"
# Internal attributes written as XML attributes of the shape, never as <attribute> children.
RESERVED = frozenset({"occluded", "z_order", "group_id", "keyframe", "outside", "rotation"})
TRUE_WORDS = frozenset({"1", "true", "True", "TRUE", "yes"})
FALSE_WORDS = frozenset({"0", "false", "no", ""})  # compared lower-cased
UNDEFINED = "__undefined__"  # CVAT's value and default for "nothing chosen" in a select
_HEAD_BYTES = 1 << 20
# A size, frame number or id in ASCII digits; int() alone would take "²" for a digit and fail on it, and
# spend quadratic time on a 100,000-digit number.
_WHOLE = re.compile(r"[0-9]{1,18}")


class _LineParser(DefusedXMLParser):  # type: ignore[misc]  # defusedxml ships no type information
    """defusedxml's parser, noting the line of every start tag in the element it builds, and refusing elements
    nested deeper than :data:`MAX_XML_DEPTH`."""

    depth = 0

    def _start(self, tag: str, attr_list: list[str]) -> Element:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise XmlTooDeep(self.parser.CurrentLineNumber)
        elem: Element = super()._start(tag, attr_list)
        elem.attrib[LINE] = str(self.parser.CurrentLineNumber)
        return elem

    def _end(self, tag: str) -> Element:
        self.depth -= 1
        elem: Element = super()._end(tag)
        return elem


def line_of(elem: Element) -> int | None:
    """Return the line of ``elem``'s start tag in its file."""
    value = elem.get(LINE)
    return int(value) if value is not None else None


def find_xml(source: Path) -> Path:
    """Return the CVAT XML file ``source`` names: the file itself, ``annotations.xml`` in it, or its only .xml."""
    if source.is_file():
        if source.suffix.lower() != ".xml":
            raise FormatError(f"{source} is not an .xml file", file=str(source))
        return source
    if not source.is_dir():
        raise FormatError(f"{source} does not exist", file=str(source))
    if (source / "annotations.xml").is_file():
        return source / "annotations.xml"
    candidates = sorted(p for p in source.glob("*.xml") if p.is_file())
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise FormatError(f"no annotations.xml (or other .xml file) in {source}", file=str(source))
    names = ", ".join(p.name for p in candidates)
    raise FormatError(f"several .xml files in {source} ({names}); name the one to import", file=str(source))


def sniff_mode(source: Path) -> str | None:
    """Return ``"images"`` or ``"video"`` when ``source`` holds a CVAT 1.1 XML file, None otherwise.

    The first element after ``</meta>`` decides (an ``<image>`` or a ``<track>``); a file without any falls
    back to the task's ``<mode>`` (``interpolation`` is a video task).
    """
    try:
        path = find_xml(source)
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except (FormatError, OSError):
        return None
    if b"<annotations" not in head or b"<version>" not in head:
        return None
    _, _, after = head.partition(b"</meta>")
    first = re.search(rb"<(image|track)[\s>]", after)
    if first is not None:
        return "images" if first.group(1) == b"image" else "video"
    return "video" if b"<mode>interpolation</mode>" in head else "images"


def top_level(path: Path) -> Iterator[Element]:
    """Yield each complete child of the root ``<annotations>`` element, then forget it.

    Raises FormatError naming the file (and line) for malformed XML, a DTD, an entity or another root.
    """
    parser = _LineParser(target=TreeBuilder(), forbid_dtd=True)
    file = str(path)
    try:
        with path.open("rb") as fh:
            depth = 0
            root: Element | None = None
            for event, elem in iterparse(fh, events=("start", "end"), parser=parser):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = elem
                        if elem.tag != "annotations":
                            msg = f"{path.name} is not a CVAT XML file: its root is <{elem.tag}>, not <annotations>"
                            raise FormatError(msg, file=file, line=line_of(elem))
                    continue
                depth -= 1
                if depth == 1 and root is not None:
                    yield elem
                    root.clear()  # the element is done with: keep memory flat on big files
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FormatError(f"{path.name} is not well-formed XML: {exc.msg}", file=file, line=line) from None
    except DefusedXmlException as exc:
        msg = f"{path.name} declares a DTD or an entity ({exc}), which is refused: CVAT files have none"
        raise FormatError(msg, file=file, line=parser.parser.CurrentLineNumber) from None
    except XmlTooDeep as exc:
        raise FormatError(f"{path.name}: {exc}, which is refused", file=file, line=exc.line) from None
    except (LookupError, ValueError) as exc:  # an encoding Python does not know, or expat cannot read
        msg = f"{path.name} declares an encoding that cannot be read: {str(exc)[:100]}"
        raise FormatError(msg, file=file, line=1, field="encoding") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}", file=file) from None


@dataclass(slots=True)
class CvatMeta:
    """The ``<meta>`` block: labels (with colour, type and attribute specs) and the task's facts."""

    labels: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None
    size: int | None = None
    mode: str | None = None
    width: int | None = None
    height: int | None = None
    source: str | None = None
    fps: float | None = None  # labelhub's own <labelhub><fps>, written by its CVAT for video export

    @property
    def names(self) -> list[str]:
        return [label["name"] for label in self.labels]

    def input_types(self) -> dict[str, dict[str, str]]:
        """Return label -> attribute name -> CVAT input type (select, checkbox, radio, number, text)."""
        return {lab["name"]: {a["name"]: a.get("input_type", "text") for a in lab["attributes"]} for lab in self.labels}


def _text(elem: Element | None, path: str) -> str | None:
    found = elem.find(path) if elem is not None else None
    text = found.text.strip() if found is not None and found.text else None
    return text or None


def whole(text: str | None) -> int | None:
    """Return ``text`` as a non-negative integer when it is written in ASCII digits (at most 18), else None."""
    return int(text) if text is not None and _WHOLE.fullmatch(text) else None


def optional_int(text: str | None) -> int | None:
    """Return ``text`` as an integer from 0 to what labelhub stores, else None (the value is then ignored)."""
    number = whole(text)
    return number if number is not None and number <= MAX_INT else None


def _rate(text: str | None) -> float | None:
    """Return ``text`` as a frame rate (a finite number above 0), else None (the value is then ignored)."""
    if text is None or len(text) > 40:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def parse_meta(meta: Element, path: Path | None = None) -> CvatMeta:
    """Return the labels and task facts of a ``<meta>`` element (task, job or project export).

    Raises FormatError naming the file and line of a label whose name cannot be a class name (too long).
    """
    task = meta.find("task")
    if task is None:
        task = meta.find("job")
    if task is None:
        task = meta.find("project")
    out = CvatMeta(
        name=_text(task, "name"),
        size=optional_int(_text(task, "size")),
        mode=_text(task, "mode"),
        width=optional_int(_text(task, "original_size/width")),
        height=optional_int(_text(task, "original_size/height")),
        source=_text(task, "source"),
        fps=_rate(_text(task, f"{LABELHUB_ELEMENT}/fps")),
    )
    seen: set[str] = set()
    points = sublabels(meta)
    for labels in meta.iter("labels"):
        for label in labels.findall("label"):
            name = _text(label, "name")
            if name is None or name in seen or _text(label, "parent") is not None:
                continue  # skeleton sub-labels (with a parent) are the points of their skeleton, not classes
            why = bad_label(name)
            if why is not None:
                msg = f"<label> name {name[:80]!r} {why}"
                raise FormatError(msg, file=str(path) if path else None, line=line_of(label), field="meta.labels")
            seen.add(name)
            attrs: list[dict[str, str]] = []
            for a in label.iter("attribute"):
                spec = {k: v for k in ("name", "mutable", "input_type", "default_value") if (v := _text(a, k))}
                if "name" in spec:
                    spec["values"] = a.findtext("values") or ""
                    attrs.append(spec)
            entry: dict[str, Any] = {"name": name, "attributes": attrs}
            for key in ("color", "type"):
                value = _text(label, key)
                if value is not None:
                    entry[key] = value
            if entry.get("type") == "skeleton":
                entry.update(read_skeleton(label, name, points.get(name, []), path, line_of(label)))
            out.labels.append(entry)
    return out
