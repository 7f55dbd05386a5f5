"""A project's label schema: ordered classes, the annotation kinds allowed, and attribute definitions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from labelhub.domain.attributes import ATTRIBUTE_TYPES, AttributeSpec, check_specs
from labelhub.domain.enums import AnnotationKind
from labelhub.domain.keypoints import Edge, Skeleton, check_skeleton, edges_from_json
from labelhub.errors import ValidationError

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Class colours, told apart for the first 80 classes (COCO's count; beyond that they repeat): every two are at
# least 0.069 apart in OKLab (CIE76 delta E >= 10), none is pale or grey, and each stands out on photos and on the
# editor's dark stage #15171c (WCAG contrast >= 3:1). The first ten are the earlier 16-colour palette's, in its
# order, less its purple and maroon (too dark on the stage) and four pastels. Each later one is the sRGB colour
# (on a grid of step 5, OKLab lightness 0.45-0.85, chroma >= 0.12, contrast >= 3:1) farthest in OKLab from all
# before it and from the map's unlabelled grey #a3abb8, so the first N colours are spread apart for any N.
# web/src/lib/labels.ts holds the same list (tests/domain/test_palette.py checks both).
PALETTE = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#46f0f0", "#f032e6", "#bcf60c",
    "#008080", "#9a6324", "#a0379b", "#ff9bff", "#a57dff", "#9100ff", "#00a5ff", "#dc73a5",
    "#c3b419", "#008200", "#00e100", "#00c8b4", "#87e18c", "#969128", "#ffb96e", "#dc0096",
    "#ff9baa", "#aa4155", "#64c8ff", "#8c69be", "#be00d7", "#b9aaff", "#cd6955", "#2387c3",
    "#ff4600", "#00a07d", "#c35ac8", "#ff3c8c", "#e173ff", "#7d5fff", "#0069a5", "#8241c8",
    "#b45f8c", "#6e780a", "#0082ff", "#c83c00", "#87c814", "#ff6e73", "#788cdc", "#b950ff",
    "#ff64cd", "#5a3cff", "#d2d269", "#00aac8", "#c87d00", "#0fd27d", "#00f57d", "#559600",
    "#c387d7", "#87b969", "#c30a69", "#645aaa", "#ff05b4", "#7daafa", "#eba00a", "#f08ccd",
    "#0055ff", "#afdc32", "#dc5578", "#d705ff", "#1e8755", "#00e6be", "#00c81e", "#00d7e6",
    "#ffc300", "#be9b37", "#ff9b73", "#a54bd2", "#e14baa", "#be05aa", "#c80532", "#8caa00",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LabelClass:
    """One class of the schema; ``hotkey`` is a single key the editor binds to it.

    ``keypoints`` names the points a ``keypoints`` annotation of the class holds, in its triples' order, and
    ``skeleton`` joins them by 0-based index pairs (see :mod:`labelhub.domain.keypoints`).
    """

    name: str
    color: str
    hotkey: str | None = None
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[Edge, ...] = ()

    @property
    def skeleton_decl(self) -> Skeleton:
        return Skeleton(self.keypoints, self.skeleton)


@dataclass(frozen=True, slots=True)
class LabelSchema:
    """The label schema of one project; classes keep their order, which is the order hotkeys and exports use."""

    classes: tuple[LabelClass, ...] = ()
    kinds: tuple[AnnotationKind, ...] = tuple(AnnotationKind)
    attributes: tuple[AttributeSpec, ...] = field(default=())
    _name_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_name_set", frozenset(c.name for c in self.classes))
        names = Counter(c.name for c in self.classes)
        dupes = sorted(n for n, k in names.items() if k > 1)
        if dupes:
            raise ValidationError(f"duplicate class names: {', '.join(dupes)}", field="labels")
        keys = Counter(c.hotkey for c in self.classes if c.hotkey)
        dupe_keys = sorted(k for k, n in keys.items() if n > 1)
        if dupe_keys:
            raise ValidationError(f"hotkey used twice: {', '.join(dupe_keys)}", field="labels.hotkey")
        for i, c in enumerate(self.classes):
            if not c.name.strip():
                raise ValidationError("a class name is empty", field=f"labels[{i}].name")
            if not _COLOR.match(c.color):
                raise ValidationError(f"colour {c.color!r} is not #rrggbb", field=f"labels[{i}].color")
            if c.hotkey is not None and len(c.hotkey) != 1:
                raise ValidationError(f"hotkey {c.hotkey!r} must be one key", field=f"labels[{i}].hotkey")
            if c.keypoints or c.skeleton:
                check_skeleton(c.keypoints, c.skeleton, f"labels[{i}]")
        for i, a in enumerate(self.attributes):
            if a.type not in ATTRIBUTE_TYPES:
                raise ValidationError(
                    f"attribute type {a.type!r} is not one of {', '.join(ATTRIBUTE_TYPES)}",
                    field=f"attributes[{i}].type",
                )

    @classmethod
    def from_names(cls, names: Iterable[str], kinds: Iterable[AnnotationKind] | None = None) -> LabelSchema:
        """Build a schema from class names alone, with palette colours and hotkeys 1-9 for the first nine."""
        classes = tuple(
            LabelClass(name=n, color=PALETTE[i % len(PALETTE)], hotkey=str(i + 1) if i < 9 else None)
            for i, n in enumerate(names)
        )
        return cls(classes=classes, kinds=tuple(kinds) if kinds is not None else tuple(AnnotationKind))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.classes]

    def check_attributes(self) -> None:
        """Raise ValidationError when an attribute declaration cannot be used (see ``domain.attributes``).

        Not run on every load: a schema stored before a rule existed must still open; the routes that write a
        schema call it.
        """
        check_specs(self.attributes, self.names)

    def keypoint_names(self, name: str | None) -> tuple[str, ...]:
        """The point names class ``name`` declares (none for an unknown class)."""
        for c in self.classes:
            if c.name == name:
                return c.keypoints
        return ()

    def has_class(self, name: str) -> bool:
        """True when ``name`` is one of the classes (a set lookup)."""
        return name in self._name_set

    def with_classes(self, names: Iterable[str]) -> LabelSchema:
        """Return a schema that also holds ``names`` (appended in order, existing ones kept)."""
        known = set(self.names)
        extra = [n for n in names if n not in known and not known.add(n)]  # type: ignore[func-returns-value]
        if not extra:
            return self
        start = len(self.classes)
        added = tuple(
            LabelClass(
                name=n,
                color=PALETTE[(start + i) % len(PALETTE)],
                hotkey=str(start + i + 1) if start + i < 9 else None,
            )
            for i, n in enumerate(extra)
        )
        return LabelSchema(classes=self.classes + added, kinds=self.kinds, attributes=self.attributes)

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": [_class_json(c) for c in self.classes],
            "kinds": [k.value for k in self.kinds],
            "attributes": [a.to_json() for a in self.attributes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LabelSchema:
        data = data or {}
        try:
            return cls(
                classes=tuple(
                    LabelClass(
                        name=str(c["name"]),
                        color=str(c["color"]),
                        hotkey=c.get("hotkey"),
                        keypoints=tuple(str(k) for k in c.get("keypoints") or ()),
                        skeleton=edges_from_json(c.get("skeleton")),
                    )
                    for c in data.get("classes", [])
                ),
                kinds=tuple(AnnotationKind(k) for k in data.get("kinds", [k.value for k in AnnotationKind])),
                attributes=tuple(AttributeSpec.from_json(a) for a in data.get("attributes", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"label schema is malformed: {exc}", field="labels") from exc


def _class_json(c: LabelClass) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "color": c.color, "hotkey": c.hotkey}
    if c.keypoints or c.skeleton:  # classes without points store as they always did
        out["keypoints"] = list(c.keypoints)
        out["skeleton"] = [list(e) for e in c.skeleton]
    return out
