"""Per-frame (mutable) attributes on video tracks through the API: set from a frame on, kept through every edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.api._video import car_and_person_video

from labelhub.hub import Hub

ATTRS: list[dict[str, Any]] = [
    {"name": "kind", "type": "select", "options": ["sedan", "van"]},
    {"name": "occluded", "type": "bool", "default": False, "mutable": True},
    {"name": "speed", "type": "number", "mutable": True, "labels": ["car"]},
]
BOX = [100.0, 50.0, 120.0, 100.0]


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """A video project (car, person; one whole-track and two per-frame attributes) with one 40-frame item."""
    return car_and_person_video(client, hub, admin_headers, tmp_path, "crossing", ATTRS)


def _track(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{pid}/items/{iid}/tracks", headers=headers)
    assert r.status_code == 200, r.text
    track: dict[str, Any] = r.json()["tracks"][0]
    return track


def _start(client: TestClient, hub: Hub, headers: dict[str, str], pid: int, iid: int) -> tuple[str, int]:
    """Start a car track on frame 0 (interpolated, propagated); return its URL and the item's version."""
    r = client.get(f"{API}/projects/{pid}/items/{iid}/tracks", headers=headers)
    body = {"version": r.json()["version"], "label": "car", "frame": 0, "box": BOX, "method": "interpolate",
            "attributes": {"kind": "sedan", "occluded": False}}  # fmt: skip
    r = client.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body, headers=headers)
    assert r.status_code == 201, r.text
    run_jobs(hub)
    return f"{API}/projects/{pid}/items/{iid}/tracks/{r.json()['track']['track_id']}", r.json()["version"]


def _set(client: TestClient, headers: dict[str, str], url: str, version: int, frame: int, **values: Any) -> int:
    body = {"version": version, "frame_attributes": {"from_frame": frame, "values": values}}
    r = client.patch(url, json=body, headers=headers)
    assert r.status_code == 200, r.text
    new: int = r.json()["version"]
    return new


def test_a_value_holds_from_its_frame_to_the_next_change_and_survives_edits_and_propagation(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    url, version = _start(client, hub, admin_headers, pid, iid)
    track = _track(client, admin_headers, pid, iid)
    # Whole-track values as before; the per-frame one is read frame by frame, not as a track value.
    assert track["attributes"] == {"kind": "sedan"} and track["attributes_mixed"] == []
    assert track["frame_attributes"]["occluded"] == [False] * 40
    assert track["frame_attributes"]["speed"] == [None] * 40

    version = _set(client, admin_headers, url, version, 10, occluded=True)
    version = _set(client, admin_headers, url, version, 20, occluded=False, speed=30)
    values = _track(client, admin_headers, pid, iid)["frame_attributes"]
    assert values["occluded"] == [False] * 10 + [True] * 10 + [False] * 20
    assert values["speed"] == [None] * 20 + [30] * 20
    # Set inside a run: it holds up to the next change (frame 20), not beyond.
    version = _set(client, admin_headers, url, version, 5, occluded=True)
    values = _track(client, admin_headers, pid, iid)["frame_attributes"]
    assert values["occluded"] == [False] * 5 + [True] * 15 + [False] * 20

    # With to_frame, exactly those frames (what undo sends): frames 5..9 back to false, 10..19 keep true.
    body = {"version": version, "frame_attributes": {"from_frame": 5, "to_frame": 9, "values": {"occluded": False}}}
    r = client.patch(url, json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert r.json()["track"]["frame_attributes"]["occluded"] == [False] * 10 + [True] * 10 + [False] * 20
    version = _set(client, admin_headers, url, version, 5, occluded=True)

    # Box keyframes added, moved, removed and the track propagated again: the values stay on their frames.
    for frame, box in ((30, [130.0, 50.0, 150.0, 100.0]), (20, [125.0, 50.0, 145.0, 100.0])):
        r = client.put(f"{url}/keyframes/{frame}", json={"version": version, "box": box}, headers=admin_headers)
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    run_jobs(hub)
    r = client.delete(f"{url}/keyframes/20", params={"version": version}, headers=admin_headers)
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    run_jobs(hub)
    r = client.post(f"{url}/propagate", json={"method": "interpolate"}, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    track = _track(client, admin_headers, pid, iid)
    assert track["keyframes"] == [0, 30] and track["states"].count("p") == 38
    assert track["frame_attributes"]["occluded"] == [False] * 5 + [True] * 15 + [False] * 20
    assert track["frame_attributes"]["speed"] == [None] * 20 + [30] * 20

    # null unsets from the frame on; the exports and every box reader see the value of each frame.
    version = _set(client, admin_headers, url, version, 25, speed=None)
    r = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=admin_headers)
    boxes = sorted((a for a in r.json()["annotations"] if a["kind"] == "track_box"), key=lambda a: a["frame"])
    assert [b["attributes"].get("speed") for b in boxes] == [None] * 20 + [30] * 5 + [None] * 15


def test_bad_per_frame_values_name_the_field_and_versions_behave_as_other_track_edits(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    url, version = _start(client, hub, admin_headers, pid, iid)
    for values, field, says in (
        ({"occluded": "yes"}, "frame_attributes.values.occluded", "must be true or false"),
        ({"kind": "van"}, "frame_attributes.values.kind", "not a per-frame attribute"),
        ({"colour": "red"}, "frame_attributes.values.colour", "declare it in the project's settings"),
    ):
        body = {"version": version, "frame_attributes": {"from_frame": 3, "values": values}}
        r = client.patch(url, json=body, headers=admin_headers)
        assert says in assert_problem(r, 422, field=field)["detail"]
    body = {"version": version, "frame_attributes": {"from_frame": 40, "values": {"occluded": True}}}
    assert_problem(client.patch(url, json=body, headers=admin_headers), 422, field="frame_attributes.from_frame")

    body = {"version": version, "frame_attributes": {"from_frame": 9, "to_frame": 8, "values": {"occluded": True}}}
    assert_problem(client.patch(url, json=body, headers=admin_headers), 422, field="frame_attributes.to_frame")
    body = {"version": version - 1, "frame_attributes": {"from_frame": 3, "values": {"occluded": True}}}
    assert assert_problem(client.patch(url, json=body, headers=admin_headers), 409, field="version")
    viewer_id, viewer = quick_user(hub, "viewer")
    client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=admin_headers)
    body = {"version": version, "frame_attributes": {"from_frame": 3, "values": {"occluded": True}}}
    assert_problem(client.patch(url, json=body, headers=viewer), 403, field="role")
    # The value a frame already holds is no change: no new version.
    assert _set(client, admin_headers, url, version, 3, occluded=False) == version
    assert _track(client, admin_headers, pid, iid)["frame_attributes"]["occluded"] == [False] * 40

    # A person track: speed (car only) does not apply to it.
    r = client.patch(url, json={"version": version, "label": "person"}, headers=admin_headers)
    version = r.json()["version"]
    assert "speed" not in r.json()["track"]["frame_attributes"]
    body = {"version": version, "frame_attributes": {"from_frame": 3, "values": {"speed": 4}}}
    r = client.patch(url, json=body, headers=admin_headers)
    assert "does not apply to label 'person'" in assert_problem(r, 422, field="frame_attributes.values.speed")["detail"]


def test_the_mutable_flag_is_part_of_the_project_schema(
    client: TestClient, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, _ = video
    r = client.get(f"{API}/projects/{pid}", headers=admin_headers)
    # Stored and sent only when true: schemas from before the flag read the same.
    declared = {a["name"]: a.get("mutable", False) for a in r.json()["label_schema"]["attributes"]}
    assert declared == {"kind": False, "occluded": True, "speed": True}
