"""The validation report of a volume segmenter: Dice and IoU on the labelled slices of the volumes it did not train
on (all of them, flagged, when none is left), the share of its proposals accepted unchanged, and the report's
API and HTML export with the example slices."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.assist._volume_seg_support import CLASSES, SHAPE, write_msd

from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ValidationError
from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_geometry
from labelhub.hub import Hub
from labelhub.services import models as svc
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.model_eval import evaluate_version
from labelhub.services.model_jobs import train_version
from labelhub.services.prelabel import run_prelabel
from labelhub.services.projects import create_project
from labelhub.services.proposal_accept import accept_proposals
from labelhub.storage.models import Annotation, Item, ModelVersion, User

SYSTEM = Actor.system()
pytestmark = pytest.mark.usefixtures("one_torch_thread")
QUICK = {"epochs": 1, "min_steps": 2}  # a few steps: the report's shape, not the model's quality


def volume_project(hub: Hub, root: Path, labelled: int, unlabelled: int) -> int:
    write_msd(root, labelled, unlabelled)
    with hub.db.session(write=True) as s:
        pid = create_project(s, SYSTEM, "balls", item_kind=ItemKind.VOLUME, schema=LabelSchema.from_names(CLASSES)).id
    import_source(hub, SYSTEM, pid, root, fmt="nifti", options=ImportOptions(extra={"labels": ",".join(CLASSES)}))
    return pid


def _names(hub: Hub, ids: list[int]) -> set[str]:
    with hub.db.session() as s:
        return set(s.scalars(select(Item.name).where(Item.id.in_(ids))))


def test_the_report_leaves_out_the_volumes_the_version_trained_on(hub: Hub, tmp_path: Path) -> None:
    pid = volume_project(hub, tmp_path / "ds", labelled=5, unlabelled=1)
    mid = train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="volume_segmenter", seed=2, held_out=0.3, **QUICK))
    with hub.db.session() as s:
        mv = s.get_one(ModelVersion, mid)
        held = list(mv.metrics["validation_item_ids"])
    assert len(held) == 2
    report = evaluate_version(hub, SYSTEM, pid, mid)
    seg = report["segmentation"]
    assert (report["kind"], report["on_training_data"], report["excluded_volumes"]) == ("volume_segmenter", False, 3)
    assert report["n"] == seg["volumes"] == 2 and seg["slices"] == 2 * SHAPE[2]  # labelled volumes: every slice
    assert {v["name"] for v in seg["per_volume"]} == _names(hub, held)
    assert [c["label"] for c in seg["per_class"]] == CLASSES and report["not_scored"] == []
    assert all(c["true_voxels"] > 0 and c["volumes"] == 2 for c in seg["per_class"])
    assert report["accepted_unchanged"] == {"proposals": 0, "reviewed": 0, "accepted_unchanged": 0,
                                            "auto_accepted": 0, "share": None}  # fmt: skip
    with hub.db.session() as s:  # stored on the version, as the other kinds' reports
        assert s.get_one(ModelVersion, mid).metrics["report"]["segmentation"]["volumes"] == 2


def test_with_no_volume_left_out_every_volume_is_evaluated_and_flagged(hub: Hub, tmp_path: Path) -> None:
    pid = volume_project(hub, tmp_path / "ds", labelled=2, unlabelled=1)  # fewer than 3: nothing held out
    mid = train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="volume_segmenter", **QUICK))
    report = evaluate_version(hub, SYSTEM, pid, mid)
    assert (report["on_training_data"], report["n"], report["excluded_volumes"]) == (True, 2, 0)


def test_the_share_of_proposals_accepted_unchanged_counts_the_reviewers_decisions(hub: Hub, tmp_path: Path) -> None:
    pid = volume_project(hub, tmp_path / "ds", labelled=2, unlabelled=1)
    mid = train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="volume_segmenter", **QUICK))
    with hub.db.session(write=True) as s:  # the quick model's masks may be anywhere: two stand-in proposals
        (item_id,) = s.scalars(select(Item.id).where(Item.project_id == pid, Item.name.like("imagesTs/%")))
        square = np.zeros((SHAPE[1], SHAPE[0]), np.uint8)
        square[4:9, 4:9] = 1
        for k, label in ((3, "ball"), (4, "box")):
            s.add(Annotation(item_id=item_id, project_id=pid, kind="mask", label=label, frame=k, source="model",
                             model_version="volume-segmenter@1", score=0.9, state="proposed",
                             geometry=mask_geometry(square)))  # fmt: skip
        reviewer = User(username="rita", password_hash="!", is_admin=True, is_active=True)
        s.add(reviewer)
        s.flush()
        rita = Actor(user_id=reviewer.id, username="rita", is_admin=True)
    with hub.db.session(write=True) as s:
        accept_proposals(s, rita, pid, [item_id], label="ball")
        accept_proposals(s, rita, pid, [item_id], label="box", reject=True)
    saved = evaluate_version(hub, SYSTEM, pid, mid)["accepted_unchanged"]
    assert (saved["proposals"], saved["reviewed"], saved["accepted_unchanged"], saved["share"]) == (2, 2, 1, 0.5)


def test_a_project_without_masks_has_nothing_to_evaluate_against(hub: Hub, tmp_path: Path) -> None:
    pid = volume_project(hub, tmp_path / "ds", labelled=2, unlabelled=0)
    mid = train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="volume_segmenter", **QUICK))
    with hub.db.session(write=True) as s:
        for a in s.scalars(select(Annotation).where(Annotation.project_id == pid)):
            s.delete(a)
        for it in s.scalars(select(Item).where(Item.project_id == pid)):
            it.status = "new"
    with pytest.raises(ValidationError, match="no accepted masks on volume slices"):
        evaluate_version(hub, SYSTEM, pid, mid)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a real training: once
def test_a_trained_segmenters_report_through_the_api_and_its_html_pictures(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = volume_project(hub, tmp_path / "ds", labelled=7, unlabelled=1)
    mid = train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="volume_segmenter", seed=1, held_out=0.3))
    run_prelabel(hub, SYSTEM, pid, {"model_id": mid}, lambda f, m: None)
    evaluate_version(hub, SYSTEM, pid, mid)
    r = client.get(f"/api/v1/projects/{pid}/models/{mid}/report", headers=admin_headers)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["kind"] == "volume_segmenter" and report["mean_dice"] > 0.7
    seg = report["segmentation"]
    assert all(c["dice_mean"] > 0.6 and c["dice_pooled"] > 0.6 for c in seg["per_class"]), seg["per_class"]
    assert seg["per_volume"][0]["mean_dice"] <= seg["per_volume"][-1]["mean_dice"]
    assert [e["which"] for e in seg["examples"]] == ["worst", "best"]
    assert report["accepted_unchanged"]["proposals"] > 0  # the pre-labelled volume's masks, none reviewed yet
    page = client.get(f"/api/v1/projects/{pid}/models/{mid}/report.html", headers=admin_headers)
    assert page.status_code == 200
    alts = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page.text)
    assert alts[0] == "Dice per class" and len(alts) == 3
    assert alts[1].startswith("Worst volume: imagesTr/") and alts[2].startswith("Best volume: imagesTr/")
    assert "Dice (mean ± std)" in page.text and "Per volume (worst first)" in page.text
