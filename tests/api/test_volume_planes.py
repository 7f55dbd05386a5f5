"""The sagittal and coronal planes of a volume item and of its label map, as the editor's side views show them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, write_coco

from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_geometry
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

LAS = np.diag([-0.5, 0.75, 2.0, 1.0])
SHAPE = (6, 5, 4)  # X, Y, Z: axial slices are 6 wide and 5 high; every axis a different length
X, Y, Z = SHAPE


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path) -> tuple[int, str, Path]:
    folder = tmp_path / "ct"
    (folder / "labels").mkdir(parents=True)
    data = (np.arange(np.prod(SHAPE)).reshape(SHAPE) * 7 - 50).astype(np.int16)
    nib.save(nib.Nifti1Image(data, LAS), str(folder / "head.nii.gz"))
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:3, 1:3, 2] = 1
    nib.save(nib.Nifti1Image(labels, LAS), str(folder / "labels" / "head.nii.gz"))
    classes = [{"name": "liver"}, {"name": "tumour"}]
    pid = create_project(client, headers, "scans", item_kind="volume", labels=classes)["id"]
    import_source(hub, Actor.system(), pid, folder, options=ImportOptions(extra={"labels": "liver"}))
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    return pid, f"{API}/projects/{pid}/items/{iid}", folder


def _canonical(path: Path) -> np.ndarray:
    return np.asarray(nib.as_closest_canonical(nib.load(str(path))).dataobj)


def _plane(r: Any, dtype: str) -> np.ndarray:
    assert r.status_code == 200, r.text
    return np.frombuffer(r.content, dtype=dtype).reshape(int(r.headers["x-slice-height"]), -1)


def _mask(rows: slice, cols: slice) -> dict[str, Any]:
    plane = np.zeros((Y, X), np.uint8)
    plane[rows, cols] = 1
    return mask_geometry(plane)


def test_planes_are_cut_through_the_shown_column_and_row_superior_at_the_top(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, url, folder = _project(client, hub, admin_headers, tmp_path)
    ras = _canonical(folder / "head.nii.gz")
    axial = [_plane(client.get(f"{url}/volume/slices/{k}", headers=admin_headers), "<i2") for k in range(Z)]
    for c in range(X):
        r = client.get(f"{url}/volume/planes/sagittal/{c}", headers=admin_headers)
        sagittal = _plane(r, "<i2")
        assert (r.headers["x-slice-width"], r.headers["x-slice-height"], r.headers["x-slice-dtype"]) == (
            str(Y), str(Z), "int16")  # fmt: skip
        for i in range(Z):
            for j in range(Y):
                # Superior at the top, anterior on the left: voxel (X-1-c, Y-1-j, Z-1-i) ...
                assert sagittal[i, j] == ras[X - 1 - c, Y - 1 - j, Z - 1 - i]
                # ... which is what the axial slice Z-1-i shows at row j of column c.
                assert sagittal[i, j] == axial[Z - 1 - i][j, c]
    for row in range(Y):
        coronal = _plane(client.get(f"{url}/volume/planes/coronal/{row}", headers=admin_headers), "<i2")
        assert coronal.shape == (Z, X)
        for i in range(Z):
            # The patient's right on the left, as on the axial slice: row `row` of slice Z-1-i.
            assert np.array_equal(coronal[i], axial[Z - 1 - i][row])
            assert all(coronal[i, j] == ras[X - 1 - j, Y - 1 - row, Z - 1 - i] for j in range(X))
    # The values grow towards anterior and superior (LAS data, arange): the top-left of a sagittal plane is the
    # largest of the plane, which a flipped orientation would get wrong.
    top = _plane(client.get(f"{url}/volume/planes/sagittal/0", headers=admin_headers), "<i2")
    assert top[0, 0] == top.max()

    r = client.get(f"{url}/volume/planes/coronal/1", headers=admin_headers)
    again = client.get(f"{url}/volume/planes/coronal/1", headers={**admin_headers, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get(f"{url}/volume/planes/coronal/2", headers={**admin_headers, "If-None-Match": r.headers["etag"]})
    assert other.status_code == 200


def test_label_planes_show_saved_masks_and_follow_every_save(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, url, folder = _project(client, hub, admin_headers, tmp_path)
    ras_labels = _canonical(folder / "labels" / "head.nii.gz")
    for c in range(X):  # the imported liver (value 1) where the label file has it
        r = client.get(f"{url}/volume/planes/sagittal/{c}/labels", headers=admin_headers)
        assert r.headers["x-label-dtype"] == "uint8" and "no-cache" in r.headers["cache-control"]
        got = _plane(r, "<u1")
        expected = [[ras_labels[X - 1 - c, Y - 1 - j, Z - 1 - i] for j in range(Y)] for i in range(Z)]
        assert got.tolist() == expected
    before = client.get(f"{url}/volume/planes/coronal/0/labels", headers=admin_headers)
    assert not _plane(before, "<u1").any()

    # A tumour (class 2) drawn on rows 0-1, columns 0-2 of slice 1, a liver on slice 0 like slice 2's.
    version = client.get(f"{url}/annotations", headers=admin_headers).json()["version"]
    tumour = {"kind": "mask", "label": "tumour", "geometry": _mask(slice(0, 2), slice(0, 3))}
    saved = client.put(f"{url}/annotations", params={"frame": 1}, json={"version": version, "annotations": [tumour]},
                       headers=admin_headers)  # fmt: skip
    assert saved.status_code == 200, saved.text
    liver = {"kind": "mask", "label": "liver", "geometry": _mask(slice(2, 4), slice(1, 3))}
    body = {"version": saved.json()["version"], "annotations": [liver]}
    saved = client.put(f"{url}/annotations", params={"frame": 0}, json=body, headers=admin_headers)
    assert saved.status_code == 200, saved.text

    # The old ETag no longer matches: the coronal plane through row 0 now has the tumour on slice 1 (row Z-2).
    after = client.get(
        f"{url}/volume/planes/coronal/0/labels", headers={**admin_headers, "If-None-Match": before.headers["etag"]}
    )
    coronal = _plane(after, "<u1")
    assert after.headers["etag"] != before.headers["etag"]
    assert coronal.tolist() == [[0] * X, [0] * X, [2, 2, 2, 0, 0, 0], [0] * X]
    same = client.get(
        f"{url}/volume/planes/coronal/0/labels", headers={**admin_headers, "If-None-Match": after.headers["etag"]}
    )
    assert same.status_code == 304

    # Fill between slices 0 and 2 proposes a liver on slice 1: proposals are not painted, accepted masks are.
    fill = {"label": "liver", "from_slice": 0, "to_slice": 2, "version": saved.json()["version"]}
    r = client.post(f"{url}/volume/fill", json=fill, headers=admin_headers)
    assert r.status_code == 200 and r.json()["filled"] == [1], r.text
    sagittal = _plane(client.get(f"{url}/volume/planes/sagittal/1/labels", headers=admin_headers), "<u1")
    # Rows: slices 3, 2, 1, 0; columns: the axial rows 0..4. Slice 1: the tumour on rows 0-1, no proposed liver.
    assert sagittal.tolist() == [[0] * Y, [0, 0, 1, 1, 0], [2, 2, 0, 0, 0], [0, 0, 1, 1, 0]]


def test_refusals_axis_index_kind_and_access(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, url, _ = _project(client, hub, admin_headers, tmp_path)
    assert_problem(client.get(f"{url}/volume/planes/axial/0", headers=admin_headers), 422, field="axis")
    assert_problem(client.get(f"{url}/volume/planes/axial/0/labels", headers=admin_headers), 422, field="axis")
    assert_problem(client.get(f"{url}/volume/planes/sagittal/{X}", headers=admin_headers), 422, field="index")
    assert_problem(client.get(f"{url}/volume/planes/coronal/{Y}/labels", headers=admin_headers), 422, field="index")
    assert_problem(client.get(f"{url}/volume/planes/coronal/-1", headers=admin_headers), 422, field="index")
    assert client.get(f"{url}/volume/planes/sagittal/{X - 1}", headers=admin_headers).status_code == 200
    assert client.get(f"{url}/volume/planes/coronal/{Y - 1}", headers=admin_headers).status_code == 200

    viewer_id, viewer = quick_user(hub, "viewer")
    r = client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert client.get(f"{url}/volume/planes/sagittal/0/labels", headers=viewer).status_code == 200
    _, stranger = quick_user(hub, "stranger")
    for path in ("sagittal/0", "coronal/0/labels"):
        assert_problem(client.get(f"{url}/volume/planes/{path}", headers=stranger), 404, field="project_id")

    images = create_project(client, admin_headers, "photos", labels=[{"name": "cat"}])["id"]
    import_coco(hub, images, write_coco(tmp_path / "coco.json", [("a.png", 8, 8, [])]))
    with hub.db.session() as s:
        image_id = s.scalars(select(Item.id).where(Item.project_id == images)).one()
    r = client.get(f"{API}/projects/{images}/items/{image_id}/volume/planes/sagittal/0", headers=admin_headers)
    assert_problem(r, 422, field="kind")
