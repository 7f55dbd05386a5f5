"""Consensus labelling over HTTP: a manager puts items under consensus, each annotator's editor reads and saves
only their own labels through the ordinary annotation routes, the last submission merges, and reviewers compare
the replicas and read the project's agreement."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, write_coco

from labelhub.hub import Hub


@dataclass
class World:
    pid: int
    items: list[int]
    h: dict[str, dict[str, str]]
    uid: dict[str, int]


@pytest.fixture
def w(client: TestClient, hub: Hub, tmp_path: Path) -> World:
    h: dict[str, dict[str, str]] = {}
    uid: dict[str, int] = {}
    for name in ("admin", "manager", "ann1", "ann2", "reviewer", "outsider"):
        uid[name], h[name] = quick_user(hub, f"c-{name}", admin=name == "admin")
    pid = create_project(client, h["admin"], "consensus-api")["id"]
    for name, role in (("manager", "manager"), ("ann1", "annotator"), ("ann2", "annotator"),
                       ("reviewer", "reviewer")):  # fmt: skip
        r = client.put(f"{API}/projects/{pid}/members/{uid[name]}", json={"role": role}, headers=h["admin"])
        assert r.status_code == 200, r.text
    images = [("a.jpg", 100, 100, []), ("b.jpg", 100, 100, []), ("c.jpg", 100, 100, [("cat", (1, 1, 10, 10))])]
    import_coco(hub, pid, write_coco(tmp_path / "c.json", images))
    items = [i["id"] for i in client.get(f"{API}/projects/{pid}/items", headers=h["admin"]).json()["items"]]
    return World(pid, items, h, uid)


def box(label: str, *xyxy: float) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": list(xyxy)}}


def anns(client: TestClient, w: World, who: str, item: int) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{w.pid}/items/{item}/annotations", headers=w.h[who])
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def put(client: TestClient, w: World, who: str, item: int, version: int, labels: list[dict[str, Any]],
        status: str | None = None) -> Any:  # fmt: skip
    body = {"version": version, "annotations": labels, **({"status": status} if status else {})}
    return client.put(f"{API}/projects/{w.pid}/items/{item}/annotations", json=body, headers=w.h[who])


def test_two_people_label_independently_and_the_second_submission_merges(client: TestClient, w: World) -> None:
    item = w.items[0]
    r = client.post(f"{API}/projects/{w.pid}/consensus", json={"item_ids": w.items, "overlap": 2},
                    headers=w.h["manager"])  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["changed"] == 2
    assert r.json()["skipped"] == [{"reason": "already labelled", "count": 1, "item_ids": [w.items[2]]}]

    first = anns(client, w, "ann1", item)
    assert first["version"] == 0 and first["annotations"] == []
    assert first["consensus"] == {"overlap": 2, "submitted_count": 0, "you_submitted": False, "merged": False}
    saved = put(client, w, "ann1", item, 0, [box("cat", 10, 10, 50, 50)])
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["annotations"][0]["label"] == "cat"
    assert anns(client, w, "ann2", item)["annotations"] == []  # ann2 never sees ann1's box
    assert_problem(put(client, w, "ann1", item, 0, []), 409, field="version")  # stale replica version
    done = put(client, w, "ann1", item, 1, saved.json()["annotations"], "labeled")
    assert done.json()["consensus"]["you_submitted"] is True

    listed = {i["id"]: i for i in client.get(f"{API}/projects/{w.pid}/items", headers=w.h["ann1"]).json()["items"]}
    assert (listed[item]["overlap"], listed[item]["consensus_submitted"]) == (2, 1)
    assert listed[w.items[2]]["consensus_submitted"] is None

    last = put(client, w, "ann2", item, 0, [box("cat", 20, 10, 60, 50), box("dog", 70, 70, 90, 90)], "labeled")
    assert last.status_code == 200, last.text
    body = last.json()
    assert body["consensus"]["merged"] is True
    # k = 2: kept when at least one person drew it; the two cat boxes (IoU 0.6) fuse into their mean.
    merged = {a["label"]: a for a in body["annotations"]}
    assert merged["cat"]["geometry"]["bbox"] == pytest.approx([15, 10, 55, 50])
    assert merged["cat"]["attributes"] == {"consensus_votes": 2, "consensus_of": 2}
    assert merged["dog"]["attributes"]["consensus_votes"] == 1
    shown = client.get(f"{API}/projects/{w.pid}/items/{item}", headers=w.h["reviewer"]).json()
    assert shown["status"] == "labeled" and shown["version"] == body["version"]
    assert shown["meta"]["agreement"] == pytest.approx(2 / 3, abs=1e-4)  # F1 of 1 match among 3 boxes
    assert "consensus" not in anns(client, w, "ann1", item)  # merged: everyone sees the item's labels

    compared = client.get(f"{API}/projects/{w.pid}/items/{item}/consensus", headers=w.h["reviewer"])
    assert compared.status_code == 200, compared.text
    c = compared.json()
    assert [(r["username"], r["submitted"]) for r in c["replicas"]] == [("c-ann1", True), ("c-ann2", True)]
    assert c["merged"] is True and c["matrix"] == [[1.0, pytest.approx(2 / 3, abs=1e-4)],
                                                   [pytest.approx(2 / 3, abs=1e-4), 1.0]]  # fmt: skip
    assert_problem(client.get(f"{API}/projects/{w.pid}/items/{item}/consensus", headers=w.h["ann1"]), 403)

    report = client.get(f"{API}/projects/{w.pid}/agreement", headers=w.h["reviewer"]).json()
    assert (report["items_open"], report["items_merged"], report["items_scored"]) == (1, 1, 1)
    assert report["lowest"] == [{"item_id": item, "name": "a.jpg", "status": "labeled",
                                 "agreement": pytest.approx(2 / 3, abs=1e-4), "replicas": 2}]  # fmt: skip
    assert {a["username"]: a["items"] for a in report["annotators"]} == {"c-ann1": 1, "c-ann2": 1}
    assert report["alpha"] is None  # no class tags


def test_a_manager_merges_early_and_roles_are_checked(client: TestClient, w: World) -> None:
    url = f"{API}/projects/{w.pid}/consensus"
    assert_problem(client.post(url, json={"item_ids": [w.items[0]], "overlap": 3}, headers=w.h["ann1"]), 403)
    assert_problem(client.post(url, json={"item_ids": [w.items[0]], "overlap": 3}, headers=w.h["outsider"]), 404)
    r = client.post(url, json={"filter": {"status": "new"}, "overlap": 3}, headers=w.h["manager"])
    assert r.json()["changed"] == 2  # the item list's filter: the two new items
    item = w.items[1]
    merge = f"{API}/projects/{w.pid}/items/{item}/consensus/merge"
    put(client, w, "ann1", item, 0, [{"kind": "class", "label": "cat"}], "labeled")
    assert_problem(client.post(merge, headers=w.h["manager"]), 422, field="item_id")  # one replica only
    put(client, w, "ann2", item, 0, [{"kind": "class", "label": "cat"}], "labeled")
    assert_problem(client.post(merge, headers=w.h["reviewer"]), 403)
    done = client.post(merge, headers=w.h["manager"])
    assert done.status_code == 200, done.text
    assert done.json()["merged"] is True and done.json()["agreement"] == 1.0
    labels = anns(client, w, "reviewer", item)["annotations"]
    assert [(a["kind"], a["label"], a["attributes"]) for a in labels] == [
        ("class", "cat", {"consensus_votes": 2, "consensus_of": 2})
    ]


def test_video_projects_are_refused_naming_the_field(client: TestClient, w: World) -> None:
    pid = create_project(client, w.h["admin"], "consensus-video", item_kind="video")["id"]
    r = client.post(f"{API}/projects/{pid}/consensus", json={"item_ids": [1], "overlap": 2}, headers=w.h["admin"])
    body = assert_problem(r, 422, field="overlap")
    assert "video" in body["detail"]
