"""Training a ``volume_segmenter`` version from a project's masks (called by :func:`model_jobs.train_version`).

Training data: the accepted ``mask`` and ``polygon`` annotations of the project's volume items that lie on a
slice (``frame``), painted into one RAS+ label map per volume with
:func:`labelhub.formats._volume_masks.paint_label_map` (the later class in the list wins a pixel two claim).
The classes are the project's classes that have such masks, in the project's order (then any other label, by
name). Which slices count as labelled:

- in an item a reviewer approved (``reviewed``), or one whose label map came whole from an import and that
  nobody has saved since (``labeled`` at version 1), every slice: a slice without a mask is background;
- in any other item, only the slices that hold an accepted mask or polygon (a person labelled those; the
  others may simply not have been reached yet).

The data hash covers the (annotation id, version, label) triples and the items whose every slice counts, so a
new mask, an edited one or an item marked labelled changes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.assist.volume_seg import (
    LabelledVolume,
    VolumeSegConfig,
    save_volume_segmenter,
    train_volume_segmenter,
)
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, ItemStatus
from labelhub.domain.records import AnnotationRecord
from labelhub.errors import NotFoundError, ValidationError
from labelhub.formats._volume_masks import paint_label_map
from labelhub.hub import Hub
from labelhub.services.access import project_schema
from labelhub.services.models import Report, TrainingData, TrainSpec, data_hash
from labelhub.services.volumes import VolumeItem, decoded
from labelhub.storage.models import Annotation, Item, Media, Project

__all__ = ["VOLUME_SEGMENTER", "VolumeTrainingData", "select_volume_data", "train_volume_version"]

VOLUME_SEGMENTER = "volume_segmenter"
_REVIEWED = ItemStatus.REVIEWED.value
_LABELED = ItemStatus.LABELED.value


def counts_whole(status: str, version: int) -> bool:
    """True when every slice of a volume counts: a reviewer approved it, or its label map came whole from an
    import and nobody has saved it since (version 1). The first accepted mask a person saves marks a volume
    ``labeled`` as it does an image, so ``labeled`` alone says nothing about the slices not reached yet."""
    return status == _REVIEWED or (status == _LABELED and version == 1)


_SHAPES = (AnnotationKind.MASK.value, AnnotationKind.POLYGON.value)


@dataclass(slots=True)
class VolumeTrainingData:
    """The masks a segmenter trains on (as :class:`TrainingData` rows, one per annotation), the painted volumes
    and the classes of the network's outputs."""

    rows: TrainingData
    volumes: list[LabelledVolume]
    classes: list[str]
    whole_items: list[int]  # items whose every slice counts (see counts_whole)

    @property
    def hash(self) -> str:
        marks = [(-i, 0, "<every slice>") for i in self.whole_items]
        return data_hash([*zip(self.rows.annotation_ids, self.rows.versions, self.rows.labels, strict=True), *marks])


def select_volume_data(session: Session, hub: Hub, project_id: int) -> VolumeTrainingData:
    """Return the project's volume training data (see the module docstring); volumes are decoded here."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"project {project_id} not found", field="project_id")
    schema_names = [c.name for c in project_schema(session, project).classes]
    anns = session.execute(
        select(Annotation.id, Annotation.version, Annotation.label, Annotation.kind, Annotation.geometry,
               Annotation.frame, Annotation.item_id)
        .join(Item, Item.id == Annotation.item_id)
        .where(Annotation.project_id == project_id, Annotation.kind.in_(_SHAPES),
               Annotation.state == AnnotationState.ACCEPTED.value, Annotation.frame.is_not(None),
               Annotation.label.is_not(None), Item.kind == ItemKind.VOLUME.value)
        .order_by(Annotation.id)
    ).all()  # fmt: skip
    by_item: dict[int, list[Any]] = {}
    for row in anns:
        by_item.setdefault(row[6], []).append(row)
    seen = {str(r[2]) for r in anns}
    classes = [n for n in schema_names if n in seen] + sorted(seen - set(schema_names))
    items = session.execute(
        select(Item.id, Item.status, Item.version, Item.media_key, Media.path, Item.frame_count, Item.meta)
        .outerjoin(Media, Media.key == Item.media_key)
        .where(Item.project_id == project_id, Item.kind == ItemKind.VOLUME.value,
               Item.id.in_(list(by_item)) | (Item.status == _REVIEWED)
               | ((Item.status == _LABELED) & (Item.version == 1)))
        .order_by(Item.id)
    ).all()  # fmt: skip
    values = {name: i + 1 for i, name in enumerate(classes)}
    out = VolumeTrainingData(TrainingData(), [], classes, [])
    for item_id, status, version, key, linked, frames, meta in items:
        if not key:
            out.rows.skipped += 1
            continue
        volume_meta = (meta or {}).get("volume")
        ref = VolumeItem(item_id, key, linked, volume_meta if isinstance(volume_meta, dict) else {}, frames)
        vol = decoded(hub, ref)
        rows = by_item.get(item_id, [])
        records = [AnnotationRecord(kind=AnnotationKind(r[3]), label=r[2], geometry=r[4] or {}, frame=r[5])
                   for r in rows]  # fmt: skip
        painted = paint_label_map(records, vol.shape, values)
        whole = counts_whole(status, version)
        z = vol.shape[2]
        slices = list(range(z)) if whole else sorted({records[i].frame or 0 for i in painted.written})
        if not slices:
            out.rows.skipped += 1
            continue
        out.volumes.append(LabelledVolume(item_id, vol.data, painted.labels, slices))
        if whole:
            out.whole_items.append(item_id)
        for i in painted.written:
            r = rows[i]
            out.rows.annotation_ids.append(r[0])
            out.rows.versions.append(r[1])
            out.rows.labels.append(r[2])
            out.rows.item_ids.append(item_id)
    return out


def train_volume_version(
    hub: Hub, project_id: int, spec: TrainSpec, folder: Path, progress: Report
) -> tuple[dict[str, Any], list[int], dict[str, str], dict[str, Any]]:
    """Train and save a segmenter into ``folder``; return the version's data summary, the held-out annotation
    ids, the files by role (relative to ``folder``) and the metrics."""
    with hub.db.session() as s:
        data = select_volume_data(s, hub, project_id)
    if not data.classes or not data.volumes:
        raise ValidationError(
            "training a volume segmenter needs accepted masks (or polygons) on the slices of at least one volume; "
            f"the project has {len(data.rows.labels)}",
            field="labels",
        )
    n_slices = sum(len(v.slices) for v in data.volumes)
    progress(0.02, f"{len(data.volumes)} volumes, {n_slices} labelled slices, {len(data.classes)} classes")
    cfg = VolumeSegConfig(seed=spec.seed, held_out=spec.held_out)
    if spec.epochs:
        cfg = dataclasses.replace(cfg, epochs=spec.epochs)
    if spec.min_steps is not None:
        cfg = dataclasses.replace(cfg, min_steps=spec.min_steps)
    seg = train_volume_segmenter(data.volumes, data.classes, cfg, progress=lambda f, m: progress(0.02 + 0.85 * f, m))
    progress(0.9, "saving")
    files = save_volume_segmenter(seg, folder)
    held = set(seg.metrics.get("validation_item_ids") or [])
    held_ids = [a for a, i in zip(data.rows.annotation_ids, data.rows.item_ids, strict=True) if i in held]
    summary = {
        "count": len(data.rows.labels),
        "hash": data.hash,
        "annotation_ids": data.rows.annotation_ids,
        "skipped": data.rows.skipped,
        "classes": data.classes,
        "volumes": len(data.volumes),
        "slices": n_slices,
        "whole_items": data.whole_items,
    }
    return summary, held_ids, files, dict(seg.metrics)
