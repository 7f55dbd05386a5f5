"""The orthogonal planes of a volume item (sagittal, coronal) and of its label map, for the editor's side views.

A volume is shown and edited one axial slice at a time (:mod:`labelhub.domain.volume`: the slice's pixel at row
``r``, column ``c`` of slice ``k`` is RAS+ voxel ``(X-1-c, Y-1-r, k)``). The two other planes through a pixel are
cut here, oriented as radiology viewers show them, superior at the top:

- **sagittal** plane ``c`` (the shown column, ``x = X-1-c``): ``Z`` rows by ``Y`` columns, anterior on the left,
  so its pixel ``(i, j)`` is voxel ``(X-1-c, Y-1-j, Z-1-i)``: its column ``j`` is the axial row ``j``;
- **coronal** plane ``r`` (the shown row, ``y = Y-1-r``): ``Z`` rows by ``X`` columns, the patient's right on the
  left, so its pixel ``(i, j)`` is voxel ``(X-1-j, Y-1-r, Z-1-i)``: its column ``j`` is the axial column ``j``.

In both, row ``i`` is axial slice ``Z-1-i``. The label planes come from the item's accepted masks and polygons
painted into a label map (:func:`labelhub.formats._volume_masks.paint_label_map`, value = 1-based index of the
class in the project's label list, the later class winning a voxel two claim). Painting a CT's map takes a while,
so the last few items' maps are kept, each with the item's version (every save raises it) and the project's (the
label list) it was painted at.

Hand-written: cutting and flipping numpy views; no library knows labelhub's display convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import orjson
from sqlalchemy import select

from labelhub.domain.enums import AnnotationKind, AnnotationState
from labelhub.domain.records import AnnotationRecord
from labelhub.errors import ValidationError
from labelhub.formats._volume_masks import paint_label_map
from labelhub.services.access import Actor, ProjectRef, project_schema
from labelhub.services.volumes import SLICE_ENCODING, VolumeItem, decoded, load_volume_item
from labelhub.storage.models import Annotation, Item, Project

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = [
    "AXES",
    "PlaneData",
    "display_plane",
    "label_map",
    "label_plane",
    "plane_data",
    "plane_etag",
    "planes_item",
]

Axis = Literal["sagittal", "coronal"]
AXES: tuple[Axis, ...] = ("sagittal", "coronal")
#: The annotation states painted into the label planes (proposals are left out, as in an export's default).
PAINTED_STATES: tuple[str, ...] = (AnnotationState.ACCEPTED.value,)
_PAINTED_KINDS = (AnnotationKind.MASK.value, AnnotationKind.POLYGON.value)
_PROJECT = (Project.id, Project.name, Project.version, Project.created_at, Project.item_kind)


@dataclass(frozen=True, slots=True)
class PlaneData:
    """One plane's raw values and how to read them."""

    data: bytes
    width: int
    height: int
    dtype: str
    etag: str


@dataclass(frozen=True, slots=True)
class PlanesItem:
    """A volume item as the plane routes see it: where its file is, and what its label map depends on."""

    volume: VolumeItem
    version: int
    project: ProjectRef
    created_at: datetime


def check_axis(axis: str) -> Axis:
    """Return ``axis`` when it is ``sagittal`` or ``coronal``; ValidationError on the field ``axis`` otherwise."""
    for a in AXES:
        if axis == a:
            return a
    raise ValidationError(f"axis {axis!r} is not one of {', '.join(AXES)}", field="axis")


def display_plane(canonical: np.ndarray, axis: Axis, index: int) -> np.ndarray:
    """Return plane ``index`` of a RAS+ volume along ``axis`` as shown (superior at the top; see the module doc)."""
    x, y, _ = canonical.shape
    _check_index(axis, index, x if axis == "sagittal" else y)
    if axis == "sagittal":
        return np.ascontiguousarray(canonical[x - 1 - index, ::-1, ::-1].T)
    return np.ascontiguousarray(canonical[::-1, y - 1 - index, ::-1].T)


def _check_index(axis: Axis, index: int, size: int) -> None:
    if not 0 <= index < size:
        what = "column" if axis == "sagittal" else "row"
        raise ValidationError(
            f"{axis} plane {index} is outside the volume: it is a {what} of the shown slice, 0..{size - 1}",
            field="index",
        )


def planes_item(hub: Hub, actor: Actor, project_id: int, item_id: int, axis: Axis, index: int) -> PlanesItem:
    """Check read access, that the item is a volume and that ``index`` is inside it; return it with its and its
    project's version (the volume itself is read only when the plane is sent, not for a 304)."""
    with hub.db.session() as s:
        v = load_volume_item(s, actor, project_id, item_id)
        version, created, width, height = s.execute(
            select(Item.version, Item.created_at, Item.width, Item.height).where(Item.id == item_id)
        ).one()
        if width and height:
            _check_index(axis, index, int(width) if axis == "sagittal" else int(height))
        project = ProjectRef(*s.execute(select(*_PROJECT).where(Project.id == project_id)).one())
    return PlanesItem(v, int(version), project, created)


def plane_etag(p: PlanesItem, axis: Axis, index: int, *, labels: bool = False) -> str:
    """Return the ETag of a plane: the volume's never changes, the labels' changes with every save."""
    base = f"{p.volume.media_key}-{SLICE_ENCODING}-{axis}-{index}"
    if not labels:
        return f'"{base}"'
    return f'"{base}-labels-{p.volume.item_id}-v{p.version}-p{p.project.version}"'


def plane_data(hub: Hub, p: PlanesItem, axis: Axis, index: int) -> PlaneData:
    """Return the volume's plane as little-endian int16 or float32 values, row-major (row 0 = superior)."""
    vol = decoded(hub, p.volume)
    plane = display_plane(vol.data, axis, index)
    raw = plane.astype("<i2" if vol.dtype == "int16" else "<f4", copy=False).tobytes()
    return PlaneData(raw, int(plane.shape[1]), int(plane.shape[0]), vol.dtype, plane_etag(p, axis, index))


def label_plane(hub: Hub, p: PlanesItem, axis: Axis, index: int) -> PlaneData:
    """Return the plane of the item's label map (accepted masks and polygons) as uint8 or uint16 values."""
    shape = decoded(hub, p.volume).shape
    labels = _label_map(hub, p, shape)
    plane = display_plane(labels, axis, index)
    dtype = "uint8" if labels.dtype == np.uint8 else "uint16"
    raw = plane.astype("<u1" if dtype == "uint8" else "<u2", copy=False).tobytes()
    return PlaneData(raw, int(plane.shape[1]), int(plane.shape[0]), dtype, plane_etag(p, axis, index, labels=True))


def label_map(hub: Hub, p: PlanesItem) -> np.ndarray:
    """Return the item's whole label map (accepted masks and polygons; RAS+), painted or from the hub's cache."""
    return _label_map(hub, p, decoded(hub, p.volume).shape)


def _label_map(hub: Hub, p: PlanesItem, shape: tuple[int, int, int]) -> np.ndarray:
    key = (p.volume.item_id, p.created_at, p.volume.media_key)
    return hub.label_maps.get(key, (p.version, p.project.version), lambda: _paint(hub, p, shape))


def _paint(hub: Hub, p: PlanesItem, shape: tuple[int, int, int]) -> np.ndarray:
    with hub.db.session() as s:
        schema = project_schema(s, p.project)
        rows = s.execute(
            select(Annotation.kind, Annotation.label, Annotation.geometry, Annotation.frame)
            .where(
                Annotation.item_id == p.volume.item_id,
                Annotation.state.in_(PAINTED_STATES),
                Annotation.kind.in_(_PAINTED_KINDS),
                Annotation.frame.is_not(None),
            )
            .order_by(Annotation.id)
        ).all()
    values = {name: i + 1 for i, name in enumerate(schema.names)}
    records = [
        AnnotationRecord(kind=AnnotationKind(kind), label=label, geometry=_geometry(geom), frame=frame)
        for kind, label, geom, frame in rows
    ]
    return paint_label_map(records, shape, values).labels


def _geometry(geom: Any) -> dict[str, Any]:
    loaded = orjson.loads(geom) if isinstance(geom, (str, bytes)) else geom
    return loaded if isinstance(loaded, dict) else {}
