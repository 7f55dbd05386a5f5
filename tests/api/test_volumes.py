"""Volume items over HTTP: what the viewer needs first, raw slices, thumbnails, and saves of one slice at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import nibabel as nib
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, run_jobs, write_coco
from tests.api._video import grey_video, video_file_item

from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_geometry
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

LAS = np.diag([-0.5, 0.75, 2.0, 1.0])
SHAPE = (6, 5, 4)  # X, Y, Z: slices are 6 wide and 5 high


def _volume(tmp_path: Path, data: np.ndarray | None = None) -> Path:
    folder = tmp_path / "ct"
    folder.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = (np.arange(np.prod(SHAPE)).reshape(SHAPE) * 7 - 50).astype(np.int16)
    nib.save(nib.Nifti1Image(data, LAS), str(folder / "head.nii.gz"))
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:3, 1:3, 2] = 1
    (folder / "labels").mkdir(exist_ok=True)
    nib.save(nib.Nifti1Image(labels, LAS), str(folder / "labels" / "head.nii.gz"))
    return folder


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path) -> tuple[int, int, str]:
    pid = create_project(client, headers, "scans", item_kind="volume", labels=[{"name": "liver"}, {"name": "tumour"}])[
        "id"
    ]
    opts = ImportOptions(extra={"labels": "liver"})
    import_source(hub, Actor.system(), pid, _volume(tmp_path), options=opts)
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    return pid, iid, f"{API}/projects/{pid}/items/{iid}"


def _mask(rows: slice, cols: slice) -> dict[str, Any]:
    plane = np.zeros((SHAPE[1], SHAPE[0]), np.uint8)
    plane[rows, cols] = 1
    return mask_geometry(plane)


def test_the_viewer_gets_the_volume_then_slices_that_match_the_shown_orientation(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, _, url = _project(client, hub, admin_headers, tmp_path)
    r = client.get(f"{url}/volume", headers=admin_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"], body["slices"]) == SHAPE
    assert body["spacing"] == [0.5, 0.75, 2.0] and body["dtype"] == "int16" and body["modality"] is None
    assert body["range"] == [-50.0, -50.0 + 7 * (np.prod(SHAPE) - 1)]
    assert body["windows"][0]["name"] == "Auto"
    assert body["annotated"] == [{"slice": 2, "count": 1, "regions": ["liver"]}]

    canonical = np.asarray(nib.as_closest_canonical(nib.load(str(tmp_path / "ct" / "head.nii.gz"))).dataobj)
    for k in range(SHAPE[2]):
        r = client.get(f"{url}/volume/slices/{k}", headers=admin_headers)
        assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
        assert (r.headers["x-slice-width"], r.headers["x-slice-height"], r.headers["x-slice-dtype"]) == (
            "6",
            "5",
            "int16",
        )
        shown = np.frombuffer(r.content, dtype="<i2").reshape(5, 6)
        # Row 0 anterior, column 0 the patient's right: RAS+ voxel (X-1-c, Y-1-r, k).
        assert np.array_equal(shown, canonical[::-1, ::-1, k].T)
    again = client.get(f"{url}/volume/slices/3", headers={**admin_headers, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert_problem(client.get(f"{url}/volume/slices/4", headers=admin_headers), 422, field="slice")

    thumb = client.get(f"{url}/thumbnail", params={"size": 128}, headers=admin_headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp", thumb.text
    picture = cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert picture is not None and picture.shape == (5, 6)  # the middle slice (never scaled up)
    assert picture[:, 0].mean() < picture[:, -1].mean()  # RAS+ x falls to the right: LAS voxels grow there


def test_a_float_volume_is_sent_as_float32(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "mr", item_kind="volume", labels=[{"name": "liver"}])["id"]
    data = np.linspace(0, 1, int(np.prod(SHAPE)), dtype=np.float32).reshape(SHAPE)
    import_source(hub, Actor.system(), pid, _volume(tmp_path, data), options=ImportOptions(extra={"labels": "liver"}))
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    url = f"{API}/projects/{pid}/items/{iid}/volume"
    assert client.get(url, headers=admin_headers).json()["dtype"] == "float32"
    r = client.get(f"{url}/slices/0", headers=admin_headers)
    shown = np.frombuffer(r.content, dtype="<f4").reshape(5, 6)
    canonical = data[::-1, :, :]  # LAS -> RAS+
    assert r.headers["x-slice-dtype"] == "float32" and np.allclose(shown, canonical[::-1, ::-1, 0].T)


def test_refusals_an_image_item_a_stranger_and_metadata_only(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, _, url = _project(client, hub, admin_headers, tmp_path)
    _, stranger = quick_user(hub, "stranger")
    # A non-member is told the project is not there (as by every item route): nothing about it leaks.
    for path in ("volume", "volume/slices/0", "annotations?frame=0", "thumbnail"):
        assert_problem(client.get(f"{url}/{path}", headers=stranger), 404, field="project_id")

    images = create_project(client, admin_headers, "photos", labels=[{"name": "cat"}])["id"]
    import_coco(hub, images, write_coco(tmp_path / "coco.json", [("a.png", 8, 8, [])]))
    with hub.db.session() as s:
        image_id = s.scalars(select(Item.id).where(Item.project_id == images)).one()
    item_url = f"{API}/projects/{images}/items/{image_id}"
    body = assert_problem(client.get(f"{item_url}/volume", headers=admin_headers), 422, field="kind")
    assert body["detail"] == f"item {image_id} is an image, not a volume"
    assert_problem(
        client.get(f"{item_url}/annotations", params={"frame": 0}, headers=admin_headers), 422, field="frame"
    )

    bare = create_project(client, admin_headers, "bare", item_kind="volume")["id"]
    import_source(hub, Actor.system(), bare, _volume(tmp_path / "again"), options=ImportOptions(media="none"))
    with hub.db.session() as s:
        bare_id = s.scalars(select(Item.id).where(Item.project_id == bare)).one()
    assert_problem(client.get(f"{API}/projects/{bare}/items/{bare_id}/volume", headers=admin_headers), 404)


def test_a_slice_is_saved_alone_and_the_other_slices_keep_their_annotations(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, _, url = _project(client, hub, admin_headers, tmp_path)
    whole = client.get(f"{url}/annotations", headers=admin_headers).json()
    (imported,) = whole["annotations"]
    assert imported["frame"] == 2 and imported["label"] == "liver"

    r = client.get(f"{url}/annotations", params={"frame": 1}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["annotations"] == []
    put = {"version": whole["version"], "annotations": [
        {"kind": "mask", "label": "tumour", "geometry": _mask(slice(0, 2), slice(0, 3))},
        {"kind": "mask", "label": "liver", "geometry": _mask(slice(3, 5), slice(4, 6)), "frame": 1}]}  # fmt: skip
    r = client.put(f"{url}/annotations", params={"frame": 1}, json=put, headers=admin_headers)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["version"] == whole["version"] + 1
    assert sorted((a["label"], a["frame"]) for a in saved["annotations"]) == [("liver", 1), ("tumour", 1)]
    everything = client.get(f"{url}/annotations", headers=admin_headers).json()["annotations"]
    assert imported in everything and len(everything) == 3  # slice 2 untouched
    info = client.get(f"{url}/volume", headers=admin_headers).json()
    # The slider's ticks, with the classes each slice has a mask of (what "fill between slices" offers).
    assert info["annotated"] == [
        {"slice": 1, "count": 2, "regions": ["liver", "tumour"]},
        {"slice": 2, "count": 1, "regions": ["liver"]},
    ]

    # Emptying slice 1 leaves slice 2 alone; a stale version is refused and writes nothing.
    stale = client.put(f"{url}/annotations", params={"frame": 1}, json={"version": whole["version"], "annotations": []},
                       headers=admin_headers)  # fmt: skip
    assert_problem(stale, 409, field="version")
    r = client.put(f"{url}/annotations", params={"frame": 1}, json={"version": saved["version"], "annotations": []},
                   headers=admin_headers)  # fmt: skip
    assert r.status_code == 200 and r.json()["annotations"] == []
    left = client.get(f"{url}/annotations", headers=admin_headers).json()
    assert left["annotations"] == [imported]

    # An annotation on another slice, a slice outside the volume, a full save with a mask on no slice: 422.
    on_other = {"version": left["version"], "annotations": [
        {"kind": "mask", "label": "liver", "geometry": _mask(slice(0, 1), slice(0, 1)), "frame": 0}]}  # fmt: skip
    r = client.put(f"{url}/annotations", params={"frame": 1}, json=on_other, headers=admin_headers)
    assert_problem(r, 422, field="annotations[0].frame")
    r = client.put(f"{url}/annotations", params={"frame": 4}, json=on_other, headers=admin_headers)
    assert_problem(r, 422, field="frame")
    assert_problem(client.get(f"{url}/annotations", params={"frame": 9}, headers=admin_headers), 422, field="frame")
    loose = {"kind": "mask", "label": "liver", "geometry": _mask(slice(0, 1), slice(0, 1))}
    no_slice = {"version": left["version"], "annotations": [*left["annotations"], loose]}
    assert_problem(
        client.put(f"{url}/annotations", json=no_slice, headers=admin_headers), 422, field="annotations[1].frame"
    )
    tag = {"version": left["version"], "annotations": [*left["annotations"], {"kind": "class", "label": "tumour"}]}
    r = client.put(f"{url}/annotations", json=tag, headers=admin_headers)  # a whole-volume tag needs no slice
    assert r.status_code == 200 and len(r.json()["annotations"]) == 2


def test_a_viewer_cannot_save_a_slice(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _, url = _project(client, hub, admin_headers, tmp_path)
    viewer_id, viewer = quick_user(hub, "viewer")
    r = client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    got = client.get(f"{url}/annotations", params={"frame": 2}, headers=viewer)
    assert got.status_code == 200 and len(got.json()["annotations"]) == 1
    assert client.get(f"{url}/volume/slices/2", headers=viewer).status_code == 200
    empty = {"version": got.json()["version"], "annotations": []}
    r = client.put(f"{url}/annotations", params={"frame": 2}, json=empty, headers=viewer)
    assert_problem(r, 403)


def test_the_import_route_takes_a_nifti_folder_into_a_volume_project(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "via api", item_kind="volume")["id"]
    body = {"source": str(_volume(tmp_path)), "options": {"labels": "liver"}}
    r = client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    (item,) = client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
    assert (item["kind"], item["name"], item["width"], item["height"], item["frame_count"]) == (
        "volume", "head.nii.gz", 6, 5, 4)  # fmt: skip
    assert item["annotation_count"] == 1


def test_a_video_frame_is_saved_alone_too(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "clips", item_kind="video", labels=[{"name": "car"}])["id"]
    iid = video_file_item(hub, pid, grey_video(tmp_path / "in" / "grey.avi", frames=12))
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    box = {"kind": "box", "label": "car", "geometry": {"bbox": [1, 2, 10, 12]}}
    first = client.put(url, json={"version": 1, "annotations": [{**box, "frame": 0}]}, headers=admin_headers).json()
    r = client.put(
        url, params={"frame": 3}, json={"version": first["version"], "annotations": [box]}, headers=admin_headers
    )
    assert r.status_code == 200, r.text
    assert [a["frame"] for a in r.json()["annotations"]] == [3]
    assert sorted(a["frame"] for a in client.get(url, headers=admin_headers).json()["annotations"]) == [0, 3]
    assert_problem(client.get(url, params={"frame": 12}, headers=admin_headers), 422, field="frame")
