"""CVAT's attribute declarations and labelhub's, both ways.

CVAT declares attributes per label in ``<meta>``: ``name``, ``mutable``, ``input_type`` (``select``, ``radio``,
``checkbox``, ``number``, ``text``), ``default_value`` and ``values`` (one per line: a select's options, a
number's ``min``, ``max`` and ``step`` — what CVAT's label editor takes as ``min;max;step`` — and a checkbox's or
text's default). An import declares them in the project (:func:`specs_from_labels`): select and radio become
``select`` with the values as options, checkbox ``bool``, number ``number``, anything else ``text``, each for
the label declaring it (the project merges the same name across labels).

An export declares the project's attributes on every label they apply to (:func:`declare`): a ``select``'s options
one per line (as ``radio`` when the imported file had it so), a ``bool`` as a checkbox, a ``number`` with the range
of the imported file's declaration widened to the values written and the default, or else that range alone (whole
numbers: step 1, else 0.01; one value: up to a step above it; nothing known: 0 to 100 in steps of 1), and the
project's default (else the first option, ``false``, the range's low end or empty). ``mutable`` is the project's
(``AttributeSpec.mutable``: a per-frame value of video tracks, whose values every shape of a track carries frame by
frame); an import reads it back (``True``, ``true`` or ``1``). Attributes the project does not declare but shapes
carry are declared from their values, as mutable (they may differ from shape to shape). CVAT's built-in
``occluded`` flag is declared by an import whose shapes carry it (:func:`occluded_spec`) and never by an export
(it stays the shape's XML attribute: ``RESERVED``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from xml.etree.ElementTree import Element, SubElement

from labelhub.domain.attributes import AttributeSpec, AttributeValue
from labelhub.formats._attributes import schema_attributes
from labelhub.formats._cvat_common import UNDEFINED

_TRUE = frozenset({"1", "true", "True", "TRUE", "yes"})
_INPUT_TYPES = {"select": "select", "radio": "select", "checkbox": "bool", "number": "number", "text": "text"}
#: The CVAT input type an export gives each labelhub type, and an import's fallback when the file declares none.
INPUT_TYPE = {"select": "select", "bool": "checkbox", "number": "number", "text": "text"}
_KEYS = ("name", "mutable", "input_type", "default_value", "values")
#: What labelhub keeps on shapes for itself and its CVAT export writes: the flag of propagated boxes, and the
#: COCO/YOLO importers' link of a box to its keypoints or polygon (a later COCO or YOLO export pairs them by it).
_OWN = frozenset({"needs_review", "coco_id", "coco_group"})


def _number(text: str | None) -> int | float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def spec_from_cvat(label: str, entry: Mapping[str, Any]) -> AttributeSpec:
    """Return the declaration of one ``<attribute>`` of ``label`` (as ``parse_meta`` read it)."""
    kind = _INPUT_TYPES.get(str(entry.get("input_type", "text")), "text")
    raw_default = entry.get("default_value")
    default: AttributeValue | None = raw_default if isinstance(raw_default, str) and raw_default != UNDEFINED else None
    options: tuple[str, ...] = ()
    if kind == "select":
        values = (v.strip() for v in str(entry.get("values", "")).split("\n"))
        options = tuple(dict.fromkeys(v for v in values if v and v != UNDEFINED))
        kind = "select" if options else "text"  # a select without values: its values can only be text
    if kind == "bool":
        default = default in _TRUE
    elif kind == "number":
        default = _number(raw_default)
    elif kind == "select" and default is not None and default not in options:
        default = options[0] if options else None
    mutable = str(entry.get("mutable", "")).strip() in _TRUE
    return AttributeSpec(
        name=str(entry["name"]), type=kind, options=options, labels=(label,), default=default, mutable=mutable
    )


def specs_from_labels(labels: Iterable[Mapping[str, Any]]) -> list[AttributeSpec]:
    """Return a declaration per label and attribute of ``<meta>`` labels, in the file's order."""
    labels = list(labels)
    specs = [
        spec_from_cvat(str(label["name"]), a)
        for label in labels
        for a in label.get("attributes") or []
        # Data labelhub's own exports write on shapes (its values come back as they are): no attribute for a
        # person to declare, nor a warning per label on every re-import.
        if isinstance(a, Mapping) and a.get("name") and a.get("name") not in _OWN
    ]
    # An attribute every label of the file declares with one type (as labelhub writes one that applies to every
    # class) applies to every class of the project, also those added later.
    everyone = {str(label["name"]) for label in labels}
    declaring: dict[tuple[str, str], set[str]] = {}
    for s in specs:
        declaring.setdefault((s.name, s.type), set()).update(s.labels)
    return [replace(s, labels=()) if len(everyone) > 1 and declaring[s.name, s.type] == everyone else s for s in specs]


def occluded_spec(extra: Mapping[str, Any], from_file: Iterable[AttributeSpec], *, video: bool) -> list[AttributeSpec]:
    """Return the declaration of CVAT's built-in ``occluded`` flag, for an import whose shapes carried it.

    CVAT writes ``occluded="0|1"`` on every shape (not on tags) and shows its toggle on every shape, whatever
    the labels declare; ``<meta>`` never lists it. So the import declares it whenever a shape carries the flag,
    set or not, rather than only when some shape is occluded: a CVAT user expects the toggle on every shape, the
    values are stored on every shape anyway (an undeclared value no editor shows), and a project whose shapes are
    all unoccluded keeps its declaration through an export and a re-import. A file without the flag (hand-written,
    or tags only) declares nothing. The declaration is a yes/no for every class, default false, and per frame
    (``mutable``) for video, as CVAT's flag is per box. Nothing is declared when the project declares
    ``occluded`` as a yes/no already (its classes and default stay), or the file's ``<meta>`` does itself; a
    project's ``occluded`` of another type is kept, and the import warns (see ``services.projects``).
    """
    if any(s.name == "occluded" for s in from_file):
        return []
    if any(s.name == "occluded" and s.type == "bool" for s in schema_attributes(extra)):
        return []
    return [AttributeSpec(name="occluded", type="bool", default=False, mutable=video)]


def input_types(extra: Mapping[str, Any]) -> dict[str, str]:
    """Return the project's attributes (from an importer's options) as name -> CVAT input type."""
    return {s.name: INPUT_TYPE.get(s.type, "text") for s in schema_attributes(extra)}


@dataclass(slots=True)
class Seen:
    """What the values of one attribute of one label looked like, to declare it."""

    input_type: str
    low: float = math.inf
    high: float = -math.inf
    whole: bool = True

    def note(self, value: Any) -> None:
        """Note one value written (numbers widen the range)."""
        if isinstance(value, bool):
            kind = "checkbox"
        elif isinstance(value, int | float):
            kind = "number"
        else:
            kind = "text"
        if self.input_type != kind:
            self.input_type = "text"
        if kind == "number" and math.isfinite(value):
            self.low, self.high = min(self.low, value), max(self.high, value)
            self.whole = self.whole and float(value).is_integer()


def seen_from(value: Any) -> Seen:
    """Return a :class:`Seen` of the input type of ``value``, which it has noted."""
    kind = "checkbox" if isinstance(value, bool) else "number" if isinstance(value, int | float) else "text"
    seen = Seen(kind)
    seen.note(value)
    return seen


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _range(spec: AttributeSpec, hint: Mapping[str, Any] | None, seen: Seen | None) -> tuple[float, float, float]:
    """The ``min``, ``max`` and ``step`` a number attribute is declared with (see the module docstring)."""
    given = [_number(v) for v in str(hint.get("values", "")).split("\n")] if hint else []
    points: list[float] = [v for v in (seen.low, seen.high) if math.isfinite(v)] if seen is not None else []
    default = spec.default if isinstance(spec.default, int | float) and not isinstance(spec.default, bool) else None
    points += [default] if default is not None else []
    if len(given) == 3 and all(v is not None for v in given) and hint and hint.get("input_type") == "number":
        low, high, step = (float(v) for v in given if v is not None)
        return min([low, *points]), max([high, *points]), step
    if not points:
        return 0, 100, 1
    whole = all(float(p).is_integer() for p in points) and (seen is None or seen.whole)
    low, high, step = (
        (math.floor(min(points)), math.ceil(max(points)), 1) if whole else (min(points), max(points), 0.01)
    )
    return low, max(high, low + step), step  # a range of one value would leave nothing to choose


def _fields(spec: AttributeSpec, hint: Mapping[str, Any] | None, seen: Seen | None) -> dict[str, str]:
    """The ``<attribute>`` fields declaring ``spec`` (``hint``: the imported file's declaration of it)."""
    hinted = str(hint.get("input_type", "")) if hint else ""
    input_type = INPUT_TYPE.get(spec.type, "text")
    if spec.type == "select":
        input_type = hinted if hinted in ("select", "radio") else "select"
        default = spec.default if spec.default in spec.options else spec.options[0] if spec.options else ""
        values = "\n".join(spec.options)
    elif spec.type == "bool":
        default = values = "true" if spec.default is True else "false"
    elif spec.type == "number":
        low, high, step = _range(spec, hint if hinted == "number" else None, seen)
        number = spec.default if isinstance(spec.default, int | float) else low
        default, values = _text(number), f"{_text(low)}\n{_text(high)}\n{_text(step)}"
    else:
        default = values = spec.default if isinstance(spec.default, str) else ""
    mutable = "True" if spec.mutable else "False"
    return {"name": spec.name, "mutable": mutable, "input_type": input_type, "default_value": str(default),
            "values": values}  # fmt: skip


def declare(
    parent: Element,
    label: str,
    hints: list[Any],
    specs: Iterable[AttributeSpec],
    seen: Mapping[str, Seen],
) -> None:
    """Add to ``parent`` (a label's ``<attributes>``) the declarations of ``label``'s attributes.

    ``hints`` are the label's declarations in the imported file (``format_meta``), written in their order: the
    project's declaration where it has one for this label (it may have changed since), else as they were. Then
    the project's other attributes of the label, then those only the shapes carry (declared from ``seen``).
    """
    mine = {s.name: s for s in specs if s.applies_to(label)}
    written: set[str] = set()
    for hint in hints:
        if not isinstance(hint, dict) or not isinstance(hint.get("name"), str) or hint["name"] in written:
            continue
        name = hint["name"]
        spec = mine.get(name)
        fields = _fields(spec, hint, seen.get(name)) if spec is not None else {k: str(hint.get(k, "")) for k in _KEYS}
        _node(parent, fields)
        written.add(name)
    for name, spec in mine.items():
        if name not in written:
            _node(parent, _fields(spec, None, seen.get(name)))
            written.add(name)
    for name, one in seen.items():
        if name not in written:
            _node(parent, _observed(name, one))


def _observed(name: str, seen: Seen) -> dict[str, str]:
    """The declaration of an attribute no one declared, from the values written."""
    if seen.input_type == "number":
        spec = AttributeSpec(name, "number")
        low, high, step = _range(spec, None, seen)
        return {"name": name, "mutable": "True", "input_type": "number", "default_value": _text(low),
                "values": f"{_text(low)}\n{_text(high)}\n{_text(step)}"}  # fmt: skip
    text = "false" if seen.input_type == "checkbox" else ""
    return {"name": name, "mutable": "True", "input_type": seen.input_type, "default_value": text, "values": text}


def _node(parent: Element, fields: Mapping[str, str]) -> None:
    node = SubElement(parent, "attribute")
    for key in _KEYS:
        SubElement(node, key).text = fields[key]
