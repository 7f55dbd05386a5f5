"""Tracks on video items through the API: start a track, propagate it as a job, edit keyframes, roles, 409s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, run_jobs, write_coco
from tests.api._video import item_tracks, otb_frames, otb_truth, video_of_frames

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.propagation import run_propagation
from labelhub.tracking._boxes import iou


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """A video project with the first 40 frames of OTB Crossing as one image-sequence item."""
    pid = create_project(client, admin_headers, "walk", item_kind="video", labels=[{"name": "person"}])["id"]
    return pid, video_of_frames(hub, pid, otb_frames(40), tmp_path)


def _start(client: TestClient, headers: dict[str, str], pid: int, iid: int, box: list[float], **extra: Any) -> Any:
    version = item_tracks(client, headers, pid, iid)["version"]
    body = {"version": version, "label": "person", "frame": 0, "box": box, **extra}
    r = client.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_one_box_becomes_a_track_that_follows_the_pedestrian(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    truth = otb_truth()
    made = _start(client, admin_headers, pid, iid, truth[0])
    assert made["track"]["states"] == "k" + "-" * 39  # the keyframe is there at once; the rest waits for the job
    assert made["job"]["kind"] == "propagate" and made["job"]["status"] == "queued"
    run_jobs(hub)

    body = item_tracks(client, admin_headers, pid, iid)
    assert (body["frame_count"], body["width"], body["height"]) == (40, 360, 240)
    (track,) = body["tracks"]
    assert track["label"] == "person" and track["keyframes"] == [0]
    assert track["states"][0] == "k" and set(track["states"][1:]) <= {"p", "o"}
    assert track["job"]["status"] == "succeeded" and track["job"]["progress"] == 1.0
    assert track["job"]["result"]["boxes_written"] == 39 and not track["job"]["result"]["superseded"]
    ious = [iou(tuple(track["boxes"][f]), tuple(truth[f])) for f in range(30)]  # type: ignore[arg-type]
    assert min(ious) >= 0.5, ious
    assert all(c is None for c in track["confidence"][:1]) and all(0 <= c <= 1 for c in track["confidence"][1:])
    suggested = track["suggested"]
    assert suggested and 0 not in suggested and len(set(suggested)) == len(suggested)
    # The project's label counts see one track, not a box per frame.
    labels = client.get(f"{API}/projects/{pid}/stats", headers=admin_headers).json()["labels"]
    assert labels["person"]["tracks"] == 1
    (listed,) = client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
    assert listed["annotation_count"] == 1  # the thumbnail's badge: one track, not 40 boxes


def test_an_edit_rewrites_only_the_frames_between_its_neighbours(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    truth = otb_truth()
    made = _start(client, admin_headers, pid, iid, truth[0])
    tid, version = made["track"]["track_id"], made["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/keyframes"
    for frame in (20, 39):
        r = client.put(f"{url}/{frame}", json={"version": version, "box": truth[frame]}, headers=admin_headers)
        assert r.status_code == 200, r.text
        version = r.json()["version"]
        run_jobs(hub)
    before = item_tracks(client, admin_headers, pid, iid)["tracks"][0]

    moved = [truth[30][0] + 3, truth[30][1], truth[30][2] + 3, truth[30][3]]
    r = client.put(f"{url}/30", json={"version": version, "box": moved}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["track"]["states"][30] == "k" and r.json()["track"]["boxes"][30] == moved
    run_jobs(hub)
    after = item_tracks(client, admin_headers, pid, iid)["tracks"][0]

    assert after["keyframes"] == [0, 20, 30, 39]
    assert after["job"]["result"]["frames"] == [21, 38]
    # Only the two passes from frame 30 ran, to the keyframes at 39 and 20 (9 + 10 tracker updates); the passes
    # from 20 and 39 came from the cache, cut short.
    assert after["job"]["result"]["tracked_frames"] == 19
    assert after["boxes"][:21] == before["boxes"][:21] and after["boxes"][39] == before["boxes"][39]
    assert after["boxes"][21:39] != before["boxes"][21:39]


def test_outside_interpolation_and_removing_keyframes(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    made = _start(client, admin_headers, pid, iid, [100.0, 50.0, 120.0, 100.0], method="interpolate")
    tid, version = made["track"]["track_id"], made["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}"
    r = client.put(f"{url}/keyframes/10", json={"version": version, "box": [110.0, 50.0, 130.0, 100.0]},
                   headers=admin_headers)  # fmt: skip
    version = r.json()["version"]
    r = client.put(f"{url}/keyframes/30", json={"version": version, "box": None}, headers=admin_headers)
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    run_jobs(hub)
    track = item_tracks(client, admin_headers, pid, iid)["tracks"][0]
    assert track["job"]["params"]["method"] == "interpolate"  # an edit keeps the track's method
    assert track["states"][30] == "x" and track["keyframes"] == [0, 10, 30]
    assert track["boxes"][5] == [105.0, 50.0, 125.0, 100.0]  # halfway between the two keyframes, linearly
    assert set(track["states"][31:]) == {"o"}  # after an outside keyframe the object stays out

    r = client.delete(f"{url}/keyframes/10", params={"version": version}, headers=admin_headers)
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert r.json()["track"]["states"][10] == "-"
    run_jobs(hub)
    assert item_tracks(client, admin_headers, pid, iid)["tracks"][0]["states"][10] == "p"
    r = client.delete(f"{url}/keyframes/0", params={"version": version}, headers=admin_headers)
    assert_problem(r, 422, field="frame")  # the last keyframe with a box: delete the track instead
    r = client.put(f"{url}/keyframes/0", json={"version": version, "box": None}, headers=admin_headers)
    assert_problem(r, 422, field="box")

    anns = f"{API}/projects/{pid}/items/{iid}/annotations"
    every = client.get(anns, headers=admin_headers).json()
    assert len(every["annotations"]) == 40 and every["version"] == version  # one track box per frame
    assert client.get(anns, params={"tracks": "false"}, headers=admin_headers).json()["annotations"] == []

    r = client.patch(url, json={"version": version, "label": "cyclist"}, headers=admin_headers)
    assert_problem(r, 422, field="label")
    r = client.delete(url, params={"version": version}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["version"] == version + 1
    assert item_tracks(client, admin_headers, pid, iid)["tracks"] == []


def test_stale_versions_bad_boxes_and_roles(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    made = _start(client, admin_headers, pid, iid, [100.0, 50.0, 120.0, 100.0], propagate=False)
    assert made["job"] is None
    tid, version = made["track"]["track_id"], made["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/keyframes"

    r = client.put(f"{url}/5", json={"version": version - 1, "box": [1.0, 1.0, 9.0, 9.0]}, headers=admin_headers)
    body = assert_problem(r, 409, field="version")
    assert body["current_version"] == version
    r = client.put(f"{url}/5", json={"version": version, "box": [300.0, 1.0, 400.0, 9.0]}, headers=admin_headers)
    assert_problem(r, 422, field="box")  # beyond the 360-pixel-wide frame
    r = client.put(f"{url}/40", json={"version": version, "box": [1.0, 1.0, 9.0, 9.0]}, headers=admin_headers)
    assert_problem(r, 422, field="frame")
    r = client.put(f"{API}/projects/{pid}/items/{iid}/tracks/99/keyframes/5", json={"version": version,
                   "box": [1.0, 1.0, 9.0, 9.0]}, headers=admin_headers)  # fmt: skip
    assert_problem(r, 404, field="track_id")
    assert item_tracks(client, admin_headers, pid, iid)["tracks"][0]["states"] == "k" + "-" * 39  # nothing written

    viewer_id, viewer = quick_user(hub, "viewer")
    annotator_id, annotator = quick_user(hub, "annotator")
    for uid, role in ((viewer_id, "viewer"), (annotator_id, "annotator")):
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin_headers)
        assert r.status_code == 200, r.text
    assert len(item_tracks(client, viewer, pid, iid)["tracks"]) == 1  # a viewer reads
    r = client.put(f"{url}/5", json={"version": version, "box": [1.0, 1.0, 9.0, 9.0]}, headers=viewer)
    assert_problem(r, 403, field="role")
    r = client.post(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/propagate", json={}, headers=viewer)
    assert_problem(r, 403, field="role")
    r = client.put(f"{url}/5", json={"version": version, "box": [1.0, 1.0, 9.0, 9.0]}, headers=annotator)
    assert r.status_code == 200, r.text
    _, stranger = quick_user(hub, "stranger")
    assert_problem(client.get(f"{API}/projects/{pid}/items/{iid}/tracks", headers=stranger), 404)


def test_a_propagation_outdated_by_an_edit_writes_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    made = _start(client, admin_headers, pid, iid, [100.0, 50.0, 120.0, 100.0], propagate=False)
    tid, version = made["track"]["track_id"], made["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/keyframes/20"

    def edit_while_saving(fraction: float, message: str) -> None:
        if message == "saving boxes":  # a person's edit lands while the job is about to write
            r = client.put(url, json={"version": version, "box": [150.0, 60.0, 170.0, 110.0]}, headers=admin_headers)
            assert r.status_code == 200, r.text

    result = run_propagation(hub, Actor.system(), pid, iid, tid, "track", edit_while_saving)
    assert result["superseded"] and result["boxes_written"] == 0
    assert item_tracks(client, admin_headers, pid, iid)["tracks"][0]["states"] == "k" + "-" * 19 + "k" + "-" * 19
    run_jobs(hub)  # the edit's own job
    track = item_tracks(client, admin_headers, pid, iid)["tracks"][0]
    assert track["job"]["result"]["superseded"] is False and "-" not in track["states"]


def test_tracks_are_for_video_items(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "pictures", item_kind="image", labels=[{"name": "cat"}])["id"]
    import_coco(hub, pid, write_coco(Path(hub.settings.home) / "c.json", [("a.jpg", 64, 48, [])]))
    (iid,) = [i["id"] for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]]
    body = assert_problem(client.get(f"{API}/projects/{pid}/items/{iid}/tracks", headers=admin_headers), 422)
    assert "video" in body["detail"]


def test_a_track_deleted_while_it_is_tracked_stays_deleted(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    made = _start(client, admin_headers, pid, iid, [100.0, 50.0, 120.0, 100.0], propagate=False)
    tid, version = made["track"]["track_id"], made["version"]

    def delete_while_saving(fraction: float, message: str) -> None:
        if message == "saving boxes":
            url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}"
            assert client.delete(url, params={"version": version}, headers=admin_headers).status_code == 200

    result = run_propagation(hub, Actor.system(), pid, iid, tid, "track", delete_while_saving)
    assert result["superseded"] and result["boxes_written"] == 0
    assert item_tracks(client, admin_headers, pid, iid)["tracks"] == []


def test_the_annotator_stays_when_a_reviewer_fixes_a_track(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    people = {}
    for role in ("annotator", "reviewer"):
        uid, headers = quick_user(hub, role)
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin_headers)
        assert r.status_code == 200, r.text
        people[role] = (uid, headers)
    made = _start(client, people["annotator"][1], pid, iid, [100.0, 50.0, 120.0, 100.0], propagate=False)
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{made['track']['track_id']}/keyframes/9"
    r = client.put(url, json={"version": made["version"], "box": [104.0, 50.0, 124.0, 100.0]},
                   headers=people["reviewer"][1])  # fmt: skip
    assert r.status_code == 200, r.text
    item = client.get(f"{API}/projects/{pid}/items/{iid}", headers=admin_headers).json()
    assert item["status"] == "labeled" and item["annotator_id"] == people["annotator"][0]
    assert item["version"] == r.json()["version"]


def test_saving_a_read_without_tracks_keeps_every_track(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    """``GET .../annotations?tracks=false`` leaves the track boxes out; sending that back (plus a whole-video tag)
    must not delete them: tracks are edited through their own routes."""
    pid, iid = video
    _start(client, admin_headers, pid, iid, otb_truth()[0])
    run_jobs(hub)
    before = item_tracks(client, admin_headers, pid, iid)["tracks"][0]["boxes"]
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    read = client.get(f"{url}?tracks=false", headers=admin_headers).json()
    assert read["annotations"] == []
    tag = {"kind": "class", "label": "person", "geometry": {}}
    r = client.put(url, json={"version": read["version"], "annotations": [tag]}, headers=admin_headers)
    assert r.status_code == 200, r.text
    (track,) = item_tracks(client, admin_headers, pid, iid)["tracks"]
    assert track["boxes"] == before and len([b for b in before if b is not None]) >= 30
    assert [a["kind"] for a in client.get(f"{url}?tracks=false", headers=admin_headers).json()["annotations"]] == [
        "class"
    ]
