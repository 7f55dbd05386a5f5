"""A class's keypoints changed in the settings: its stored keypoints annotations follow, point by point (SQLite, PG).

Reordering the points moves each stored triple with its name, a removed point's triple goes, a new point is absent
(0, 0, 0) on the stored instances, a point renamed in place keeps its triple; so a YOLO pose export (which needs K
points on every line) still works after a point is added, and no instance silently swaps its points' meanings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, create_project, import_coco, item_ids, write_coco

from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project

NAMES = ["nose", "left_eye", "right_eye"]
NOSE, LEFT, RIGHT = [10.0, 11.0, 2.0], [20.0, 21.0, 1.0], [30.0, 31.0, 2.0]
ABSENT = [0.0, 0.0, 0.0]
DOG_BOX = {"kind": "box", "geometry": {"bbox": [1.0, 2.0, 20.0, 30.0]}}
DOG_POINT = {"kind": "keypoints", "geometry": {"points": [1.0, 2.0, 2.0]}}


def _setup(
    client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path, name: str, dog: dict[str, Any]
) -> tuple[int, int]:
    person = {"name": "person", "keypoints": NAMES, "skeleton": [[0, 1], [0, 2]]}
    pid = create_project(client, headers, name, labels=[person, {"name": "dog"}])["id"]
    import_coco(hub, pid, write_coco(tmp_path / "c.json", [("a.jpg", 64, 48, [])], labels=("person", "dog")))
    iid = item_ids(client, headers, pid)[0]
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    anns = [{"kind": "keypoints", "label": "person", "geometry": {"points": NOSE + LEFT + RIGHT}},
            {"label": "dog", **dog}]  # fmt: skip
    r = client.put(url, json={"version": client.get(url, headers=headers).json()["version"], "annotations": anns},
                   headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text
    return pid, iid


def _declare(client: TestClient, headers: dict[str, str], pid: int, keypoints: list[str], **body: Any) -> None:
    project = client.get(f"{API}/projects/{pid}", headers=headers).json()
    labels = [{"name": body.pop("name", "person"), "keypoints": keypoints}, {"name": "dog"}]
    r = client.patch(f"{API}/projects/{pid}", json={"version": project["version"], "labels": labels, **body},
                     headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text


def _stored(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> tuple[int, dict[str, Any]]:
    body = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=headers).json()
    return body["version"], {a["label"]: a["geometry"].get("points") for a in body["annotations"]}


def test_stored_keypoints_follow_a_reorder_an_addition_a_removal_and_a_rename(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, iid = _setup(client, hub, admin_headers, tmp_path, "kp-follow", DOG_BOX)
    version, _ = _stored(client, admin_headers, pid, iid)

    _declare(client, admin_headers, pid, ["right_eye", "nose", "left_eye"])
    now, stored = _stored(client, admin_headers, pid, iid)
    assert stored["person"] == RIGHT + NOSE + LEFT
    assert now > version  # an editor open on the item reloads rather than save the old order back

    _declare(client, admin_headers, pid, ["right_eye", "nose", "left_eye", "neck"])
    assert _stored(client, admin_headers, pid, iid)[1]["person"] == RIGHT + NOSE + LEFT + ABSENT
    out = tmp_path / "yolo"
    export_project(hub, Actor.system(), pid, out, fmt="yolo", options=ExportOptions(extra={"task": "pose"}))
    lines = (out / "labels" / "train" / "a.txt").read_text().splitlines()
    assert sorted(len(line.split()) for line in lines) == [5 + 3 * 4, 5 + 3 * 4]  # the dog's box and the person

    _declare(client, admin_headers, pid, ["right_eye", "left_eye", "neck"])
    assert _stored(client, admin_headers, pid, iid)[1]["person"] == RIGHT + LEFT + ABSENT

    # A point renamed in place keeps its triple, with a class rename in the same request.
    _declare(client, admin_headers, pid, ["right_eye", "left_eye", "throat"], name="human",
             renames=[{"from": "person", "to": "human"}])  # fmt: skip
    assert _stored(client, admin_headers, pid, iid)[1]["human"] == RIGHT + LEFT + ABSENT

    # Nothing changed in the points: the item keeps its version.
    before = _stored(client, admin_headers, pid, iid)[0]
    _declare(client, admin_headers, pid, ["right_eye", "left_eye", "throat"], name="human")
    assert _stored(client, admin_headers, pid, iid)[0] == before


def test_annotations_not_matching_the_old_declaration_and_first_declarations_are_left_alone(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, iid = _setup(client, hub, admin_headers, tmp_path, "kp-leave", DOG_POINT)
    # "dog" declares no points yet: its one-point instance stays as it is when it first declares two.
    project = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()
    labels = [{"name": "person", "keypoints": NAMES}, {"name": "dog", "keypoints": ["head", "tail"]}]
    r = client.patch(f"{API}/projects/{pid}", json={"version": project["version"], "labels": labels},
                     headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert _stored(client, admin_headers, pid, iid)[1] == {"person": NOSE + LEFT + RIGHT, "dog": [1.0, 2.0, 2.0]}
