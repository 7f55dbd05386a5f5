"""Renaming a class that annotations carry: PATCH /projects/{id} with ``renames`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import Annotation, AuditEvent, ModelVersion

CLASSES = [{"name": "ped"}, {"name": "car"}, {"name": "bike"}]


def _street(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path) -> tuple[int, list[int]]:
    """A project whose items a, b, c hold ped/car, car, ped boxes, with a ped-only attribute, a track box and a
    class label of ped on c, and a registered model that maps its class 0 to ped."""
    pid = create_project(
        client, headers, "street", labels=CLASSES,
        attributes=[{"name": "crossing", "type": "bool", "labels": ["ped"]}, {"name": "moving", "type": "bool"}],
    )["id"]  # fmt: skip
    images = [
        ("a.jpg", 64, 48, [("ped", (1, 1, 5, 5)), ("car", (2, 2, 5, 5))]),
        ("b.jpg", 64, 48, [("car", (1, 1, 4, 4))]),
        ("c.jpg", 64, 48, [("ped", (3, 3, 4, 4))]),
    ]
    import_coco(hub, pid, write_coco(tmp_path / "coco.json", images, labels=("ped", "car")))
    ids = item_ids(client, headers, pid)
    with hub.db.session(write=True) as s:
        s.add(Annotation(item_id=ids[2], project_id=pid, kind="box", label="ped", frame=0, track_id=1,
                         geometry={"x": 1, "y": 1, "w": 2, "h": 2}))  # fmt: skip
        s.add(Annotation(item_id=ids[2], project_id=pid, kind="class", label="ped"))
        s.add(ModelVersion(project_id=pid, name="det", kind="http", version=1, status="ready",
                           params={"url": "http://x", "labels": {"0": "ped", "1": "car"}}))  # fmt: skip
    return pid, ids


def _project(client: TestClient, headers: dict[str, str], pid: int) -> dict[str, Any]:
    out: dict[str, Any] = client.get(f"{API}/projects/{pid}", headers=headers).json()
    return out


def _item(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _labels(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> list[str]:
    return sorted(a["label"] for a in _item(client, headers, pid, iid)["annotations"])


def _patch(client: TestClient, headers: dict[str, str], pid: int, **body: Any) -> Any:
    version = _project(client, headers, pid)["version"]
    return client.patch(f"{API}/projects/{pid}", json={"version": version, **body}, headers=headers)


def test_renaming_a_used_class_renames_its_annotations(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _street(client, hub, admin_headers, tmp_path)
    before = {i: _item(client, admin_headers, pid, i)["version"] for i in ids}

    # The settings page's body: the classes under their new names, the attributes as they were stored.
    stored = _project(client, admin_headers, pid)["label_schema"]["attributes"]
    r = _patch(client, admin_headers, pid, labels=[{"name": "pedestrian"}, {"name": "car"}, {"name": "bike"}],
               attributes=stored, renames=[{"from": "ped", "to": "pedestrian"}])  # fmt: skip
    assert r.status_code == 200, r.text
    schema = r.json()["label_schema"]
    assert [c["name"] for c in schema["classes"]] == ["pedestrian", "car", "bike"]
    assert {a["name"]: a["labels"] for a in schema["attributes"]} == {"crossing": ["pedestrian"], "moving": []}
    # A COCO export gives the renamed class the id the imported file gave ped.
    assert [(c["id"], c["name"]) for c in schema["format_meta"]["coco"]["categories"]] == [
        (1, "pedestrian"),
        (2, "car"),
    ]

    assert _labels(client, admin_headers, pid, ids[0]) == ["car", "pedestrian"]
    assert _labels(client, admin_headers, pid, ids[1]) == ["car"]
    assert _labels(client, admin_headers, pid, ids[2]) == ["pedestrian"] * 3  # a box, a track box, a class label
    after = {i: _item(client, admin_headers, pid, i)["version"] for i in ids}
    assert after == {ids[0]: before[ids[0]] + 1, ids[1]: before[ids[1]], ids[2]: before[ids[2]] + 1}
    stats = client.get(f"{API}/projects/{pid}/stats", headers=admin_headers).json()
    assert "ped" not in str(stats["labels"]).replace("pedestrian", ""), stats["labels"]

    # An editor opened before the rename saves the old name back: refused, it reloads.
    url = f"{API}/projects/{pid}/items/{ids[0]}/annotations"
    box = {"kind": "box", "label": "ped", "geometry": {"x": 1, "y": 1, "w": 5, "h": 5}}
    assert_problem(client.put(url, json={"version": before[ids[0]], "annotations": [box]}, headers=admin_headers),
                   409)  # fmt: skip
    assert _labels(client, admin_headers, pid, ids[0]) == ["car", "pedestrian"]

    with hub.db.session() as s:
        (params,) = s.scalars(select(ModelVersion.params).where(ModelVersion.project_id == pid)).all()
        events = s.scalars(
            select(AuditEvent.detail).where(AuditEvent.project_id == pid, AuditEvent.action == "project.update")
        ).all()
    assert params["labels"] == {"0": "pedestrian", "1": "car"}
    assert len(events) == 1
    assert events[0]["renames"] == [{"from": "ped", "to": "pedestrian"}] and events[0]["annotations"] == 4


def test_renames_alone_rename_the_stored_classes_and_their_attributes(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _street(client, hub, admin_headers, tmp_path)
    r = _patch(client, admin_headers, pid, renames=[{"from": "ped", "to": "pedestrian"}])
    assert r.status_code == 200, r.text
    schema = r.json()["label_schema"]
    assert [c["name"] for c in schema["classes"]] == ["pedestrian", "car", "bike"]
    assert schema["attributes"][0]["labels"] == ["pedestrian"]
    assert _labels(client, admin_headers, pid, ids[0]) == ["car", "pedestrian"]


def test_two_classes_swap_names(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> None:
    pid, ids = _street(client, hub, admin_headers, tmp_path)
    r = _patch(client, admin_headers, pid, labels=[{"name": "car"}, {"name": "ped"}, {"name": "bike"}],
               renames=[{"from": "ped", "to": "car"}, {"from": "car", "to": "ped"}])  # fmt: skip
    assert r.status_code == 200, r.text
    assert _labels(client, admin_headers, pid, ids[0]) == ["car", "ped"]
    assert _labels(client, admin_headers, pid, ids[1]) == ["ped"]
    assert _labels(client, admin_headers, pid, ids[2]) == ["car"] * 3


def test_a_rename_and_a_removal_in_one_patch(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _street(client, hub, admin_headers, tmp_path)
    # bike is unused and goes; ped is renamed.
    r = _patch(client, admin_headers, pid, labels=[{"name": "pedestrian"}, {"name": "car"}],
               renames=[{"from": "ped", "to": "pedestrian"}])  # fmt: skip
    assert r.status_code == 200, r.text
    assert [c["name"] for c in r.json()["label_schema"]["classes"]] == ["pedestrian", "car"]

    # car is used: removing it while renaming pedestrian is refused, and nothing is renamed.
    r = _patch(client, admin_headers, pid, labels=[{"name": "person"}],
               renames=[{"from": "pedestrian", "to": "person"}])  # fmt: skip
    assert "'car' by 2 annotations on 2 items" in assert_problem(r, 422, field="labels")["detail"]
    assert _labels(client, admin_headers, pid, ids[0]) == ["car", "pedestrian"]
    assert [c["name"] for c in _project(client, admin_headers, pid)["label_schema"]["classes"]] == [
        "pedestrian",
        "car",
    ]


def test_renames_that_cannot_be_applied_are_refused_naming_the_pair(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _street(client, hub, admin_headers, tmp_path)
    renamed = [{"name": "pedestrian"}, {"name": "car"}, {"name": "bike"}]
    cases: list[tuple[list[dict[str, str]], list[dict[str, str]], str, str]] = [
        (renamed, [{"from": "person", "to": "pedestrian"}], "renames[0].from", "'person' is no class of the project"),
        (renamed, [{"from": "ped", "to": "walker"}], "renames[0].to", "'walker' is not among the classes sent"),
        ([*CLASSES, {"name": "pedestrian"}], [{"from": "ped", "to": "pedestrian"}], "renames[0].from",
         "drop 'ped' from labels"),
        ([{"name": "car"}, {"name": "bike"}], [{"from": "ped", "to": "car"}], "renames[0].to",
         "'car' is already a class of the project: renaming 'ped' to it would merge the two"),
        ([{"name": "vehicle"}, {"name": "bike"}], [{"from": "ped", "to": "vehicle"}, {"from": "car", "to": "vehicle"}],
         "renames[1].to", "two classes are renamed to 'vehicle'"),
        (renamed, [{"from": "ped", "to": "pedestrian"}, {"from": "ped", "to": "bike"}], "renames[1].from",
         "'ped' is renamed twice"),
    ]  # fmt: skip
    for labels, renames, field, words in cases:
        r = _patch(client, admin_headers, pid, labels=labels, renames=renames)
        assert words in assert_problem(r, 422, field=field)["detail"], (renames, r.json())
    r = _patch(client, admin_headers, pid, renames=[{"from": "ped"}])
    assert r.status_code == 422, r.text
    assert _labels(client, admin_headers, pid, ids[0]) == ["car", "ped"]
    assert [c["name"] for c in _project(client, admin_headers, pid)["label_schema"]["classes"]] == [
        "ped",
        "car",
        "bike",
    ]
