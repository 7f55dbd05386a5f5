"""Attributes on video tracks through the API: one value for the whole track, on every box, through every edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.api._video import car_and_person_video, item_tracks

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

ATTRS: list[dict[str, Any]] = [
    {"name": "kind", "type": "select", "options": ["sedan", "van"], "labels": ["car"]},
    {"name": "occluded", "type": "bool", "default": False},
    {"name": "note", "type": "text"},
]
BOX = [100.0, 50.0, 120.0, 100.0]


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """A video project (classes car and person, three attributes) with one 40-frame item."""
    return car_and_person_video(client, hub, admin_headers, tmp_path, "street", ATTRS)


def _boxes(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> list[dict[str, Any]]:
    r = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=headers)
    assert r.status_code == 200, r.text
    return sorted((a for a in r.json()["annotations"] if a["kind"] == "track_box"), key=lambda a: a["frame"])


def _start(client: TestClient, headers: dict[str, str], pid: int, iid: int, **extra: Any) -> tuple[str, int]:
    """Start a car track on frame 0 (interpolated); return its URL and the item's new version."""
    version = item_tracks(client, headers, pid, iid)["version"]
    body = {"version": version, "label": "car", "frame": 0, "box": BOX, "method": "interpolate", **extra}
    r = client.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return f"{API}/projects/{pid}/items/{iid}/tracks/{r.json()['track']['track_id']}", r.json()["version"]


def _values(boxes: list[dict[str, Any]], *names: str) -> set[tuple[Any, ...]]:
    return {tuple(b["attributes"].get(n) for n in names) for b in boxes}


def test_values_reach_every_box_and_survive_keyframe_edits_and_propagation(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    url, version = _start(client, admin_headers, pid, iid, attributes={"kind": "sedan", "occluded": False})
    r = client.put(f"{url}/keyframes/30", json={"version": version, "box": [130.0, 50.0, 150.0, 100.0]},
                   headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text  # a new keyframe row: it takes the track's values
    version = r.json()["version"]
    run_jobs(hub)
    boxes = _boxes(client, admin_headers, pid, iid)
    assert len(boxes) == 40 and _values(boxes, "kind", "occluded") == {("sedan", False)}

    r = client.patch(url, json={"version": version, "attributes": {"occluded": True, "note": "red roof"}},
                     headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["track"]["attributes"] == {"kind": "sedan", "occluded": True, "note": "red roof"}
    version = r.json()["version"]
    assert _values(_boxes(client, admin_headers, pid, iid), "kind", "occluded", "note") == {("sedan", True, "red roof")}

    # Moving a propagated box makes it a keyframe that keeps its values; removing one and propagating again,
    # or marking one outside, keeps them on every box too.
    r = client.put(f"{url}/keyframes/10", json={"version": version, "box": [112.0, 50.0, 132.0, 100.0]},
                   headers=admin_headers)  # fmt: skip
    version = r.json()["version"]
    r = client.put(f"{url}/keyframes/20", json={"version": version, "box": None}, headers=admin_headers)
    version = r.json()["version"]
    r = client.delete(f"{url}/keyframes/30", params={"version": version}, headers=admin_headers)
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    run_jobs(hub)
    boxes = _boxes(client, admin_headers, pid, iid)
    assert len(boxes) == 40 and [b["frame"] for b in boxes if b["attributes"].get("keyframe")] == [0, 10, 20]
    assert _values(boxes, "kind", "occluded", "note") == {("sedan", True, "red roof")}
    assert boxes[20]["attributes"]["outside"] is True  # the track's own keys are still its own

    r = client.patch(url, json={"version": version, "attributes": {"note": None}}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert all("note" not in b["attributes"] for b in _boxes(client, admin_headers, pid, iid))
    (track,) = item_tracks(client, admin_headers, pid, iid)["tracks"]
    assert track["attributes"] == {"kind": "sedan", "occluded": True} and track["attributes_mixed"] == []


def test_values_changed_while_a_propagation_waits_are_what_its_boxes_get(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    url, version = _start(client, admin_headers, pid, iid, attributes={"kind": "sedan"})
    r = client.patch(url, json={"version": version, "attributes": {"kind": "van"}}, headers=admin_headers)
    assert r.status_code == 200, r.text
    run_jobs(hub)  # the job queued by the start runs after the change
    boxes = _boxes(client, admin_headers, pid, iid)
    assert len(boxes) == 40 and _values(boxes, "kind") == {("van",)}


def test_bad_values_name_the_field_and_a_stale_version_is_a_409(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    tracks = f"{API}/projects/{pid}/items/{iid}/tracks"
    body = {"version": 1, "label": "person", "frame": 0, "box": BOX, "attributes": {"kind": "sedan"}}
    r = client.post(tracks, json=body, headers=admin_headers)
    assert "does not apply to label 'person'" in assert_problem(r, 422, field="attributes.kind")["detail"]
    url, version = _start(client, admin_headers, pid, iid, attributes={"kind": "sedan"}, propagate=False)

    for values, field, says in (
        ({"kind": "bus"}, "attributes.kind", "'bus' is not one of sedan, van"),
        ({"occluded": "yes"}, "attributes.occluded", "must be true or false"),
        ({"colour": "red"}, "attributes.colour", "declare it in the project's settings"),
        ({"keyframe": False}, "attributes.keyframe", "not an attribute of this project"),
    ):
        r = client.patch(url, json={"version": version, "attributes": values}, headers=admin_headers)
        assert says in assert_problem(r, 422, field=field)["detail"]
    r = client.patch(url, json={"version": version}, headers=admin_headers)
    assert_problem(r, 422, field="label")

    r = client.patch(url, json={"version": version - 1, "attributes": {"kind": "van"}}, headers=admin_headers)
    assert assert_problem(r, 409, field="version")["current_version"] == version
    viewer_id, viewer = quick_user(hub, "viewer")
    client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=admin_headers)
    r = client.patch(url, json={"version": version, "attributes": {"kind": "van"}}, headers=viewer)
    assert_problem(r, 403, field="role")
    body = item_tracks(client, admin_headers, pid, iid)
    assert body["version"] == version and body["tracks"][0]["attributes"] == {"kind": "sedan"}  # nothing changed

    # A change to what the track already has is no change: no new version (another tab keeps working), and a stale
    # version still gets its 409.
    for same in ({"attributes": {"kind": "sedan"}}, {"attributes": {}}, {"label": "car"}):
        r = client.patch(url, json={"version": version, **same}, headers=admin_headers)
        assert r.status_code == 200 and r.json()["version"] == version, (same, r.text)
    r = client.patch(url, json={"version": version - 1, "attributes": {}}, headers=admin_headers)
    assert_problem(r, 409, field="version")
    assert item_tracks(client, admin_headers, pid, iid)["version"] == version


def test_a_relabel_drops_the_values_the_new_label_does_not_take(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    url, version = _start(client, admin_headers, pid, iid, attributes={"kind": "van", "occluded": True})
    run_jobs(hub)
    r = client.patch(url, json={"version": version, "label": "person"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["track"]["label"] == "person" and r.json()["track"]["attributes"] == {"occluded": True}
    boxes = _boxes(client, admin_headers, pid, iid)
    assert len(boxes) == 40 and _values(boxes, "kind", "occluded") == {(None, True)}
    # Back to car with a value in the same request (as the editor's undo sends it).
    r = client.patch(url, json={"version": r.json()["version"], "label": "car", "attributes": {"kind": "van"}},
                     headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert _values(_boxes(client, admin_headers, pid, iid), "kind") == {("van",)}
    events = client.get(f"{API}/projects/{pid}/audit", params={"action": "track."}, headers=admin_headers).json()
    actions = [e["action"] for e in events["events"]]
    assert actions.count("track.rename") == 2 and actions.count("track.attributes") == 1


def test_boxes_with_different_values_report_the_attribute_as_mixed(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    """Imported per-frame values can differ along a track: the track then has no value for that attribute."""
    pid, iid = video
    url, version = _start(client, admin_headers, pid, iid, attributes={"kind": "sedan", "occluded": False})
    run_jobs(hub)
    with hub.db.session(write=True) as s:
        row = s.scalar(select(Annotation).where(Annotation.item_id == iid, Annotation.frame == 25))
        assert row is not None
        s.execute(update(Annotation).where(Annotation.id == row.id).values(
            attributes={**row.attributes, "kind": "van"}))  # fmt: skip
    (track,) = item_tracks(client, admin_headers, pid, iid)["tracks"]
    assert track["attributes"] == {"occluded": False} and track["attributes_mixed"] == ["kind"]
    r = client.patch(url, json={"version": version, "attributes": {"kind": "van"}}, headers=admin_headers)
    assert r.json()["track"]["attributes"] == {"kind": "van", "occluded": False}
    assert r.json()["track"]["attributes_mixed"] == []
