"""Attributes through the API: declared on the project, checked on every save, with the field named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

ATTRS: list[dict[str, Any]] = [
    {"name": "occluded", "type": "bool", "default": False},
    {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"]},
    {"name": "speed", "type": "number"},
]


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path) -> tuple[int, int]:
    pid = create_project(client, headers, "street", labels=[{"name": "car"}, {"name": "person"}], attributes=ATTRS)[
        "id"
    ]
    import_coco(hub, pid, write_coco(tmp / "instances_val.json", [("a.jpg", 640, 480, [])]))
    return pid, item_ids(client, headers, pid)[0]


def _put(client: TestClient, headers: dict[str, str], pid: int, iid: int, version: int, anns: list[Any]) -> Any:
    return client.put(f"{API}/projects/{pid}/items/{iid}/annotations",
                      json={"version": version, "annotations": anns}, headers=headers)  # fmt: skip


def _box(label: str, **attributes: Any) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": [10, 10, 50, 60]}, "attributes": attributes}


def test_declarations_round_trip_with_their_classes_and_defaults(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _ = _project(client, hub, admin_headers, tmp_path)
    got = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()["label_schema"]["attributes"]
    assert got == [
        {"name": "occluded", "type": "bool", "options": [], "labels": [], "default": False},
        {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"], "default": None},
        {"name": "speed", "type": "number", "options": [], "labels": [], "default": None},
    ]


def test_a_bad_declaration_is_a_422_naming_it_and_changes_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _ = _project(client, hub, admin_headers, tmp_path)
    version = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()["version"]
    bad = [*ATTRS, {"name": "size", "type": "select", "options": ["s"], "labels": ["truck"]}]
    r = client.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": bad}, headers=admin_headers)
    assert "'truck', which is not a class" in assert_problem(r, 422, field="attributes[3].labels")["detail"]
    # Removing a class an attribute still names says which attribute holds on to it.
    r = client.patch(f"{API}/projects/{pid}", json={"version": version, "labels": [{"name": "person"}]},
                     headers=admin_headers)  # fmt: skip
    assert "'car', which is not a class" in assert_problem(r, 422, field="attributes[1].labels")["detail"]
    project = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()
    assert project["version"] == version and len(project["label_schema"]["attributes"]) == 3


def test_saves_check_declared_values_and_pass_other_keys_through(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, iid = _project(client, hub, admin_headers, tmp_path)
    r = _put(client, admin_headers, pid, iid, 1, [_box("car", colour="green")])
    assert (
        "'green' is not one of red, blue" in assert_problem(r, 422, field="annotations[0].attributes.colour")["detail"]
    )
    r = _put(client, admin_headers, pid, iid, 1, [_box("car"), _box("person", colour="red")])
    assert (
        "does not apply to label 'person'" in assert_problem(r, 422, field="annotations[1].attributes.colour")["detail"]
    )
    r = _put(client, admin_headers, pid, iid, 1, [_box("car", speed="fast")])
    assert_problem(r, 422, field="annotations[0].attributes.speed")

    r = _put(client, admin_headers, pid, iid, 1, [_box("car", colour="red", occluded=True, speed=12.5, source_id="x")])
    assert r.status_code == 200, r.text
    saved = r.json()["annotations"][0]
    assert saved["attributes"] == {"colour": "red", "occluded": True, "speed": 12.5, "source_id": "x"}


def test_a_value_stored_before_its_declaration_does_not_block_other_edits(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, iid = _project(client, hub, admin_headers, tmp_path)
    version = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()["version"]
    # Saved while "colour" had other options ...
    wide = [{**a, "options": ["red", "blue", "green"]} if a["name"] == "colour" else a for a in ATTRS]
    r = client.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": wide}, headers=admin_headers)
    assert r.status_code == 200, r.text
    r = _put(client, admin_headers, pid, iid, 1, [_box("car", colour="green")])
    assert r.status_code == 200, r.text
    kept = r.json()["annotations"][0]
    r = client.patch(f"{API}/projects/{pid}", json={"version": version + 1, "attributes": ATTRS}, headers=admin_headers)
    assert r.status_code == 200, r.text
    # ... the item can still be saved with a new box beside it, the old value untouched,
    r = _put(client, admin_headers, pid, iid, 2, [{**kept}, _box("person", occluded=True)])
    assert r.status_code == 200, r.text
    assert [a["attributes"] for a in r.json()["annotations"]] == [{"colour": "green"}, {"occluded": True}]
    # but relabelling the box, or setting the value again, checks it.
    again = r.json()["annotations"]
    r = _put(client, admin_headers, pid, iid, 3, [{**again[0], "label": "person"}, again[1]])
    assert_problem(r, 422, field="annotations[0].attributes.colour")


def test_setting_an_attribute_on_a_model_proposal_makes_it_the_person_s_label(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, iid = _project(client, hub, admin_headers, tmp_path)
    with hub.db.session(write=True) as s:
        s.add(Annotation(item_id=iid, project_id=pid, kind="box", label="car", geometry={"bbox": [10, 10, 50, 60]},
                         source="model", model_version="det@1", score=0.8, state="proposed",
                         attributes={"colour": "red"}))  # fmt: skip
    user_id, headers = quick_user(hub, "ann")
    r = client.put(f"{API}/projects/{pid}/members/{user_id}", json={"role": "annotator"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    read = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=headers).json()
    proposal = read["annotations"][0]  # sent back as it is (the model's open proposal), one value changed
    assert (proposal["source"], proposal["state"]) == ("model", "proposed")
    r = _put(client, headers, pid, iid, read["version"], [{**proposal, "attributes": {"colour": "blue"}}])
    assert r.status_code == 200, r.text
    saved = r.json()["annotations"][0]
    assert (saved["source"], saved["state"], saved["score"], saved["model_version"], saved["author_id"]) == (
        "human",
        "accepted",
        None,
        "det@1",
        user_id,
    )
    assert saved["attributes"] == {"colour": "blue"}


def test_a_number_too_big_for_json_or_a_browser_is_a_422_and_the_item_still_opens(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, iid = _project(client, hub, admin_headers, tmp_path)
    r = _put(client, admin_headers, pid, iid, 1, [_box("car", speed=99999999999999999999)])
    assert "must be between" in assert_problem(r, 422, field="annotations[0].attributes.speed")["detail"]
    r = _put(client, admin_headers, pid, iid, 1, [_box("car", undeclared=10**30)])
    assert "cannot be stored as JSON" in assert_problem(r, 422, field="annotations[0].attributes")["detail"]
    r = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=admin_headers)
    assert r.status_code == 200 and r.json()["annotations"] == []
