"""Splitting a track at a frame and merging two tracks through the API: every box kept with its state, the seams
as outside keyframes, the gap between merged tracks outside, refusals naming the field, roles, 409s, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.api._support import API, assert_problem, create_project, quick_user, run_jobs
from tests.api._tracks import (
    ATTRS,
    A,
    B,
    audit_events,
    leaves_and_another_comes,
    merge,
    put_keyframe,
    split,
    start_track,
    visible,
)
from tests.api._video import car_and_person_video, item_tracks

from labelhub.hub import Hub
from labelhub.storage.models import Annotation


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """A video project (classes car and person, a whole-track and a per-frame attribute), one 40-frame item."""
    return car_and_person_video(client, hub, admin_headers, tmp_path, "street", ATTRS)


def test_a_split_keeps_every_box_and_a_merge_puts_the_track_back(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    tid = start_track(client, h, pid, iid, 0, A, attributes={"kind": "van", "occluded": False})
    put_keyframe(client, h, pid, iid, tid, 30, [130.0, 50.0, 150.0, 100.0])
    run_jobs(hub)
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}"
    version = item_tracks(client, h, pid, iid)["version"]
    occluded = {"from_frame": 25, "values": {"occluded": True}}
    r = client.patch(url, json={"version": version, "frame_attributes": occluded}, headers=h)
    assert r.status_code == 200, r.text
    (before,) = item_tracks(client, h, pid, iid)["tracks"]
    assert before["states"] == "k" + "p" * 29 + "k" + "p" * 9 and before["keyframes"] == [0, 30]

    r = split(client, h, pid, iid, tid, 20)
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
    assert visible(old) == list(range(20)) and visible(new) == list(range(20, 40))
    assert old["states"][20:] == "x" + "o" * 19 and new["states"][:20] == "o" * 19 + "x"  # stored, nothing empty
    assert all(f < 20 for f in old["suggested"]) and all(f > 20 for f in new["suggested"])
    # Re-propagated between the same boxes, nothing moved (interpolated: the same line).
    assert old["boxes"][:20] == before["boxes"][:20] and new["boxes"][20:] == before["boxes"][20:]
    [event] = audit_events(client, h, pid, "track.split")
    assert event["detail"] | {"actor": None} == {"actor": None, "track_id": tid, "frame": 20, "new_track_id": tid + 1}

    r = merge(client, h, pid, iid, [tid + 1, tid])
    assert r.status_code == 200, r.text
    (merged,) = r.json()["tracks"]
    assert r.json()["removed"] == [tid + 1] and merged["track_id"] == tid
    assert merged["keyframes"] == [0, 19, 20, 30] and "x" not in merged["states"]  # the seams' outside keyframes went
    assert merged["boxes"][:20] == before["boxes"][:20] and merged["boxes"][20:] == before["boxes"][20:]
    run_jobs(hub)
    (merged,) = item_tracks(client, h, pid, iid)["tracks"]
    assert visible(merged) == list(range(40)) and merged["attributes"] == {"kind": "van"}
    assert merged["frame_attributes"]["occluded"] == before["frame_attributes"]["occluded"]
    [event] = audit_events(client, h, pid, "track.merge")
    assert (event["detail"]["track_id"], event["detail"]["merged_track_id"]) == (tid, tid + 1)


def test_merging_two_tracks_apart_fills_the_gap_as_outside(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    first = start_track(client, h, pid, iid, 0, A, propagate=False)
    put_keyframe(client, h, pid, iid, first, 8, [104.0, 50.0, 124.0, 100.0])
    second = start_track(client, h, pid, iid, 25, B, propagate=False, attributes={"kind": "sedan"})
    row = {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "geometry": {"bbox": A},
           "frame": 9, "track_id": first, "source": "model", "score": 0.4, "state": "accepted", "version": 1,
           "attributes": {"keyframe": False, "outside": True, "needs_review": True}}  # fmt: skip
    with hub.db.session(write=True) as s:  # as a tracker that saw the car leave would have stored frame 9
        s.execute(insert(Annotation), row)
    r = merge(client, h, pid, iid, [second, first])
    assert r.status_code == 200, r.text
    (merged,) = r.json()["tracks"]
    # Both ranges in one track, and an outside keyframe after the first one's last box (CVAT's gap).
    assert merged["keyframes"] == [0, 8, 9, 25] and merged["states"][9] == "x"
    assert merged["boxes"][25] == B and merged["attributes"] == {"kind": "sedan"}  # only the second had a value
    run_jobs(hub)
    (merged,) = item_tracks(client, h, pid, iid)["tracks"]
    assert visible(merged) == [*range(9), *range(25, 40)] and set(merged["states"][10:25]) == {"o"}
    boxes = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=h).json()["annotations"]
    assert sorted(b["frame"] for b in boxes) == list(range(40))  # one box per frame: the outside keyframe replaced 9
    assert [t["track_id"] for t in item_tracks(client, h, pid, iid)["tracks"]] == [first]


def test_a_track_split_off_merges_into_one_that_ended_earlier(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    first, second = leaves_and_another_comes(client, hub, h, pid, iid)
    one, two = item_tracks(client, h, pid, iid)["tracks"]
    assert visible(one) == list(range(12)) and visible(two) == list(range(25, 40))
    r = merge(client, h, pid, iid, [first, second])
    assert r.status_code == 200, r.text
    run_jobs(hub)
    (merged,) = item_tracks(client, h, pid, iid)["tracks"]
    assert merged["keyframes"] == [0, 12, 25]  # the second's "not yet" (frame 20) went with it
    assert visible(merged) == [*range(12), *range(25, 40)] and merged["boxes"][25] == B


def test_refusals_name_the_field_and_change_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    one = start_track(client, h, pid, iid, 0, A)
    put_keyframe(client, h, pid, iid, one, 10, A)
    put_keyframe(client, h, pid, iid, one, 14, A)
    two = start_track(client, h, pid, iid, 10, B)
    put_keyframe(client, h, pid, iid, two, 14, B)
    run_jobs(hub)
    before = item_tracks(client, h, pid, iid)

    for frame in (0, 40, -1):  # the track's first frame, past the video, before it
        assert_problem(split(client, h, pid, iid, one, frame), 422, field="frame")
    assert_problem(split(client, h, pid, iid, 99, 5), 404, field="track_id")
    body = assert_problem(split(client, h, pid, iid, one, 5, version=before["version"] - 1), 409, field="version")
    assert body["current_version"] == before["version"]

    body = assert_problem(merge(client, h, pid, iid, [one, two]), 422, field="track_ids")
    assert "frames 10, 14" in body["detail"] and body["frames"] == [10, 14]
    assert_problem(merge(client, h, pid, iid, [one, one]), 422, field="track_ids")
    assert_problem(merge(client, h, pid, iid, [one, 99]), 404, field="track_ids")
    assert item_tracks(client, h, pid, iid) == before  # nothing written

    # Different labels need the merged track's label; a label the project does not have is refused.
    three = start_track(client, h, pid, iid, 20, B, label="person")
    stale = item_tracks(client, h, pid, iid)["version"] - 1
    assert_problem(merge(client, h, pid, iid, [one, three], version=stale, label="person"), 409, field="version")
    assert_problem(merge(client, h, pid, iid, [one, three]), 422, field="label")
    assert_problem(merge(client, h, pid, iid, [one, three], label="bus"), 422, field="label")
    r = merge(client, h, pid, iid, [three, one], label="person")
    assert r.status_code == 200, r.text
    (merged,) = r.json()["tracks"]
    assert (merged["track_id"], merged["label"], merged["keyframes"]) == (one, "person", [0, 10, 14, 20])


def test_roles_viewer_and_another_project(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    one = start_track(client, h, pid, iid, 0, A)
    put_keyframe(client, h, pid, iid, one, 30, None)
    two = start_track(client, h, pid, iid, 35, B)
    run_jobs(hub)
    other = create_project(client, h, "elsewhere", item_kind="video")["id"]
    people = {}
    for role, project in (("viewer", pid), ("annotator", pid), ("annotator", other)):
        uid, headers = quick_user(hub, f"{role}-{project}")
        r = client.put(f"{API}/projects/{project}/members/{uid}", json={"role": role}, headers=h)
        assert r.status_code == 200, r.text
        people[(role, project)] = headers
    viewer, annotator, stranger = people[("viewer", pid)], people[("annotator", pid)], people[("annotator", other)]

    assert_problem(split(client, viewer, pid, iid, one, 10), 403, field="role")
    assert_problem(merge(client, viewer, pid, iid, [one, two]), 403, field="role")
    version = item_tracks(client, h, pid, iid)["version"]
    assert_problem(split(client, stranger, pid, iid, one, 10, version=version), 404)
    assert_problem(merge(client, stranger, pid, iid, [one, two], version=version), 404)
    assert item_tracks(client, h, pid, iid)["version"] == version

    r = split(client, annotator, pid, iid, one, 10)
    assert r.status_code == 200, r.text
    three = r.json()["tracks"][1]["track_id"]
    r = merge(client, annotator, pid, iid, [two, three])
    assert r.status_code == 200, r.text
    for action in ("track.split", "track.merge"):
        assert [e["username"] for e in audit_events(client, h, pid, action)] == [f"annotator-{pid}"]
