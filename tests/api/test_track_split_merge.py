"""Splitting a track at a frame and merging two tracks through the API: every box kept with its state, the seams
as outside keyframes, the gap between merged tracks outside, refusals naming the field, roles, 409s, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.api._support import API, assert_problem, create_project, quick_user, run_jobs
from tests.api._video import car_and_person_video, item_tracks

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

ATTRS: list[dict[str, Any]] = [
    {"name": "kind", "type": "select", "options": ["sedan", "van"], "labels": ["car"]},
    {"name": "occluded", "type": "bool", "default": False, "mutable": True},
]
A = [100.0, 50.0, 120.0, 100.0]
B = [160.0, 60.0, 180.0, 110.0]


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """A video project (classes car and person, a whole-track and a per-frame attribute), one 40-frame item."""
    return car_and_person_video(client, hub, admin_headers, tmp_path, "street", ATTRS)


def _start(
    client: TestClient, h: dict[str, str], pid: int, iid: int, frame: int, box: list[float], **extra: Any
) -> int:
    version = item_tracks(client, h, pid, iid)["version"]
    body = {"version": version, "label": "car", "frame": frame, "box": box, "method": "interpolate", **extra}
    r = client.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body, headers=h)
    assert r.status_code == 201, r.text
    tid: int = r.json()["track"]["track_id"]
    return tid


def _put(client: TestClient, h: dict[str, str], pid: int, iid: int, tid: int, frame: int, box: Any) -> None:
    version = item_tracks(client, h, pid, iid)["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/keyframes/{frame}"
    r = client.put(url, json={"version": version, "box": box}, headers=h)
    assert r.status_code == 200, r.text


def _split(client: TestClient, h: dict[str, str], pid: int, iid: int, tid: int, frame: int, **body: Any) -> Any:
    if "version" not in body:
        body["version"] = item_tracks(client, h, pid, iid)["version"]
    return client.post(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/split", json={"frame": frame, **body},
                       headers=h)  # fmt: skip


def _merge(client: TestClient, h: dict[str, str], pid: int, iid: int, ids: list[int], **body: Any) -> Any:
    if "version" not in body:
        body["version"] = item_tracks(client, h, pid, iid)["version"]
    return client.post(f"{API}/projects/{pid}/items/{iid}/tracks/merge", json={"track_ids": ids, **body}, headers=h)


def _audit(client: TestClient, h: dict[str, str], pid: int, action: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/projects/{pid}/audit", params={"action": action}, headers=h)
    assert r.status_code == 200, r.text
    events: list[dict[str, Any]] = r.json()["events"]
    return events


def _visible(t: dict[str, Any]) -> list[int]:
    return [f for f, c in enumerate(t["states"]) if c in "kp"]


def test_a_split_keeps_every_box_and_a_merge_puts_the_track_back(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    tid = _start(client, h, pid, iid, 0, A, attributes={"kind": "van", "occluded": False})
    _put(client, h, pid, iid, tid, 30, [130.0, 50.0, 150.0, 100.0])
    run_jobs(hub)
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}"
    version = item_tracks(client, h, pid, iid)["version"]
    occluded = {"from_frame": 25, "values": {"occluded": True}}
    r = client.patch(url, json={"version": version, "frame_attributes": occluded}, headers=h)
    assert r.status_code == 200, r.text
    (before,) = item_tracks(client, h, pid, iid)["tracks"]
    assert before["states"] == "k" + "p" * 29 + "k" + "p" * 9 and before["keyframes"] == [0, 30]

    r = _split(client, h, pid, iid, tid, 20)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["version"] == version + 2 and answer["removed"] == []
    old, new = answer["tracks"]
    assert (old["track_id"], new["track_id"]) == (tid, tid + 1)
    # The first track keeps frames 0-19 as they were: its last frame is now a keyframe, and an outside keyframe on
    # the split frame ends it.
    assert old["states"][:19] == before["states"][:19] and old["boxes"][:20] == before["boxes"][:20]
    assert old["confidence"][:19] == before["confidence"][:19]
    assert old["states"][19:21] == "kx" and old["keyframes"] == [0, 19, 20] and set(old["states"][21:]) == {"-"}
    # The new track starts on frame 20 with the box that was propagated there, now a keyframe; an outside keyframe
    # before it says the object is not this track's earlier; the rest is as it was, keyframe 30 and confidences too.
    assert new["states"][19:21] == "xk" and new["boxes"][20] == before["boxes"][20] and new["keyframes"] == [19, 20, 30]
    assert new["states"][21:] == before["states"][21:] and new["confidence"][21:] == before["confidence"][21:]
    assert new["boxes"][21:] == before["boxes"][21:]
    assert (new["label"], new["attributes"], old["attributes"]) == ("car", {"kind": "van"}, {"kind": "van"})
    assert new["frame_attributes"]["occluded"][20:] == before["frame_attributes"]["occluded"][20:]
    assert old["frame_attributes"]["occluded"][:20] == [False] * 20
    assert old["job"]["status"] == "queued" and new["job"]["status"] == "queued"
    assert old["job"]["params"]["method"] == "interpolate" == new["job"]["params"]["method"]

    run_jobs(hub)
    old, new = item_tracks(client, h, pid, iid)["tracks"]
    assert _visible(old) == list(range(20)) and _visible(new) == list(range(20, 40))
    assert old["states"][20:] == "x" + "o" * 19 and new["states"][:20] == "o" * 19 + "x"  # stored, nothing empty
    assert all(f < 20 for f in old["suggested"]) and all(f > 20 for f in new["suggested"])
    # Re-propagated between the same boxes, nothing moved (interpolated: the same line).
    assert old["boxes"][:20] == before["boxes"][:20] and new["boxes"][20:] == before["boxes"][20:]
    [split] = _audit(client, h, pid, "track.split")
    assert split["detail"] | {"actor": None} == {"actor": None, "track_id": tid, "frame": 20, "new_track_id": tid + 1}

    r = _merge(client, h, pid, iid, [tid + 1, tid])
    assert r.status_code == 200, r.text
    (merged,) = r.json()["tracks"]
    assert r.json()["removed"] == [tid + 1] and merged["track_id"] == tid
    assert merged["keyframes"] == [0, 19, 20, 30] and "x" not in merged["states"]  # the seams' outside keyframes went
    assert merged["boxes"][:20] == before["boxes"][:20] and merged["boxes"][20:] == before["boxes"][20:]
    run_jobs(hub)
    (merged,) = item_tracks(client, h, pid, iid)["tracks"]
    assert _visible(merged) == list(range(40)) and merged["attributes"] == {"kind": "van"}
    assert merged["frame_attributes"]["occluded"] == before["frame_attributes"]["occluded"]
    [event] = _audit(client, h, pid, "track.merge")
    assert (event["detail"]["track_id"], event["detail"]["merged_track_id"]) == (tid, tid + 1)


def test_merging_two_tracks_apart_fills_the_gap_as_outside(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    first = _start(client, h, pid, iid, 0, A, propagate=False)
    _put(client, h, pid, iid, first, 8, [104.0, 50.0, 124.0, 100.0])
    second = _start(client, h, pid, iid, 25, B, propagate=False, attributes={"kind": "sedan"})
    row = {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "geometry": {"bbox": A},
           "frame": 9, "track_id": first, "source": "model", "score": 0.4, "state": "accepted", "version": 1,
           "attributes": {"keyframe": False, "outside": True, "needs_review": True}}  # fmt: skip
    with hub.db.session(write=True) as s:  # as a tracker that saw the car leave would have stored frame 9
        s.execute(insert(Annotation), row)
    r = _merge(client, h, pid, iid, [second, first])
    assert r.status_code == 200, r.text
    (merged,) = r.json()["tracks"]
    # Both ranges in one track, and an outside keyframe after the first one's last box (CVAT's gap).
    assert merged["keyframes"] == [0, 8, 9, 25] and merged["states"][9] == "x"
    assert merged["boxes"][25] == B and merged["attributes"] == {"kind": "sedan"}  # only the second had a value
    run_jobs(hub)
    (merged,) = item_tracks(client, h, pid, iid)["tracks"]
    assert _visible(merged) == [*range(9), *range(25, 40)] and set(merged["states"][10:25]) == {"o"}
    boxes = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=h).json()["annotations"]
    assert sorted(b["frame"] for b in boxes) == list(range(40))  # one box per frame: the outside keyframe replaced 9
    assert [t["track_id"] for t in item_tracks(client, h, pid, iid)["tracks"]] == [first]


def test_a_track_split_off_merges_into_one_that_ended_earlier(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    first = _start(client, h, pid, iid, 0, A)
    _put(client, h, pid, iid, first, 12, None)  # the car leaves on frame 12
    second = _start(client, h, pid, iid, 25, B)
    _put(client, h, pid, iid, second, 20, None)  # and is not there before 21
    run_jobs(hub)
    one, two = item_tracks(client, h, pid, iid)["tracks"]
    assert _visible(one) == list(range(12)) and _visible(two) == list(range(25, 40))
    r = _merge(client, h, pid, iid, [first, second])
    assert r.status_code == 200, r.text
    run_jobs(hub)
    (merged,) = item_tracks(client, h, pid, iid)["tracks"]
    assert merged["keyframes"] == [0, 12, 25]  # the second's "not yet" (frame 20) went with it
    assert _visible(merged) == [*range(12), *range(25, 40)] and merged["boxes"][25] == B


def test_refusals_name_the_field_and_change_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    one = _start(client, h, pid, iid, 0, A)
    _put(client, h, pid, iid, one, 10, A)
    _put(client, h, pid, iid, one, 14, A)
    two = _start(client, h, pid, iid, 10, B)
    _put(client, h, pid, iid, two, 14, B)
    run_jobs(hub)
    before = item_tracks(client, h, pid, iid)

    for frame in (0, 40, -1):  # the track's first frame, past the video, before it
        assert_problem(_split(client, h, pid, iid, one, frame), 422, field="frame")
    assert_problem(_split(client, h, pid, iid, 99, 5), 404, field="track_id")
    body = assert_problem(_split(client, h, pid, iid, one, 5, version=before["version"] - 1), 409, field="version")
    assert body["current_version"] == before["version"]

    body = assert_problem(_merge(client, h, pid, iid, [one, two]), 422, field="track_ids")
    assert "frames 10, 14" in body["detail"] and body["frames"] == [10, 14]
    assert_problem(_merge(client, h, pid, iid, [one, one]), 422, field="track_ids")
    assert_problem(_merge(client, h, pid, iid, [one, 99]), 404, field="track_ids")
    assert item_tracks(client, h, pid, iid) == before  # nothing written

    # Different labels need the merged track's label; a label the project does not have is refused.
    three = _start(client, h, pid, iid, 20, B, label="person")
    stale = item_tracks(client, h, pid, iid)["version"] - 1
    assert_problem(_merge(client, h, pid, iid, [one, three], version=stale, label="person"), 409, field="version")
    assert_problem(_merge(client, h, pid, iid, [one, three]), 422, field="label")
    assert_problem(_merge(client, h, pid, iid, [one, three], label="bus"), 422, field="label")
    r = _merge(client, h, pid, iid, [three, one], label="person")
    assert r.status_code == 200, r.text
    (merged,) = r.json()["tracks"]
    assert (merged["track_id"], merged["label"], merged["keyframes"]) == (one, "person", [0, 10, 14, 20])


def test_roles_viewer_and_another_project(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    one = _start(client, h, pid, iid, 0, A)
    _put(client, h, pid, iid, one, 30, None)
    two = _start(client, h, pid, iid, 35, B)
    run_jobs(hub)
    other = create_project(client, h, "elsewhere", item_kind="video")["id"]
    people = {}
    for role, project in (("viewer", pid), ("annotator", pid), ("annotator", other)):
        uid, headers = quick_user(hub, f"{role}-{project}")
        r = client.put(f"{API}/projects/{project}/members/{uid}", json={"role": role}, headers=h)
        assert r.status_code == 200, r.text
        people[(role, project)] = headers
    viewer, annotator, stranger = people[("viewer", pid)], people[("annotator", pid)], people[("annotator", other)]

    assert_problem(_split(client, viewer, pid, iid, one, 10), 403, field="role")
    assert_problem(_merge(client, viewer, pid, iid, [one, two]), 403, field="role")
    version = item_tracks(client, h, pid, iid)["version"]
    assert_problem(_split(client, stranger, pid, iid, one, 10, version=version), 404)
    assert_problem(_merge(client, stranger, pid, iid, [one, two], version=version), 404)
    assert item_tracks(client, h, pid, iid)["version"] == version

    r = _split(client, annotator, pid, iid, one, 10)
    assert r.status_code == 200, r.text
    three = r.json()["tracks"][1]["track_id"]
    r = _merge(client, annotator, pid, iid, [two, three])
    assert r.status_code == 200, r.text
    for action in ("track.split", "track.merge"):
        assert [e["username"] for e in _audit(client, h, pid, action)] == [f"annotator-{pid}"]
