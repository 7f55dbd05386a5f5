"""The stats endpoint's attribute usage: what the settings page tells a person before removing what is in use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, create_project, import_coco, item_ids, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

ATTRS: list[dict[str, Any]] = [
    {"name": "occluded", "type": "bool", "default": False},
    {"name": "colour", "type": "select", "options": ["red", "blue", "green"], "labels": ["car"]},
    {"name": "speed", "type": "number"},
]


def _box(label: str, **attributes: Any) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": [10, 10, 50, 60]}, "attributes": attributes}


def _usage(client: TestClient, headers: dict[str, str], pid: int) -> Any:
    r = client.get(f"{API}/projects/{pid}/stats", params={"attributes": "true"}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["attributes"]


def test_stats_count_the_annotations_holding_each_attribute_and_option(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "street", labels=[{"name": "car"}, {"name": "person"}],
                         attributes=ATTRS)["id"]  # fmt: skip
    import_coco(hub, pid, write_coco(tmp_path / "instances_val.json", [("a.jpg", 640, 480, [])]))
    iid = item_ids(client, admin_headers, pid)[0]
    boxes = [
        _box("car", colour="red", occluded=True),
        _box("car", colour="red", occluded=None),  # null: no value
        _box("car", colour="blue", speed=0),  # zero and false are values
        _box("person", occluded=False, note="x"),
    ]
    r = client.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": boxes},
                   headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    with hub.db.session(write=True) as s:  # an imported value of the wrong type: text "red " is not the option
        s.add(Annotation(item_id=iid, project_id=pid, kind="box", label="car", geometry={"bbox": [1, 1, 5, 5]},
                         attributes={"colour": "red ", "speed": "3"}))  # fmt: skip

    assert _usage(client, admin_headers, pid) == {
        "occluded": {"used": 2},
        "colour": {"used": 4, "options": {"red": 2, "blue": 1, "green": 0}},
        "speed": {"used": 2},
    }
    # Without asking, the stats are what they were: no extra pass over the annotations.
    assert "attributes" not in client.get(f"{API}/projects/{pid}/stats", headers=admin_headers).json()


def test_a_project_without_attributes_has_no_usage(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "plain", labels=[{"name": "car"}])["id"]
    assert _usage(client, admin_headers, pid) == {}
