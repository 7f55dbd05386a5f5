"""The demo CT volume: a torso phantom in Hounsfield units, its partial label map, and the project it becomes."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from fastapi.testclient import TestClient

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.domain.volume import display_slice
from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_array
from labelhub.hub import Hub
from labelhub.media.demo_volume import (
    DEMO_VOLUME_LABELS,
    LABELLED_SLICES,
    SHAPE,
    demo_volume_records,
    phantom,
    write_demo_volume,
)
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.services.projects import create_project


@pytest.fixture(scope="module")
def volume() -> tuple[np.ndarray, np.ndarray]:
    return phantom()


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [(0, None, None), (1, 50, 70), (2, 690, 710), (3, -810, -790)],
    ids=["body-and-air", "liver", "spine", "lung"],
)
def test_each_tissue_has_its_hounsfield_range(volume: tuple[np.ndarray, np.ndarray], value: int, low: int | None,
                                              high: int | None) -> None:  # fmt: skip
    image, labels = volume
    assert image.dtype == np.int16 and image.shape == labels.shape == SHAPE
    if value:
        assert low is not None and high is not None
        assert low <= float(image[labels == value].mean()) <= high
        assert float(image[labels == value].std()) < 15  # noise, not another tissue
        return
    air = image[:3, :3, :]  # the corners lie outside the body
    assert -1024 <= float(air.mean()) <= -980
    body = image[40:56, 70:80, 0:4]  # anterior soft tissue, below the lungs, left of the liver
    assert 30 <= float(body.mean()) <= 50


def test_the_structures_sit_where_a_ct_viewer_expects_them(volume: tuple[np.ndarray, np.ndarray]) -> None:
    _, labels = volume
    lower, upper = display_slice(labels, 12), display_slice(labels, 30)
    liver_cols = np.nonzero(lower == 1)[1]
    spine_rows = np.nonzero(lower == 2)[0]
    assert liver_cols.mean() < SHAPE[0] / 2  # the patient's right, shown on the left
    assert spine_rows.mean() > SHAPE[1] / 2  # posterior, shown at the bottom
    assert not (lower == 3).any() and (upper == 3).any() and not (upper == 1).any()  # lungs above the liver


def test_same_seed_same_voxels(tmp_path: Path) -> None:
    a = write_demo_volume(tmp_path / "a", seed=2)
    b = write_demo_volume(tmp_path / "b", seed=2)
    for part in ("imagesTr", "labelsTr"):
        va = np.asarray(nib.load(str(a / part / "ct_phantom.nii.gz")).dataobj)
        vb = np.asarray(nib.load(str(b / part / "ct_phantom.nii.gz")).dataobj)
        np.testing.assert_array_equal(va, vb)
    assert not np.array_equal(phantom(seed=1)[0], phantom(seed=2)[0])


def test_the_demo_project_holds_the_volume_with_masks_on_a_few_slices(
    hub: Hub, client: TestClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    records = demo_volume_records(tmp_path / "volume")
    with hub.db.session(write=True) as s:
        pid = create_project(s, Actor.system(), "CT", item_kind=ItemKind.VOLUME,
                             schema=LabelSchema.from_names(DEMO_VOLUME_LABELS)).id  # fmt: skip
    report = import_records(hub, Actor.system(), pid, records, labels=DEMO_VOLUME_LABELS, format_name="demo",
                            options=ImportOptions())  # fmt: skip
    assert (report.items_added, report.annotations_added, report.skipped) == (1, 7, [])
    [item] = client.get(f"/api/v1/projects/{pid}/items", headers=admin_headers).json()["items"]
    assert (item["kind"], item["width"], item["height"], item["frame_count"]) == ("volume", 96, 96, 40)
    assert item["meta"]["volume"]["modality"] == "CT" and item["meta"]["volume"]["spacing"] == [1.0, 1.0, 2.5]
    r = client.get(f"/api/v1/projects/{pid}/items/{item['id']}/annotations", headers=admin_headers)
    anns = r.json()["annotations"]
    assert {a["kind"] for a in anns} == {AnnotationKind.MASK.value}
    slices = {name: sorted(a["frame"] for a in anns if a["label"] == name) for name in DEMO_VOLUME_LABELS}
    assert slices == {name: list(ks) for name, ks in LABELLED_SLICES.items()}
    # The lungs are one class in two separate regions (for the fill to keep apart).
    lung = mask_array(next(a for a in anns if a["label"] == "lung")["geometry"])
    halves = lung[:, : SHAPE[0] // 2].sum(), lung[:, SHAPE[0] // 2 :].sum()
    assert min(halves) > 0
    # What the demo is for: the liver drawn on slices 5 and 12 fills the six slices between.
    body = {"label": "liver", "from_slice": 5, "to_slice": 12, "version": r.json()["version"]}
    filled = client.post(f"/api/v1/projects/{pid}/items/{item['id']}/volume/fill", json=body, headers=admin_headers)
    assert filled.status_code == 200, filled.text
    assert filled.json()["filled"] == [6, 7, 8, 9, 10, 11]
