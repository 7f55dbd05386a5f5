"""Keypoint skeletons in the label schema over the API, and through a COCO import and export (SQLite and PG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, write_coco

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project

NAMES = ["nose", "left_eye", "right_eye"]
PERSON = {"name": "person", "keypoints": NAMES, "skeleton": [[0, 1], [0, 2]]}


def _project(client: TestClient, headers: dict[str, str], pid: int) -> dict[str, Any]:
    out: dict[str, Any] = client.get(f"{API}/projects/{pid}", headers=headers).json()
    return out


def _patch(client: TestClient, headers: dict[str, str], pid: int, **body: Any) -> Any:
    version = _project(client, headers, pid)["version"]
    return client.patch(f"{API}/projects/{pid}", json={"version": version, **body}, headers=headers)


def _classes(client: TestClient, headers: dict[str, str], pid: int) -> dict[str, Any]:
    return {c["name"]: c for c in _project(client, headers, pid)["label_schema"]["classes"]}


def _put(client: TestClient, headers: dict[str, str], pid: int, iid: int, anns: list[Any]) -> Any:
    version = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=headers).json()["version"]
    return client.put(f"{API}/projects/{pid}/items/{iid}/annotations",
                      json={"version": version, "annotations": anns}, headers=headers)  # fmt: skip


def _kp(points: list[float], label: str = "person") -> dict[str, Any]:
    return {"kind": "keypoints", "label": label, "geometry": {"points": points}}


def test_labels_take_and_return_keypoints_and_a_rename_keeps_them(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    pid = create_project(client, admin_headers, "kp-api", labels=[PERSON, {"name": "dog"}])["id"]
    person = _classes(client, admin_headers, pid)["person"]
    assert (person["keypoints"], person["skeleton"]) == (NAMES, [[0, 1], [0, 2]])

    # A rename without labels keeps the stored classes, skeletons and all.
    r = _patch(client, admin_headers, pid, renames=[{"from": "person", "to": "human"}])
    assert r.status_code == 200, r.text
    human = _classes(client, admin_headers, pid)["human"]
    assert (human["keypoints"], human["skeleton"]) == (NAMES, [[0, 1], [0, 2]])
    # The settings page's rename: the classes under their new names, as they were read.
    sent = [{k: c[k] for k in ("name", "color", "hotkey", "keypoints", "skeleton") if k in c}
            for c in _project(client, admin_headers, pid)["label_schema"]["classes"]]  # fmt: skip
    sent[0]["name"] = "people"
    r = _patch(client, admin_headers, pid, labels=sent, renames=[{"from": "human", "to": "people"}])
    assert r.status_code == 200, r.text
    assert _classes(client, admin_headers, pid)["people"]["skeleton"] == [[0, 1], [0, 2]]


def test_a_broken_skeleton_is_refused_at_its_field(client: TestClient, admin_headers: dict[str, str]) -> None:
    r = client.post(
        f"{API}/projects",
        headers=admin_headers,
        json={"name": "kp-bad", "labels": [{"name": "dog"}, {**PERSON, "skeleton": [[0, 1], [1, 1]]}]},
    )
    body = assert_problem(r, 422, field="labels[1].skeleton[1]")
    assert "to itself" in body["detail"]
    pid = create_project(client, admin_headers, "kp-bad2", labels=[PERSON])["id"]
    r = _patch(client, admin_headers, pid, labels=[{**PERSON, "keypoints": ["nose", "nose", "eye"]}])
    assert_problem(r, 422, field="labels[0].keypoints[1]")


def test_a_keypoints_annotation_carries_one_triple_per_declared_point(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "kp-save", labels=[PERSON, {"name": "dog"}])["id"]
    import_coco(hub, pid, write_coco(tmp_path / "c.json", [("a.jpg", 64, 48, [])], labels=("person", "dog")))
    iid = item_ids(client, admin_headers, pid)[0]
    r = _put(client, admin_headers, pid, iid, [_kp([1, 1, 2, 5, 5, 1]), _kp([1, 1, 2], "dog")])
    body = assert_problem(r, 422, field="annotations[0].geometry.points")
    assert "'person' declares 3 keypoints" in body["detail"] and "got 2" in body["detail"]
    r = _put(client, admin_headers, pid, iid, [_kp([1, 1, 2, 5, 5, 1, 0, 0, 0]), _kp([1, 1, 2], "dog")])
    assert r.status_code == 200, r.text

    # The class gains a point: the stored annotation is not checked again until its points or label change.
    r = _patch(client, admin_headers, pid, labels=[{**PERSON, "keypoints": [*NAMES, "neck"]}, {"name": "dog"}])
    assert r.status_code == 200, r.text
    stored = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=admin_headers).json()["annotations"]
    kept = [{k: a[k] for k in ("id", "kind", "label", "geometry", "version")} for a in stored]
    assert _put(client, admin_headers, pid, iid, kept).status_code == 200
    moved = [{**kept[0], "geometry": {"points": [2, 2, 2, 5, 5, 1, 0, 0, 0]}}, kept[1]]
    assert_problem(_put(client, admin_headers, pid, iid, moved), 422, field="annotations[0].geometry.points")


def _coco_keypoints_file(path: Path) -> Path:
    """A COCO person-keypoints file as COCO writes it: one image, one person with 3 named points (one unseen)."""
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [
            {
                "id": 1,
                "name": "person",
                "supercategory": "person",
                "keypoints": NAMES,
                "skeleton": [[1, 2], [1, 3], [2, 3]],
            }
        ],
        "annotations": [
            {
                "id": 7,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10, 10, 20, 20],
                "iscrowd": 0,
                "area": 400,
                "num_keypoints": 2,
                "keypoints": [15, 12, 2, 12, 14, 1, 0, 0, 0],
            }
        ],
    }
    path.write_bytes(orjson.dumps(doc))
    return path


def test_coco_keypoints_round_trip_with_the_skeleton(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "kp-coco")["id"]
    report = import_coco(hub, pid, _coco_keypoints_file(tmp_path / "person_keypoints_val.json"))
    assert report.warnings == []
    person = _classes(client, admin_headers, pid)["person"]
    assert (person["keypoints"], person["skeleton"]) == (NAMES, [[0, 1], [0, 2], [1, 2]])  # 0-based inside

    dest = tmp_path / "out.json"
    export_project(hub, Actor.system(), pid, dest, fmt="coco")
    out = orjson.loads(dest.read_bytes())
    (cat,) = out["categories"]
    assert (cat["name"], cat["keypoints"], cat["skeleton"]) == ("person", NAMES, [[1, 2], [1, 3], [2, 3]])
    (ann,) = out["annotations"]
    assert ann["keypoints"] == [15, 12, 2, 12, 14, 1, 0, 0, 0]

    # The schema's declaration is what the export writes, over the file's kept metadata.
    r = _patch(client, admin_headers, pid, labels=[{**PERSON, "skeleton": [[1, 2]]}])
    assert r.status_code == 200, r.text
    export_project(hub, Actor.system(), pid, dest, fmt="coco", overwrite=True)
    assert orjson.loads(dest.read_bytes())["categories"][0]["skeleton"] == [[2, 3]]


def test_a_conflicting_declaration_is_kept_with_a_warning(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    own = {"name": "person", "keypoints": ["head", "tail", "paw"], "skeleton": [[0, 1]]}
    pid = create_project(client, admin_headers, "kp-conflict", labels=[own])["id"]
    path = _coco_keypoints_file(tmp_path / "k.json")
    report = import_coco(hub, pid, path)
    assert len(report.warnings) == 1 and "'person' keeps its own keypoints (head, tail, paw)" in report.warnings[0]
    person = _classes(client, admin_headers, pid)["person"]
    assert (person["keypoints"], person["skeleton"]) == (own["keypoints"], own["skeleton"])
