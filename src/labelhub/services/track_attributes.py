"""A track's attribute values: the same values on every box of the track (CVAT's immutable attributes).

A track is stored box by box (:mod:`labelhub.services.tracks`), so its attribute values are stored on each box, next
to the keys the tracks keep there themselves (:data:`SYSTEM_KEYS`). Every edit keeps them: a keyframe set on a
box keeps that box's values, a new keyframe row and every propagated box take the values of the keyframe at or
before their frame (the first keyframe before it), and a relabel drops the values the new label does not take.
The track's values as the API reports them are the declared attributes' values all its boxes share; an attribute
whose boxes differ (imported per-frame values) is reported as mixed, without a value. Per-frame (``mutable``)
attributes are left out of both: their values per frame are :mod:`labelhub.services.track_frame_values`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.attributes import AttributeSpec, AttributeValue, check_values
from labelhub.errors import ValidationError
from labelhub.services.access import ProjectRef, project_schema
from labelhub.storage.models import Project

__all__ = [
    "SYSTEM_KEYS",
    "applied",
    "carried",
    "checked_changes",
    "frame_values",
    "mutable_names",
    "project_specs",
    "relabel_drops",
    "shared_values",
    "values_at",
]

SYSTEM_KEYS = frozenset({"keyframe", "outside", "needs_review"})
Values = dict[str, AttributeValue]


def project_specs(session: Session, project_id: int) -> tuple[AttributeSpec, ...]:
    """Return the attributes the project declares (its cached schema)."""
    row = session.execute(
        select(Project.id, Project.name, Project.version, Project.created_at, Project.item_kind).where(
            Project.id == project_id
        )
    ).one()
    return project_schema(session, ProjectRef(*row)).attributes


def mutable_names(specs: Iterable[AttributeSpec], label: str | None = None) -> list[str]:
    """Return the declared per-frame attributes (those that apply to ``label``, when given)."""
    return [s.name for s in specs if s.mutable and (label is None or s.applies_to(label))]


def frame_values(
    boxes: Iterable[tuple[int, Mapping[str, Any] | None]], frame_count: int, names: Sequence[str]
) -> dict[str, list[AttributeValue | None]]:
    """Return each of ``names``' value on frames 0 to ``frame_count`` - 1 (None: unset, or no box on that frame;
    a later box on a frame wins), for a reader."""
    out: dict[str, list[AttributeValue | None]] = {n: [None] * frame_count for n in names}
    for frame, attrs in boxes:
        if 0 <= frame < frame_count:
            for n in names:
                out[n][frame] = (attrs or {}).get(n)
    return out


def carried(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a box's attributes without the keys tracks keep themselves (they are set again by every edit)."""
    return {k: v for k, v in (attributes or {}).items() if k not in SYSTEM_KEYS}


def applied(attributes: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return a box's attributes with ``changes`` made: a value is set, None removes the key."""
    out = {k: v for k, v in (attributes or {}).items() if k not in changes}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


def values_at(keyframes: Sequence[tuple[int, Mapping[str, Any] | None]], frame: int, names: Iterable[str]) -> Values:
    """Return the declared ``names``' values of the keyframe at or before ``frame`` (else the first keyframe).

    ``keyframes`` are (frame, attributes) in frame order. On a track edited here every keyframe holds the same
    values; on an imported track with per-frame values a propagated box takes the values of the keyframe before it.
    """
    if not keyframes:
        return {}
    source = keyframes[0][1]
    for f, attrs in keyframes:
        if f > frame:
            break
        source = attrs
    wanted = set(names)
    return {k: v for k, v in (source or {}).items() if k in wanted and v is not None}


def shared_values(
    specs: Sequence[AttributeSpec], boxes: Iterable[Mapping[str, Any] | None]
) -> tuple[Values, list[str]]:
    """Return the declared values every box shares, and the names whose boxes differ (mixed, left out).

    A box without a value counts as unset: an attribute set on some boxes and not on others is mixed. Per-frame
    (mutable) attributes are left out: they are read frame by frame.
    """
    specs = [s for s in specs if not s.mutable]
    seen: dict[str, Any] = {}
    mixed: set[str] = set()
    for attrs in boxes:
        a = attrs or {}
        for s in specs:
            v = a.get(s.name)
            first = seen.setdefault(s.name, v)
            # Python compares True == 1; a yes/no and a number are different values here.
            if first != v or type(first) is not type(v):
                mixed.add(s.name)
    values: Values = {n: v for n, v in seen.items() if n not in mixed and v is not None}
    return values, [s.name for s in specs if s.name in mixed]


def checked_changes(
    specs: Sequence[AttributeSpec], label: str, changes: Mapping[str, Any], track_id: int
) -> dict[str, Any]:
    """Return ``changes`` (a value, or None to remove it) once checked against ``label``; 422 naming
    ``attributes.<name>`` for an undeclared name or a value the attribute does not take."""
    declared = {s.name for s in specs}
    for name, value in changes.items():
        if name in SYSTEM_KEYS or (name not in declared and value is not None):
            raise ValidationError(
                f"track {track_id}: {name!r} is not an attribute of this project; declare it in the project's "
                "settings first",
                field=f"attributes.{name}",
            )
    where = f"track {track_id}"
    try:
        check_values(specs, label, changes, where)
    except ValidationError as exc:
        field = str(exc.context.get("field", "attributes"))
        raise ValidationError(exc.detail, field=field.removeprefix(f"{where}.")) from None
    return dict(changes)


def relabel_drops(specs: Sequence[AttributeSpec], label: str) -> set[str]:
    """Return the declared names a box labelled ``label`` may not carry (a relabel removes their values)."""
    return {s.name for s in specs if not s.applies_to(label)}
