"""The volume segmenter in the model loop: trained from a volume project's imported masks by the training job,
registered with its Dice, and pre-labelling the volume nobody labelled with mask proposals on its slices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update
from tests.assist._volume_seg_support import CLASSES, SHAPE, write_msd
from tests.builders import new_project

from labelhub.domain.enums import ItemKind, ItemStatus
from labelhub.domain.schema import LabelSchema
from labelhub.domain.volume import display_slice
from labelhub.errors import ValidationError
from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_array
from labelhub.hub import Hub
from labelhub.services import models as svc
from labelhub.services._volume_seg_train import select_volume_data
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.model_jobs import train_version
from labelhub.services.prelabel import run_prelabel
from labelhub.services.projects import create_project
from labelhub.storage.models import Annotation, Item, ModelVersion

SYSTEM = Actor.system()
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def volume_project(hub: Hub, root: Path, labelled: int, unlabelled: int) -> tuple[int, dict[str, np.ndarray]]:
    truth = write_msd(root, labelled, unlabelled)
    with hub.db.session(write=True) as s:
        pid = create_project(s, SYSTEM, "balls", item_kind=ItemKind.VOLUME, schema=LabelSchema.from_names(CLASSES)).id
    import_source(hub, SYSTEM, pid, root, fmt="nifti", options=ImportOptions(extra={"labels": ",".join(CLASSES)}))
    return pid, truth


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the training; the data rule runs on both below
def test_a_trained_segmenter_proposes_masks_on_the_unlabelled_volume(hub: Hub, tmp_path: Path) -> None:
    pid, truth = volume_project(hub, tmp_path / "ds", labelled=7, unlabelled=1)
    spec = svc.TrainSpec(kind="volume_segmenter", seed=1, held_out=0.3)
    mid = train_version(hub, SYSTEM, pid, spec)
    with hub.db.session() as s:
        mv = s.get(ModelVersion, mid)
        assert mv is not None
        assert (mv.status, mv.active, mv.name, mv.kind, mv.mode) == ("ready", True, "volume-segmenter",
                                                                    "volume_segmenter", None)  # fmt: skip
        metrics, data, artifacts = dict(mv.metrics), dict(mv.data), dict(mv.artifacts)
    assert metrics["evaluated_on"] == "held-out volumes" and metrics["n"] == 2
    assert min(metrics["dice"].values()) > 0.7, metrics["dice"]
    assert (data["volumes"], data["slices"], data["classes"]) == (7, 7 * SHAPE[2], CLASSES)
    assert data["held_out_ids"] and set(data["held_out_ids"]) < set(data["annotation_ids"])
    assert {"state", "onnx", "folder"} <= set(artifacts)

    result = run_prelabel(hub, SYSTEM, pid, {"model_id": mid}, lambda f, m: None)
    assert (result["items"], result["errors_total"]) == (1, 0) and result["proposed"] + result["accepted"] > 0
    with hub.db.session() as s:
        (item_id,) = s.scalars(select(Item.id).where(Item.project_id == pid, Item.name.like("imagesTs/%")))
        rows = s.execute(
            select(Annotation.item_id, Annotation.label, Annotation.frame, Annotation.geometry, Annotation.score).where(
                Annotation.project_id == pid, Annotation.model_version == "volume-segmenter@1"
            )
        ).all()
    assert rows and {r[0] for r in rows} == {item_id}  # the labelled volumes are left alone
    lab = next(v for k, v in truth.items() if k.startswith(f"case_{7:02d}"))
    for c, name in enumerate(CLASSES, start=1):
        want = {k for k in range(SHAPE[2]) if (display_slice(lab, k) == c).sum() >= 5}
        mine = {r[2]: mask_array(r[3]) for r in rows if r[1] == name}
        assert len(want & set(mine)) >= len(want) - 1 and len(set(mine) - want) <= 1, (name, want, set(mine))
        both = [k for k in want if k in mine]
        inter = sum(int(((display_slice(lab, k) == c) & (mine[k] == 1)).sum()) for k in both)
        total = sum(int((display_slice(lab, k) == c).sum() + mine[k].sum()) for k in both)
        assert 2 * inter / total > 0.7, name


def test_labelled_items_count_every_slice_the_others_only_their_masked_slices(hub: Hub, tmp_path: Path) -> None:
    pid, _ = volume_project(hub, tmp_path / "ds", labelled=2, unlabelled=1)
    with hub.db.session(write=True) as s:
        first, second = s.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.name)).all()[:2]
        s.execute(update(Item).where(Item.id == second).values(status=ItemStatus.IN_PROGRESS.value))
    with hub.db.session() as s:
        data = select_volume_data(s, hub, pid)
        masked = set(s.scalars(select(Annotation.frame).where(Annotation.item_id == second)))
    assert data.classes == CLASSES and [v.item_id for v in data.volumes] == [first, second]
    assert data.volumes[0].slices == list(range(SHAPE[2])) and data.whole_items == [first]
    assert data.volumes[1].slices == sorted(masked) and len(masked) < SHAPE[2]
    assert data.volumes[1].labels.shape == SHAPE and set(np.unique(data.volumes[1].labels)) == {0, 1, 2}


def test_a_labelled_volume_someone_saved_counts_only_its_masked_slices_until_reviewed(hub: Hub, tmp_path: Path) -> None:
    # The first accepted mask a person saves marks a volume labeled: the slices nobody reached are not background.
    pid, _ = volume_project(hub, tmp_path / "ds", labelled=1, unlabelled=0)
    with hub.db.session(write=True) as s:
        (only,) = s.scalars(select(Item.id).where(Item.project_id == pid)).all()
        s.execute(update(Item).where(Item.id == only).values(version=2))
    with hub.db.session() as s:
        data = select_volume_data(s, hub, pid)
        masked = set(s.scalars(select(Annotation.frame).where(Annotation.item_id == only)))
    assert data.whole_items == [] and data.volumes[0].slices == sorted(masked) and len(masked) < SHAPE[2]
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == only).values(status=ItemStatus.REVIEWED.value))
    with hub.db.session() as s:
        data = select_volume_data(s, hub, pid)
    assert data.whole_items == [only] and data.volumes[0].slices == list(range(SHAPE[2]))


def test_a_volume_segmenter_needs_a_volume_project(hub: Hub) -> None:
    pid = new_project(hub, "pictures", ItemKind.IMAGE)
    with hub.db.session(write=True) as s, pytest.raises(ValidationError, match="needs a project of volume items"):
        svc.queue_training(s, SYSTEM, pid, svc.TrainSpec(kind="volume_segmenter"))
