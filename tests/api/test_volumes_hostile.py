"""Volume items over HTTP as a demanding user and a hostile caller would use them: races between slice saves,
access on every volume route, ETags, media gone from disk, imports of broken files refused whole, round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests._concurrency import at_once
from tests.api._support import API, assert_problem, create_project, quick_user, run_jobs

from labelhub.formats import ExportOptions, ImportOptions
from labelhub.formats._volume_masks import mask_array, mask_geometry
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

LAS = np.diag([-0.5, 0.75, 2.0, 1.0])
SHAPE = (6, 5, 4)  # X, Y, Z: slices 6 wide, 5 high


def _scan(folder: Path, labels: np.ndarray | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = (np.arange(int(np.prod(SHAPE))).reshape(SHAPE) * 7 - 50).astype(np.int16)
    nib.save(nib.Nifti1Image(data, LAS), str(folder / "head.nii.gz"))
    if labels is not None:
        (folder / "labels").mkdir(exist_ok=True)
        nib.save(nib.Nifti1Image(labels, LAS), str(folder / "labels" / "head.nii.gz"))
    return folder


def _volume_project(
    client: TestClient, hub: Hub, headers: dict[str, str], folder: Path, name: str = "scans"
) -> tuple[int, int, str]:
    pid = create_project(client, headers, name, item_kind="volume", labels=[{"name": "liver"}, {"name": "tumour"}])[
        "id"
    ]
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:3, 1:3, 2] = 1
    import_source(hub, Actor.system(), pid, _scan(folder, labels), options=ImportOptions(extra={"labels": "liver"}))
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    return pid, iid, f"{API}/projects/{pid}/items/{iid}"


def _mask(rows: slice, cols: slice) -> dict[str, Any]:
    plane = np.zeros((SHAPE[1], SHAPE[0]), np.uint8)
    plane[rows, cols] = 1
    return mask_geometry(plane)


def _member(client: TestClient, hub: Hub, admin: dict[str, str], pid: int, name: str, role: str) -> dict[str, str]:
    uid, headers = quick_user(hub, name)
    r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin)
    assert r.status_code == 200, r.text
    return headers


def test_every_volume_route_hides_the_project_from_strangers_and_lets_viewers_only_read(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _, url = _volume_project(client, hub, admin_headers, tmp_path / "ct")
    _, stranger = quick_user(hub, "stranger")
    viewer = _member(client, hub, admin_headers, pid, "viewer", "viewer")
    annotator = _member(client, hub, admin_headers, pid, "annotator", "annotator")
    version = client.get(f"{url}/annotations", headers=admin_headers).json()["version"]
    fill = {"label": "liver", "from_slice": 0, "to_slice": 3, "version": version}
    tumour = {"kind": "mask", "label": "tumour", "geometry": _mask(slice(0, 2), slice(0, 2))}
    save = {"version": version, "annotations": [tumour]}
    for headers in (stranger,):
        for path in ("volume", "volume/slices/0", "annotations?frame=0", "thumbnail"):
            assert_problem(client.get(f"{url}/{path}", headers=headers), 404, field="project_id")
        assert_problem(client.post(f"{url}/volume/fill", json=fill, headers=headers), 404, field="project_id")
        assert_problem(client.put(f"{url}/annotations?frame=0", json=save, headers=headers), 404, field="project_id")
    for path in ("volume", "volume/slices/0", "annotations?frame=0", "thumbnail"):
        assert client.get(f"{url}/{path}", headers=viewer).status_code == 200, path
    assert_problem(client.post(f"{url}/volume/fill", json=fill, headers=viewer), 403)
    assert_problem(client.put(f"{url}/annotations?frame=0", json=save, headers=viewer), 403)
    r = client.put(f"{url}/annotations?frame=0", json=save, headers=annotator)
    assert r.status_code == 200 and [a["frame"] for a in r.json()["annotations"]] == [0]
    # Slices 0 and 2 hold no liver and tumour in common: the fill has nothing to start from (422, not 500).
    body = {**fill, "version": r.json()["version"], "to_slice": 2}
    assert_problem(client.post(f"{url}/volume/fill", json=body, headers=annotator), 422, field="from_slice")


def test_two_slices_saved_at_once_on_one_version_lose_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, _, url = _volume_project(client, hub, admin_headers, tmp_path / "ct")
    version = client.get(f"{url}/annotations", headers=admin_headers).json()["version"]

    def save(k: int) -> int:
        drawn = {"kind": "mask", "label": "tumour", "geometry": _mask(slice(k, k + 1), slice(0, 3))}
        body = {"version": version, "annotations": [drawn]}
        return client.put(f"{url}/annotations", params={"frame": k}, json=body, headers=admin_headers).status_code

    results = dict(zip((0, 3), at_once(save, (0, 3)), strict=True))
    assert sorted(results.values()) == [200, 409], results
    won = next(k for k, code in results.items() if code == 200)
    after = client.get(f"{url}/annotations", headers=admin_headers).json()
    assert after["version"] == version + 1
    assert sorted(a["frame"] for a in after["annotations"]) == sorted([2, won])  # the import's slice 2 kept


def test_a_slice_answers_304_to_its_etag_and_is_cached_for_good(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, _, url = _volume_project(client, hub, admin_headers, tmp_path / "ct")
    r = client.get(f"{url}/volume/slices/1", headers=admin_headers)
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    etag = r.headers["etag"]
    again = client.get(f"{url}/volume/slices/1", headers={**admin_headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and again.content == b""
    other = client.get(f"{url}/volume/slices/2", headers={**admin_headers, "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    assert_problem(client.get(f"{url}/volume/slices/4", headers=admin_headers), 422, field="slice")
    assert_problem(client.get(f"{url}/volume/slices/-1", headers=admin_headers), 422, field="slice")


def test_a_volume_whose_file_left_the_disk_is_a_clear_404(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, iid, url = _volume_project(client, hub, admin_headers, tmp_path / "ct")
    with hub.db.session() as s:
        key = s.scalars(select(Item.media_key).where(Item.id == iid)).one()
    path = hub.media.local_path(key)
    assert path is not None
    path.unlink()
    hub.volumes.clear()
    for part in ("volume", "volume/slices/0"):
        body = assert_problem(client.get(f"{url}/{part}", headers=admin_headers), 404)
        assert "not stored" in body["detail"], body


def test_a_volume_file_damaged_on_disk_is_a_problem_naming_the_item(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, iid, url = _volume_project(client, hub, admin_headers, tmp_path / "ct")
    with hub.db.session() as s:
        key = s.scalars(select(Item.media_key).where(Item.id == iid)).one()
    path = hub.media.local_path(key)
    assert path is not None
    path.write_bytes(path.read_bytes()[:60])
    hub.volumes.clear()
    r = client.get(f"{url}/volume", headers=admin_headers)
    assert_problem(r, 422)
    assert f"item {iid}" in r.json()["detail"]


def test_an_api_import_does_not_follow_a_link_out_of_the_import_folder(
    client: TestClient,
    hub: Hub,
    admin_headers: dict[str, str],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    outside = _scan(tmp_path_factory.mktemp("elsewhere") / "secret")
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "head.nii.gz").symlink_to(outside / "head.nii.gz")
    pid = create_project(client, admin_headers, "linked", item_kind="volume")["id"]
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": str(folder)}, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "failed" and "head.nii.gz" in str(job), job
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 0


def test_a_slice_edit_survives_export_and_import_into_a_new_project(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _, url = _volume_project(client, hub, admin_headers, tmp_path / "ct")
    version = client.get(f"{url}/annotations", headers=admin_headers).json()["version"]
    drawn = {"kind": "mask", "label": "tumour", "geometry": _mask(slice(3, 5), slice(3, 6))}
    polygon = {"kind": "polygon", "label": "liver", "geometry": {"points": [0.5, 0.5, 2.5, 0.5, 2.5, 2.5, 0.5, 2.5]}}
    body = {"version": version, "annotations": [drawn, polygon]}
    r = client.put(f"{url}/annotations", params={"frame": 3}, json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    # A class renamed and moved first after the import: the export names its value by the new name, in the
    # project's order.
    project = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()
    patch = {"version": project["version"], "labels": [{"name": "lesion"}, {"name": "liver"}],
             "renames": [{"from": "tumour", "to": "lesion"}]}  # fmt: skip
    r = client.patch(f"{API}/projects/{pid}", json=patch, headers=admin_headers)
    assert r.status_code == 200, r.text
    out = tmp_path / "out"
    export_project(hub, Actor.system(), pid, out, fmt="nifti", options=ExportOptions(copy_media=True))
    doc = (out / "dataset.json").read_text()
    assert '"1": "lesion"' in doc and '"2": "liver"' in doc, doc
    again = create_project(client, admin_headers, "again", item_kind="volume")["id"]
    import_source(hub, Actor.system(), again, out, fmt="nifti")
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == again)).one()
    got = client.get(f"{API}/projects/{again}/items/{iid}/annotations", params={"frame": 3}, headers=admin_headers)
    masks = {a["label"]: mask_array(a["geometry"]) for a in got.json()["annotations"]}
    assert np.array_equal(masks["lesion"], mask_array(drawn["geometry"]))
    liver = np.zeros((SHAPE[1], SHAPE[0]), np.uint8)
    liver[0:3, 0:3] = 1  # the polygon's pixels: centres inside it or on its edge
    assert np.array_equal(masks["liver"], liver), masks["liver"]
