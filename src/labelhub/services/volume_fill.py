"""Fill between slices: store interpolated masks of one class on the slices between two drawn ones.

The editor's "Fill between slices": a person outlines a structure (a class) on slice ``a`` and slice ``b`` of a
volume item; every slice strictly between them that has no mask or polygon of that class yet gets a mask
interpolated from the two ends (:func:`labelhub.domain.volume_fill.fill_between`), stored as the model's
proposal (source ``model``, state ``proposed``, model_version ``interpolation``) for a person to accept, edit or
delete. Several masks or polygons of the class on one end are taken together (their union).

Like the editor's save (:mod:`labelhub.services.annotations`) the work is done in a read transaction and the
write transaction only writes, guarded by the item's version: a stale version (409) writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, AnnotationState, Source
from labelhub.domain.permissions import Action
from labelhub.domain.volume_fill import fill_between
from labelhub.errors import NotFoundError, ValidationError
from labelhub.formats._volume_masks import mask_geometry, shape_plane
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services._stale import stale_item
from labelhub.services.access import Actor, check_item_access, project_schema
from labelhub.services.annotations import list_annotations
from labelhub.services.volumes import require_volume
from labelhub.storage.models import Annotation, Item, utcnow

__all__ = ["MODEL_VERSION", "FillResult", "fill_slices"]

#: The model_version of the proposals "Fill between slices" stores.
MODEL_VERSION = "interpolation"

_ANNOTATIONS_TABLE = cast(Table, Annotation.__table__)
_ITEMS_TABLE = cast(Table, Item.__table__)
_REFILL = "reload it and fill again"
_I = _ITEMS_TABLE.c
_SHAPES = (AnnotationKind.MASK.value, AnnotationKind.POLYGON.value)


@dataclass(frozen=True, slots=True)
class FillResult:
    """The item's version after the fill and the slices that got a proposal, ascending."""

    version: int
    filled: list[int]


@dataclass(slots=True)
class _Plan:
    project_id: int
    item_id: int
    expected_version: int
    rows: list[dict[str, Any]]


def fill_slices(
    hub: Hub,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    label: str,
    from_slice: int,
    to_slice: int,
    expected_version: int,
) -> FillResult:
    """Fill the slices between ``from_slice`` and ``to_slice`` with masks of ``label`` interpolated from theirs.

    Either order of the two slices is accepted. Raises ValidationError (422) when the item is not a volume, a
    slice is outside it, the slices are not at least 2 apart, the label is not a class of the project or an end
    has no mask of it; PermissionDenied (403) below the annotator role; ConflictError (409) on a stale version.
    """
    with hub.db.session() as s:
        plan = _plan(s, actor, project_id, item_id, label, from_slice, to_slice, expected_version)
    if not plan.rows:
        return FillResult(expected_version, [])
    with hub.db.session(write=True) as s:
        version = _apply(s, actor, plan, label, (from_slice, to_slice))
    return FillResult(version, [r["frame"] for r in plan.rows])


def _plan(
    s: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    label: str,
    from_slice: int,
    to_slice: int,
    expected_version: int,
) -> _Plan:
    project, _, facts = check_item_access(
        s, actor, project_id, item_id, Action.ANNOTATE, [_I.kind, _I.width, _I.height, _I.frame_count, _I.version]
    )
    kind, width, height, slices, version = facts
    require_volume(kind, item_id)
    if not (width and height and slices):
        raise ValidationError(f"volume item {item_id} has no size recorded", field="kind")
    for name, k in (("from_slice", from_slice), ("to_slice", to_slice)):
        if not 0 <= k < slices:
            raise ValidationError(f"{name}: slice {k} is outside the volume (0..{slices - 1})", field=name)
    if abs(to_slice - from_slice) < 2:
        raise ValidationError(
            f"slices {from_slice} and {to_slice} have no slice between them; pick two at least 2 apart",
            field="to_slice",
        )
    if version != expected_version:
        raise stale_item(item_id, expected_version, version, _REFILL)
    schema = project_schema(s, project)
    if AnnotationKind.MASK not in schema.kinds:
        raise ValidationError("this project does not allow masks", field="label")
    if schema.classes and not schema.has_class(label):
        raise ValidationError(f"label {label!r} is not in the project's classes", field="label")
    rows = [a for a in list_annotations(s, item_id, tracks=False) if a.label == label and a.kind in _SHAPES]
    lo, hi = sorted((from_slice, to_slice))
    ends = {k: _union((a for a in rows if a.frame == k and a.state != AnnotationState.REJECTED.value), height, width)
            for k in (lo, hi)}  # fmt: skip
    for name, k in (("from_slice", from_slice), ("to_slice", to_slice)):
        if ends[k] is None:
            raise ValidationError(f"{name}: slice {k} has no mask of {label!r} to fill from", field=name)
    first, last = ends[lo], ends[hi]
    if first is None or last is None:  # both refused above; this narrows the types
        return _Plan(project_id, item_id, expected_version, [])
    taken = {a.frame for a in rows if a.frame is not None and lo < a.frame < hi}
    masks = fill_between(first, last, hi - lo - 1)
    new_rows: list[dict[str, Any]] = []
    for k, mask in zip(range(lo + 1, hi), masks, strict=True):
        if k in taken or not mask.any():
            continue
        new_rows.append(
            {"item_id": item_id, "project_id": project_id, "kind": AnnotationKind.MASK.value, "label": label,
             "geometry": mask_geometry(mask), "frame": k, "track_id": None, "source": Source.MODEL.value,
             "model_version": MODEL_VERSION, "score": None, "state": AnnotationState.PROPOSED.value,
             "attributes": {}, "author_id": actor.user_id, "reviewed_by": None, "version": 1}
        )  # fmt: skip
    return _Plan(project_id, item_id, expected_version, new_rows)


def _apply(s: Session, actor: Actor, plan: _Plan, label: str, slices: tuple[int, int]) -> int:
    """Write the planned proposals and move the item's version, if it is still the planned one."""
    now = utcnow()
    res = s.execute(
        update(_ITEMS_TABLE)
        .where(_I.id == plan.item_id, _I.version == plan.expected_version)
        .values(version=_I.version + 1, updated_at=now)
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        current = s.scalar(select(_I.version).where(_I.id == plan.item_id))
        if current is None:
            raise NotFoundError(f"item {plan.item_id} not found in project {plan.project_id}", field="item_id")
        raise stale_item(plan.item_id, plan.expected_version, current, _REFILL)
    s.execute(insert(_ANNOTATIONS_TABLE), [{**r, "created_at": now, "updated_at": now} for r in plan.rows])
    version = plan.expected_version + 1
    audit.record(
        s,
        actor,
        "annotations.fill_between",
        "item",
        plan.item_id,
        project_id=plan.project_id,
        detail={"label": label, "from_slice": slices[0], "to_slice": slices[1],
                "filled": [r["frame"] for r in plan.rows], "version": version},
    )  # fmt: skip
    return version


def _union(annotations: Iterable[Row[Any]], height: int, width: int) -> np.ndarray | None:
    """Return the union of the masks and polygons as one (height, width) uint8 mask, None when there are none."""
    out: np.ndarray | None = None
    for a in annotations:
        plane = shape_plane(a.kind, a.geometry, height, width)
        if plane is None:
            continue
        out = plane if out is None else out | plane
    return out if out is not None and out.any() else None
