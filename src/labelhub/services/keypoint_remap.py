"""Moving stored keypoints annotations along when a class's declared points change in the project settings.

A ``keypoints`` annotation lists one ``x, y, v`` triple per declared point of its class, in the declaration's order
(:mod:`labelhub.domain.keypoints`). When ``PATCH /projects/{id}`` changes a class's points, its stored instances
follow in the same transaction, point by name: a reordered point takes its triple along, a removed point's triple
goes, a new point is absent (``0, 0, 0``), and a new name where the old point at that place is no longer declared
is that point renamed in place (it keeps the triple; a point removed and another added in its place in one
change reads so too: the server sees names, not edits). Without this a reorder silently swapped the points'
meanings on every stored instance, and an added point left instances one triple short, which a YOLO pose export
refuses and a CVAT export leaves out. Only instances holding exactly one triple per old point follow (others,
saved before the class declared points, are left as they are), and a class declaring points for the first time
changes nothing.
Their items move to a new version, so an editor open on one reloads (409) rather than save the old order back.

Hand-written: the mapping is labelhub's own (a schema edit with its data), no library holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.schema import LabelSchema
from labelhub.storage.models import Annotation, Item, utcnow

__all__ = ["follow_keypoints", "point_map"]

_ABSENT = (0.0, 0.0, 0.0)


def point_map(old: Sequence[str], new: Sequence[str]) -> list[int | None] | None:
    """Return, per new point, the old point whose triple it takes (None: absent); None when nothing is to move."""
    if not old or tuple(old) == tuple(new):
        return None
    where = {name: i for i, name in enumerate(old)}
    kept = set(new)
    out: list[int | None] = []
    for j, name in enumerate(new):
        if name in where:
            out.append(where[name])
        elif j < len(old) and old[j] not in kept:
            out.append(j)  # renamed in place
        else:
            out.append(None)
    return out


def _moved(points: Sequence[Any], mapping: Sequence[int | None]) -> list[Any]:
    out: list[Any] = []
    for i in mapping:
        out.extend(_ABSENT if i is None else points[3 * i : 3 * i + 3])
    return out


def follow_keypoints(
    session: Session, project_id: int, old: LabelSchema, new: LabelSchema, renames: Mapping[str, str]
) -> int:
    """Rewrite the stored keypoints of the classes whose points ``new`` changes; return the annotations rewritten.

    Run before the renames are applied: annotations carry the classes' old names (``renames``: old -> new).
    """
    declared = {c.name: c.keypoints for c in new.classes}
    maps: dict[str, tuple[int, list[int | None]]] = {}
    for c in old.classes:
        mapping = point_map(c.keypoints, declared.get(renames.get(c.name, c.name), c.keypoints))
        if mapping is not None:
            maps[c.name] = (len(c.keypoints), mapping)
    if not maps:
        return 0
    rows = session.execute(
        select(Annotation.id, Annotation.item_id, Annotation.label, Annotation.geometry).where(
            Annotation.project_id == project_id,
            Annotation.kind == AnnotationKind.KEYPOINTS.value,
            Annotation.label.in_(list(maps)),
        )
    ).all()
    now = utcnow()
    items: set[int] = set()
    rewritten = 0
    for ann_id, item_id, label, geometry in rows:
        count, mapping = maps[label]
        points = (geometry or {}).get("points")
        if not isinstance(points, list) or len(points) != 3 * count:
            continue
        session.execute(
            update(Annotation)
            .where(Annotation.id == ann_id)
            .values(
                geometry={**geometry, "points": _moved(points, mapping)}, version=Annotation.version + 1, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        items.add(item_id)
        rewritten += 1
    if items:
        session.execute(
            update(Item)
            .where(Item.id.in_(sorted(items)))
            .values(version=Item.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return rewritten
