"""Structure measurements of a volume item: what the volume editor's "Structures" panel lists per class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, write_coco

from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_geometry
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

# Stored left-to-right flipped (LAS), so the measurements must go through the RAS+ order the editor shows.
SPACING = (2.0, 2.5, 4.0)  # mm: one voxel is 20 mm³ = 0.02 mL
LAS = np.diag([-SPACING[0], SPACING[1], SPACING[2], 1.0])
SHAPE = (8, 6, 5)  # X, Y, Z
X, Y, Z = SHAPE
VOXEL_ML = 0.02


def _volumes(tmp_path: Path) -> Path:
    """A CT-like volume (air, -1000) with a liver of 18 voxels on slices 1-3 (60, 40 and 20 HU) and a tumour of
    one voxel on slice 0 and two on slice 4; the arrays are written in RAS+ order then flipped to LAS."""
    folder = tmp_path / "ct"
    (folder / "labels").mkdir(parents=True)
    ras = np.full(SHAPE, -1000, np.int16)
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:4, 2:4, 1:4] = 1
    for k, hu in ((1, 60), (2, 40), (3, 20)):
        ras[1:4, 2:4, k] = hu
    labels[6, 0, 0] = labels[6, 0, 4] = labels[5, 0, 4] = 2
    ras[6, 0, 0], ras[6, 0, 4], ras[5, 0, 4] = 100, 200, 300
    nib.save(nib.Nifti1Image(ras[::-1].copy(), LAS), str(folder / "head.nii.gz"))
    nib.save(nib.Nifti1Image(labels[::-1].copy(), LAS), str(folder / "labels" / "head.nii.gz"))
    return folder


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    classes = [{"name": "liver"}, {"name": "tumour"}, {"name": "spleen"}]
    pid = create_project(client, headers, "abdomen", item_kind="volume", labels=classes)["id"]
    options = ImportOptions(extra={"labels": "liver,tumour"})
    import_source(hub, Actor.system(), pid, _volumes(tmp_path), options=options)
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    return pid, f"{API}/projects/{pid}/items/{iid}"


def _by_label(structures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["label"]: s for s in structures}


def test_each_class_has_its_voxels_volume_slices_centroid_and_intensities(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, url = _project(client, hub, admin_headers, tmp_path)
    r = client.get(f"{url}/volume/measures", headers=admin_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["spacing"] == list(SPACING) and body["voxel_ml"] == pytest.approx(VOXEL_ML)
    assert [s["label"] for s in body["structures"]] == ["liver", "tumour"]  # the project's order; no spleen
    assert body["proposals"] == []
    liver = _by_label(body["structures"])["liver"]
    assert liver["voxels"] == 18 and liver["volume_ml"] == pytest.approx(0.36)
    assert (liver["first_slice"], liver["last_slice"], liver["slice_count"]) == (1, 3, 3)
    # RAS+ x 1..3 (mean 2) is shown column X-1-2 = 5; y 2..3 (mean 2.5) is shown row Y-1-2.5 = 2.5.
    assert liver["centroid"] == pytest.approx({"column": 5.0, "row": 2.5, "slice": 2.0})
    assert liver["center_slice"] == 2
    assert liver["intensity"] == pytest.approx({"mean": 40.0, "std": (800 / 3) ** 0.5, "min": 20.0, "max": 60.0})
    tumour = _by_label(body["structures"])["tumour"]
    assert tumour["voxels"] == 3 and tumour["volume_ml"] == pytest.approx(0.06)
    assert (tumour["first_slice"], tumour["last_slice"], tumour["slice_count"]) == (0, 4, 2)
    # Its centroid's slice (8 / 3 = 2.67) holds none of it: the editor jumps to slice 4, the nearest that does.
    assert tumour["centroid"]["slice"] == pytest.approx(8 / 3) and tumour["center_slice"] == 4
    assert tumour["centroid"]["column"] == pytest.approx(X - 1 - 17 / 3)
    assert tumour["intensity"]["mean"] == pytest.approx(200.0)
    assert (tumour["intensity"]["min"], tumour["intensity"]["max"]) == (100.0, 300.0)


def _mask(rows: slice, cols: slice) -> dict[str, Any]:
    plane = np.zeros((Y, X), np.uint8)
    plane[rows, cols] = 1
    return mask_geometry(plane)


def test_measures_follow_saves_and_count_proposals_apart(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, url = _project(client, hub, admin_headers, tmp_path)
    first = client.get(f"{url}/volume/measures", headers=admin_headers).json()
    # A spleen of 2 x 3 pixels drawn on slice 2 (next to the liver's 6 there): 6 voxels, 0.12 mL.
    saved = client.get(f"{url}/annotations", params={"frame": 2}, headers=admin_headers).json()
    spleen = {"kind": "mask", "label": "spleen", "geometry": _mask(slice(4, 6), slice(0, 3))}
    body = {"version": saved["version"], "annotations": [*saved["annotations"], spleen]}
    r = client.put(f"{url}/annotations", params={"frame": 2}, json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    after = client.get(f"{url}/volume/measures", headers=admin_headers).json()
    assert after["version"] > first["version"]
    got = _by_label(after["structures"])
    assert got["spleen"]["voxels"] == 6 and got["spleen"]["volume_ml"] == pytest.approx(0.12)
    assert (got["spleen"]["first_slice"], got["spleen"]["last_slice"]) == (2, 2)
    assert got["spleen"]["centroid"] == pytest.approx({"column": 1.0, "row": 4.5, "slice": 2.0})
    assert got["spleen"]["intensity"]["mean"] == -1000.0
    assert got["liver"]["voxels"] == 18

    # Spleen on slice 4 too, then "fill between" proposes it on slice 3: a proposal, measured apart.
    saved = client.get(f"{url}/annotations", params={"frame": 4}, headers=admin_headers).json()
    body = {"version": saved["version"], "annotations": [*saved["annotations"], spleen]}
    r = client.put(f"{url}/annotations", params={"frame": 4}, json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    fill = {"label": "spleen", "from_slice": 2, "to_slice": 4, "version": r.json()["version"]}
    r = client.post(f"{url}/volume/fill", json=fill, headers=admin_headers)
    assert r.status_code == 200 and r.json()["filled"] == [3], r.text
    out = client.get(f"{url}/volume/measures", headers=admin_headers).json()
    assert _by_label(out["structures"])["spleen"]["voxels"] == 12
    proposed = _by_label(out["proposals"])
    assert list(proposed) == ["spleen"]
    spleen_proposed = proposed["spleen"]
    assert spleen_proposed["voxels"] == 6
    assert (spleen_proposed["first_slice"], spleen_proposed["last_slice"]) == (3, 3)


def test_a_ct_reads_in_hounsfield_units(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, url = _project(client, hub, admin_headers, tmp_path)
    assert client.get(f"{url}/volume/measures", headers=admin_headers).json()["unit"] is None  # NIfTI names none
    iid = int(url.rsplit("/", 1)[1])
    with hub.db.session(write=True) as s:
        item = s.get(Item, iid)
        assert item is not None
        item.meta = {**item.meta, "volume": {**item.meta["volume"], "modality": "CT"}}
    assert client.get(f"{url}/volume/measures", headers=admin_headers).json()["unit"] == "HU"


def test_refusals_kind_and_access(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> None:
    pid, url = _project(client, hub, admin_headers, tmp_path)
    viewer_id, viewer = quick_user(hub, "measures-viewer")
    r = client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    r = client.get(f"{url}/volume/measures", headers=viewer)  # reading is enough
    assert r.status_code == 200 and len(r.json()["structures"]) == 2
    _, stranger = quick_user(hub, "measures-stranger")
    assert_problem(client.get(f"{url}/volume/measures", headers=stranger), 404, field="project_id")
    assert client.get(f"{url}/volume/measures").status_code == 401
    assert_problem(client.get(f"{API}/projects/{pid}/items/999999/volume/measures", headers=admin_headers), 404)

    images = create_project(client, admin_headers, "photos", labels=[{"name": "cat"}])["id"]
    import_coco(hub, images, write_coco(tmp_path / "coco.json", [("a.png", 8, 8, [])]))
    with hub.db.session() as s:
        image_id = s.scalars(select(Item.id).where(Item.project_id == images)).one()
    r = client.get(f"{API}/projects/{images}/items/{image_id}/volume/measures", headers=admin_headers)
    body = assert_problem(r, 422, field="kind")
    assert "not a volume" in body["detail"]
