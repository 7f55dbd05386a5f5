"""Attributes a project declares for its annotations, and the check of the values annotations carry.

A project's label schema may declare attributes (CVAT's per-label attributes, Label Studio's per-region
controls): a name, a type (``text``, ``number``, ``bool`` or ``select`` with its options), the classes it applies
to (none named: every class) and a default the editor fills in on a new shape. An annotation keeps its values in
``attributes`` next to the keys formats and tracks keep there (``keyframe``, ``outside``, ``coco_id``, ...);
only declared names are checked, so format data passes through untouched. The keys tracks and formats give a
meaning of their own (:data:`RESERVED_ATTRIBUTES`, and names starting ``coco_`` or ``ls_``) cannot be declared:
a declared ``coco_id`` would be a value the COCO export silently replaces.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from labelhub.errors import ValidationError

ATTRIBUTE_TYPES = ("text", "number", "bool", "select")
RESERVED_ATTRIBUTES = frozenset(
    {"keyframe", "outside", "needs_review", "track_id", "iscrowd", "rotation", "z_order", "group_id"}
)
RESERVED_PREFIXES = ("coco_", "ls_")
MAX_TEXT_VALUE = 1000
MAX_NAME = 100
MAX_ATTRIBUTES = 100
MAX_OPTIONS = 500
MAX_OPTION = 200
# The largest whole number a browser holds exactly (2**53 - 1): a bigger one would come back changed.
MAX_NUMBER = 9_007_199_254_740_991

AttributeValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """An attribute annotations may carry.

    ``labels`` names the classes it applies to (empty: all); ``default`` is what a new shape starts with
    (``None``: unset). ``mutable`` (CVAT's word) marks a value that changes over a video track's frames: a
    person sets it from a frame on (:mod:`labelhub.services.track_frame_values`); an immutable one has one value
    for the whole track. Images and texts do not use it.
    """

    name: str
    type: str = "text"
    options: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    default: AttributeValue | None = None
    mutable: bool = False

    def applies_to(self, label: str | None) -> bool:
        """True when an annotation labelled ``label`` may carry this attribute."""
        return not self.labels or (label is not None and label in self.labels)

    def problem(self, value: object) -> str | None:
        """Why ``value`` is no value of this attribute, or None when it is one (None itself means unset)."""
        if value is None:
            return None
        if self.type == "bool":
            return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
        if self.type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"must be a number, not {value!r}"
            if isinstance(value, float) and not math.isfinite(value):
                return f"must be a finite number, not {value!r}"
            if abs(value) > MAX_NUMBER:
                return f"must be between -{MAX_NUMBER} and {MAX_NUMBER}"
            return None
        if not isinstance(value, str):
            return f"must be text, not {value!r}"
        if self.type == "select":
            return None if value in self.options else f"{value!r} is not one of {', '.join(self.options)}"
        return None if len(value) <= MAX_TEXT_VALUE else f"is longer than {MAX_TEXT_VALUE} characters"

    def to_json(self) -> dict[str, Any]:
        """Return the stored form; ``mutable`` only when true (schemas stored before it existed read the same)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "options": list(self.options),
            "labels": list(self.labels),
            "default": self.default,
        }
        if self.mutable:
            out["mutable"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AttributeSpec:
        return cls(
            name=str(data["name"]),
            type=str(data.get("type", "text")),
            options=tuple(str(o) for o in data.get("options") or ()),
            labels=tuple(str(n) for n in data.get("labels") or ()),
            default=data.get("default"),
            mutable=data.get("mutable") is True,
        )


def check_specs(specs: Iterable[AttributeSpec], class_names: Iterable[str]) -> None:
    """Raise ValidationError naming ``attributes[i].<field>`` for the first spec that cannot be used."""
    specs = list(specs)
    if len(specs) > MAX_ATTRIBUTES:
        raise ValidationError(f"a project declares at most {MAX_ATTRIBUTES} attributes", field="attributes")
    known = set(class_names)
    counts = Counter(s.name for s in specs)
    for i, s in enumerate(specs):
        where = f"attributes[{i}]"
        if not s.name.strip():
            raise ValidationError(f"{where}: an attribute needs a name", field=f"{where}.name")
        if s.name != s.name.strip():
            raise ValidationError(f"{where}: the name {s.name!r} starts or ends with a space", field=f"{where}.name")
        if len(s.name) > MAX_NAME:
            raise ValidationError(f"{where}: the name is longer than {MAX_NAME} characters", field=f"{where}.name")
        if counts[s.name] > 1:
            raise ValidationError(f"attribute {s.name!r} is declared twice", field=f"{where}.name")
        if s.name in RESERVED_ATTRIBUTES or s.name.startswith(RESERVED_PREFIXES):
            raise ValidationError(
                f"attribute {s.name!r} is reserved: tracks or formats keep their own data under it (choose another"
                " name)",
                field=f"{where}.name",
            )
        if s.type not in ATTRIBUTE_TYPES:
            raise ValidationError(
                f"attribute type {s.type!r} is not one of {', '.join(ATTRIBUTE_TYPES)}", field=f"{where}.type"
            )
        if s.type == "select":
            if not s.options:
                raise ValidationError(f"{where}: a select attribute needs options", field=f"{where}.options")
            twice = sorted(o for o, n in Counter(s.options).items() if n > 1)
            if twice:
                raise ValidationError(f"{where}: option listed twice: {', '.join(twice)}", field=f"{where}.options")
            if any(not o.strip() for o in s.options):
                raise ValidationError(f"{where}: an option is empty", field=f"{where}.options")
            spaced = [o for o in s.options if o != o.strip()]
            if spaced:
                raise ValidationError(
                    f"{where}: option {spaced[0]!r} starts or ends with a space", field=f"{where}.options"
                )
            if len(s.options) > MAX_OPTIONS:
                raise ValidationError(f"{where}: at most {MAX_OPTIONS} options", field=f"{where}.options")
            if any(len(o) > MAX_OPTION for o in s.options):
                raise ValidationError(
                    f"{where}: an option is longer than {MAX_OPTION} characters", field=f"{where}.options"
                )
        elif s.options:
            raise ValidationError(f"{where}: only a select attribute has options", field=f"{where}.options")
        unknown = [n for n in s.labels if n not in known]
        if unknown:
            raise ValidationError(
                f"{where}: attribute {s.name!r} applies to {', '.join(map(repr, unknown))}, which"
                f" {'is' if len(unknown) == 1 else 'are'} not a class of the project: take"
                f" {'it' if len(unknown) == 1 else 'them'} out of the attribute, or keep the class",
                field=f"{where}.labels",
            )
        if len(set(s.labels)) != len(s.labels):
            raise ValidationError(f"{where}: a class is listed twice", field=f"{where}.labels")
        why = s.problem(s.default)
        if why:
            raise ValidationError(f"{where}: the default {why}", field=f"{where}.default")


def check_values(
    specs: Iterable[AttributeSpec],
    label: str | None,
    values: Mapping[str, Any],
    where: str,
    *,
    before: Mapping[str, Any] | None = None,
    label_before: str | None = None,
) -> None:
    """Raise ValidationError (field ``{where}.attributes.<name>``) for a declared attribute's bad value.

    With ``before`` (the stored annotation's attributes), a value that did not change is not checked again: a
    value stored before its attribute was declared, or imported from a file, does not block saving the item's
    other annotations (the editor shows it and the person fixes it when they choose). When the label changed, an
    unchanged value must still apply to the new label.
    """
    relabelled = before is None or label != label_before
    for spec in specs:
        if spec.name not in values:
            continue
        value = values[spec.name]
        unchanged = before is not None and spec.name in before and before[spec.name] == value
        if unchanged and not relabelled:
            continue
        field = f"{where}.attributes.{spec.name}"
        if value is not None and not spec.applies_to(label):
            raise ValidationError(
                f"{where}: attribute {spec.name!r} does not apply to label {label!r}"
                f" (it applies to {', '.join(spec.labels)})",
                field=field,
            )
        why = None if unchanged else spec.problem(value)
        if why:
            raise ValidationError(f"{where}: attribute {spec.name!r} {why}", field=field)
