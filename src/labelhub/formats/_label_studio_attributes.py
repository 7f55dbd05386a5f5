"""Per-region attributes in Label Studio JSON: extra results that share their region's ``id``.

Label Studio keeps a region's attributes (a ``<Choices perRegion>``, ``<Number perRegion>``, ``<TextArea
perRegion>`` or ``<Rating perRegion>`` control) as results of their own, with the region's ``id``, the control's
name as ``from_name`` and the value as ``{"choices": [...]}``, ``{"number": x}``, ``{"text": [...]}`` or
``{"rating": x}`` next to a copy of the region's geometry. An import puts each on its region's records under the
control's name: one choice as its text (``true``/``false`` as a bool where the project declares a bool), several
as the list, a number or rating as given, text areas' lines joined by newlines. An export writes the project's
declared attributes of each region that way: a ``select`` and a ``bool`` (``true``/``false``) as choices, a number
as a number, text as a text area; a track's attributes are its first box's (Label Studio has one value per region).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labelhub.domain.attributes import RESERVED_ATTRIBUTES, AttributeSpec

#: Result types that can hold a region's attribute.
ATTRIBUTE_TYPES = frozenset({"choices", "number", "textarea", "rating"})
_VALUE_KEYS = {"choices": "choices", "number": "number", "textarea": "text", "rating": "rating"}
_LABEL_KEYS = frozenset({"rectanglelabels", "polygonlabels", "labels", "sequence"})


def attribute_positions(results: list[Any]) -> set[int]:
    """Return the positions in one ``result`` list of the results that are a region's attribute."""
    held = [_is_attribute(r) for r in results]
    regions = {r["id"] for r, h in zip(results, held, strict=True) if h is False}
    return {i for i, (r, h) in enumerate(zip(results, held, strict=True)) if h and r.get("id") in regions}


def _is_attribute(result: Any) -> bool | None:
    """True for a result of a type that may hold an attribute, False for another result, None for no result."""
    if not isinstance(result, dict):
        return None
    rtype, rid = result.get("type"), result.get("id")
    if not isinstance(rid, str | int) or isinstance(rid, bool):
        return None  # nothing to tie it to a region, nor a region to tie to
    return isinstance(rtype, str) and rtype in ATTRIBUTE_TYPES


def attribute_value(result: Mapping[str, Any], bools: frozenset[str]) -> tuple[str, Any] | str:
    """Return ``(name, value)`` of an attribute result, or why it cannot be read."""
    name = result.get("from_name")
    if not isinstance(name, str) or not name:
        return "a region's attribute result needs from_name (the control's name)"
    if name in RESERVED_ATTRIBUTES:
        return f"a region's attribute cannot be named {name!r}: labelhub's tracks use that name (rename the control)"
    value = result.get("value")
    key = _VALUE_KEYS[str(result.get("type"))]
    raw = value.get(key) if isinstance(value, dict) else None
    if raw is None:
        return f"the attribute result {name!r} needs value.{key}"
    if key == "choices" and isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
        if name in bools and raw in ("true", "false"):
            raw = raw == "true"
    elif key == "text" and isinstance(raw, list) and all(isinstance(t, str) for t in raw):
        raw = "\n".join(raw)
    return name, raw


def attribute_results(
    region: Mapping[str, Any], label: str | None, values: Mapping[str, Any], specs: Iterable[AttributeSpec]
) -> list[dict[str, Any]]:
    """Return the results holding ``region``'s declared attributes (``values``: its annotation's attributes)."""
    out: list[dict[str, Any]] = []
    geometry = {k: v for k, v in (region.get("value") or {}).items() if k not in _LABEL_KEYS}
    for spec in specs:
        value = values.get(spec.name)
        if value is None or not spec.applies_to(label):
            continue
        held: Any
        if isinstance(value, bool):
            rtype, held = "choices", ["true" if value else "false"]
        elif isinstance(value, int | float):
            rtype, held = "number", value
        elif isinstance(value, str):
            rtype, held = ("choices", [value]) if spec.type == "select" else ("textarea", [value])
        else:
            continue  # a list or an object has no control to hold it
        result = {"id": region["id"], "type": rtype, "from_name": spec.name, "to_name": region["to_name"]}
        result.update((k, region[k]) for k in ("original_width", "original_height", "image_rotation") if k in region)
        result["value"] = {**geometry, _VALUE_KEYS[rtype]: held}
        out.append(result)
    return out
