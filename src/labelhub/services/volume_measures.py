"""Structure measurements of a volume item: per class, its voxels, volume in mL, slices, centroid and intensities.

What a radiologist reads first in ITK-SNAP's "Label statistics" or 3D Slicer's "Segment statistics", taken from
the item's label map: the accepted masks and polygons painted as the plane views and the NIfTI export paint them
(:mod:`labelhub.services.volume_planes`: the later class in the project's list wins a voxel two claim), and,
apart, the proposals painted the same way. Sizes are in the shown slice's pixels (column, row) and slice
numbers, counted from 0; the volume is voxels x the voxel's size (spacing product) / 1000 mm³ per mL.

Hand-written: one pass over the volume finds the labelled voxels, then every statistic of every class comes from
those few, sorted by class (scipy.ndimage's ``mean``, ``minimum``, ``center_of_mass``... pass over the whole
array once per statistic, ten passes over a 78-million-voxel CT).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import orjson
from sqlalchemy import select

from labelhub._lru import Lru
from labelhub.domain.enums import AnnotationKind, AnnotationState
from labelhub.domain.records import AnnotationRecord
from labelhub.errors import ValidationError
from labelhub.formats._volume_masks import paint_label_map
from labelhub.services.access import Actor, ProjectRef, project_schema
from labelhub.services.volume_planes import PlanesItem, label_map
from labelhub.services.volumes import VolumeItem, decoded, load_volume_item
from labelhub.storage.models import Annotation, Item, Project

if TYPE_CHECKING:
    from labelhub.hub import Hub
    from labelhub.media.volume import DecodedVolume

__all__ = ["Structure", "VolumeMeasures", "measure_labels", "volume_measures", "voxel_spacing"]

#: Measurements by item and version (every save raises the item's, a label list change the project's): the panel
#: re-opened, or a second viewer, is answered without painting and measuring a CT again.
_MEASURED: Lru[VolumeMeasures] = Lru(16)
_PROJECT = (Project.id, Project.name, Project.version, Project.created_at, Project.item_kind)
_REGIONS = (AnnotationKind.MASK.value, AnnotationKind.POLYGON.value)


@dataclass(frozen=True, slots=True)
class Structure:
    """One class's voxels in a label map: how many, how much, where, and the image's values over them."""

    label: str
    voxels: int
    volume_ml: float
    first_slice: int
    last_slice: int
    slice_count: int  # slices holding at least one of its voxels
    centroid: tuple[float, float, float]  # column, row, slice (shown slice's pixels, 0-based)
    center_slice: int  # the slice holding it nearest to the centroid's slice (where the editor jumps)
    mean: float
    std: float  # population standard deviation (ddof 0), as ITK-SNAP and 3D Slicer show it
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class VolumeMeasures:
    """The item's structures (accepted) and its proposals' structures, with the voxel size they were measured at."""

    item_id: int
    version: int
    spacing: tuple[float, float, float]
    voxel_ml: float
    unit: str | None  # of the intensities: "HU" for CT
    structures: list[Structure]
    proposals: list[Structure]


def voxel_spacing(meta: dict[str, object], affine: np.ndarray) -> tuple[float, float, float]:
    """Return the voxel size in mm along X, Y, Z: the item's stored spacing, else the lengths of the affine's axes."""
    stored = meta.get("spacing")
    if isinstance(stored, list) and len(stored) == 3:
        try:
            sx, sy, sz = (abs(float(v)) for v in stored)
        except (TypeError, ValueError):
            sx = sy = sz = 0.0
        if sx > 0 and sy > 0 and sz > 0:
            return sx, sy, sz
    # The length of each column of the affine's 3x3 part is that axis's voxel size, oblique or not.
    norms = [float(np.linalg.norm(affine[:3, i])) for i in range(3)]
    return norms[0] or 1.0, norms[1] or 1.0, norms[2] or 1.0


def measure_labels(
    labels: np.ndarray, image: np.ndarray, names: list[str], spacing: tuple[float, float, float]
) -> list[Structure]:
    """Return a :class:`Structure` per class present in ``labels`` (RAS+ label map, value v = ``names[v - 1]``),
    in the order of ``names``; ``image`` is the volume's RAS+ array of the same shape."""
    if labels.shape != image.shape:
        raise ValidationError(f"label map {labels.shape} and volume {image.shape} differ in shape", field="shape")
    x_size, y_size, _ = labels.shape
    flat = np.flatnonzero(labels)
    if flat.size == 0:
        return []
    values = labels.reshape(-1)[flat]
    order = np.argsort(values, kind="stable")
    flat, values = flat[order], values[order]
    classes, starts, counts = np.unique(values, return_index=True, return_counts=True)
    xs, ys, zs = np.unravel_index(flat, labels.shape)
    intensity = image.reshape(-1)[flat].astype(np.float64)
    voxel_ml = spacing[0] * spacing[1] * spacing[2] / 1000.0
    out: list[Structure] = []
    for v, s, n in zip(classes.tolist(), starts.tolist(), counts.tolist(), strict=True):
        if not 1 <= v <= len(names):
            continue
        part = slice(s, s + n)
        z, vals = zs[part], intensity[part]
        present = np.unique(z)
        cz = float(z.mean())
        nearest = int(present[np.argmin(np.abs(present - cz))])
        out.append(
            Structure(
                label=names[v - 1],
                voxels=int(n),
                volume_ml=float(n * voxel_ml),
                first_slice=int(present[0]),
                last_slice=int(present[-1]),
                slice_count=int(present.size),
                # Shown column c is x = X-1-c, shown row r is y = Y-1-r (domain.volume.display_slice).
                centroid=(float(x_size - 1 - xs[part].mean()), float(y_size - 1 - ys[part].mean()), cz),
                center_slice=nearest,
                mean=float(vals.mean()),
                std=float(vals.std()),
                min=float(vals.min()),
                max=float(vals.max()),
            )
        )
    return out


def volume_measures(hub: Hub, actor: Actor, project_id: int, item_id: int) -> VolumeMeasures:
    """Return the structure measurements of a volume item (read access; a non-volume: ValidationError ``kind``)."""
    with hub.db.session() as s:
        v = load_volume_item(s, actor, project_id, item_id)
        version, created = s.execute(select(Item.version, Item.created_at).where(Item.id == item_id)).one()
        project = ProjectRef(*s.execute(select(*_PROJECT).where(Project.id == project_id)).one())
        names = list(project_schema(s, project).names)
    # Its metadata (modality, spacing) can change without a save: part of the key too.
    key = (item_id, created, v.media_key, int(version), project.version, v.modality, str(v.meta.get("spacing")))
    if (found := _MEASURED.get(key)) is not None:
        return found
    p = PlanesItem(v, int(version), project, created)
    vol = decoded(hub, v)
    spacing = voxel_spacing(v.meta, vol.affine)
    accepted = label_map(hub, p)
    proposed = _proposal_map(hub, p, vol, names)
    modality = (v.modality or "").upper()
    out = VolumeMeasures(
        item_id=item_id,
        version=int(version),
        spacing=spacing,
        voxel_ml=spacing[0] * spacing[1] * spacing[2] / 1000.0,
        unit="HU" if modality == "CT" else None,
        structures=measure_labels(accepted, vol.data, names, spacing),
        proposals=measure_labels(proposed, vol.data, names, spacing),
    )
    _MEASURED.put(key, out)
    return out


def _proposal_map(hub: Hub, p: PlanesItem, vol: DecodedVolume, names: list[str]) -> np.ndarray:
    """Return the label map of the item's proposed masks and polygons (cached like the accepted one, by version)."""
    key = (p.volume.item_id, p.created_at, p.volume.media_key, "proposed")
    return hub.label_maps.get(key, (p.version, p.project.version), lambda: _paint_proposals(hub, p.volume, vol, names))


def _paint_proposals(hub: Hub, v: VolumeItem, vol: DecodedVolume, names: list[str]) -> np.ndarray:
    with hub.db.session() as s:
        rows = s.execute(
            select(Annotation.kind, Annotation.label, Annotation.geometry, Annotation.frame)
            .where(
                Annotation.item_id == v.item_id,
                Annotation.state == AnnotationState.PROPOSED.value,
                Annotation.kind.in_(_REGIONS),
                Annotation.frame.is_not(None),
            )
            .order_by(Annotation.id)
        ).all()
    records = [
        AnnotationRecord(kind=AnnotationKind(kind), label=label, geometry=_geometry(geom), frame=frame)
        for kind, label, geom, frame in rows
    ]
    values = {name: i + 1 for i, name in enumerate(names)}
    return paint_label_map(records, vol.shape, values).labels


def _geometry(geom: object) -> dict[str, object]:
    loaded = orjson.loads(geom) if isinstance(geom, (str, bytes)) else geom
    return loaded if isinstance(loaded, dict) else {}
