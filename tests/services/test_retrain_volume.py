"""Retraining a volume segmenter by itself: newly labelled slices count towards ``retrain_every`` (a slice once,
whatever its masks; proposals nobody reviewed do not count)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import select
from tests.assist._volume_seg_support import CLASSES, SHAPE, write_msd

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.schema import LabelSchema
from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_geometry
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.annotations import AnnotationInput, replace_annotations
from labelhub.services.assist_settings import get_assist, update_assist
from labelhub.services.imports import import_source
from labelhub.services.models import count_human_labels, count_labelled_slices, record_training
from labelhub.services.projects import create_project
from labelhub.storage.models import Item, Job, ModelVersion

SYSTEM = Actor.system()


def _mask(label: str, k: int, **extra: object) -> AnnotationInput:
    square = np.zeros((SHAPE[1], SHAPE[0]), np.uint8)
    square[3:8, 3:8] = 1
    return AnnotationInput(kind=AnnotationKind.MASK, label=label, frame=k, geometry=mask_geometry(square), **extra)  # type: ignore[arg-type]


def _save(hub: Hub, pid: int, item_id: int, annotations: list[AnnotationInput]) -> None:
    with hub.db.session(write=True) as s:
        version = s.get_one(Item, item_id).version
        replace_annotations(s, SYSTEM, pid, item_id, expected_version=version, annotations=annotations)


def _train_jobs(hub: Hub, pid: int) -> list[Job]:
    with hub.db.session() as s:
        return list(s.scalars(select(Job).where(Job.kind == "train_model", Job.project_id == pid).order_by(Job.id)))


def test_every_n_newly_labelled_slices_queue_a_retraining(hub: Hub, tmp_path: Path) -> None:
    write_msd(tmp_path / "ds", labelled=1, unlabelled=1)
    with hub.db.session(write=True) as s:
        pid = create_project(s, SYSTEM, "vols", item_kind=ItemKind.VOLUME, schema=LabelSchema.from_names(CLASSES)).id
    import_source(hub, SYSTEM, pid, tmp_path / "ds", fmt="nifti", options=ImportOptions(extra={"labels": "ball,box"}))
    with hub.db.session(write=True) as s:
        (item_id,) = s.scalars(select(Item.id).where(Item.project_id == pid, Item.name.like("imagesTs/%")))
        imported = count_labelled_slices(s, pid)
        assert 0 < imported <= SHAPE[2] and count_human_labels(s, pid) == imported
        s.add(ModelVersion(project_id=pid, name="volume-segmenter", kind="volume_segmenter", version=1,
                           status="ready", active=True, seed=0, params={"kind": "volume_segmenter"}))  # fmt: skip
        record_training(s, pid, imported)  # as the training of that version did
        update_assist(s, SYSTEM, pid, {"retrain_every": 3}, version=1)
    masks = [_mask("ball", 3), _mask("box", 3)]  # two masks, one slice
    _save(hub, pid, item_id, masks)
    model_says = _mask("ball", 6, source=Source.MODEL, state=AnnotationState.PROPOSED, model_version="interpolation")
    masks += [_mask("ball", 4), model_says]  # a proposal nobody reviewed labels nothing
    _save(hub, pid, item_id, masks)
    with hub.db.session() as s:
        assert get_assist(s, SYSTEM, pid).labels_since_train == 2
    assert _train_jobs(hub, pid) == []
    _save(hub, pid, item_id, [*masks, _mask("box", 5)])
    (job,) = _train_jobs(hub, pid)
    assert (job.params["kind"], job.params["trigger"], job.params["labels"]) == ("volume_segmenter", "retrain_every",
                                                                                 imported + 3)  # fmt: skip
