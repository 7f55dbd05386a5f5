"""``GET .../tracks?span=true``: each track's per-frame lists over its own frames only (from ``start``), what the
video editor asks for; the default answer keeps one entry per frame of the video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.api._support import API, assert_problem
from tests.api._video import car_and_person_video

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

ATTRS: list[dict[str, Any]] = [{"name": "occluded", "type": "bool", "mutable": True}]


def _tracks_url(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path, name: str) -> str:
    """A 40-frame video with track 1 imported on frames 10-20 (:func:`_imported_track`); its tracks' URL."""
    pid, iid = car_and_person_video(client, hub, headers, tmp_path, name, ATTRS)
    _imported_track(hub, pid, iid)
    return f"{API}/projects/{pid}/items/{iid}/tracks"


def _imported_track(hub: Hub, pid: int, iid: int) -> None:
    """Track 1 as a MOT import leaves it: keyframes on 10 and 20, propagated boxes between, occluded from 15 on."""
    rows = [
        {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "person", "frame": f, "track_id": 1,
         "geometry": {"bbox": [10.0 + f, 20.0, 40.0 + f, 60.0]}, "source": "human" if f in (10, 20) else "model",
         "score": None if f in (10, 20) else 0.5 + 0.01 * f,
         "attributes": {"keyframe": f in (10, 20), "outside": False, "needs_review": f == 12, "occluded": f >= 15}}
        for f in range(10, 21)
    ]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)


def test_span_sends_a_track_over_its_own_frames_and_the_default_over_the_whole_video(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    url = _tracks_url(client, hub, admin_headers, tmp_path, "crowd")

    (span,) = client.get(url, params={"span": "true"}, headers=admin_headers).json()["tracks"]
    (whole,) = client.get(url, headers=admin_headers).json()["tracks"]

    assert (span["start"], span["frame_count"]) == (10, 40)
    assert span["states"] == "k" + "p" * 9 + "k"
    assert len(span["boxes"]) == len(span["confidence"]) == 11
    assert span["boxes"][0] == [20.0, 20.0, 50.0, 60.0] and span["boxes"][10] == [30.0, 20.0, 60.0, 60.0]
    assert span["confidence"][:3] == [None, 0.61, 0.62]  # 0.5 + 0.01 * frame
    assert span["frame_attributes"] == {"occluded": [False] * 5 + [True] * 6}
    # Frame numbers stay the video's.
    assert span["keyframes"] == [10, 20] and span["review"] == [12]
    assert span["suggested"] and all(11 <= f <= 19 for f in span["suggested"])

    assert whole["start"] == 0 and whole["states"] == "-" * 10 + span["states"] + "-" * 19
    assert whole["boxes"] == [None] * 10 + span["boxes"] + [None] * 19
    assert whole["confidence"] == [None] * 10 + span["confidence"] + [None] * 19
    assert whole["frame_attributes"]["occluded"] == [None] * 10 + span["frame_attributes"]["occluded"] + [None] * 19
    same = ("track_id", "label", "keyframes", "review", "suggested", "attributes")
    assert {k: span[k] for k in same} == {k: whole[k] for k in same}

    # A track the editor starts on frame 0 spans the video from its first frame.
    version = client.get(url, headers=admin_headers).json()["version"]
    body = {"version": version, "label": "car", "frame": 0, "box": [1.0, 2.0, 30.0, 40.0], "propagate": False}
    assert client.post(url, json=body, headers=admin_headers).status_code == 201
    _, made = client.get(url, params={"span": "true"}, headers=admin_headers).json()["tracks"]
    assert (made["start"], made["states"], made["keyframes"]) == (0, "k", [0])

    assert_problem(client.get(url, params={"span": "maybe"}, headers=admin_headers), 422, field="query.span")


def test_one_track_is_read_with_the_items_version(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """What the editor reads again after a track's propagation: that track, and the version to compare with."""
    url = _tracks_url(client, hub, admin_headers, tmp_path, "one")
    version = client.get(url, headers=admin_headers).json()["version"]
    body = {"version": version, "label": "car", "frame": 30, "box": [1.0, 2.0, 30.0, 40.0], "propagate": False}
    made = client.post(url, json=body, headers=admin_headers).json()
    tid, version = made["track"]["track_id"], made["version"]

    one = client.get(url, params={"track_id": tid, "span": "true"}, headers=admin_headers).json()
    assert one["version"] == version and [t["track_id"] for t in one["tracks"]] == [tid]
    assert (one["tracks"][0]["start"], one["tracks"][0]["states"]) == (30, "k")
    (first,) = client.get(url, params={"track_id": 1}, headers=admin_headers).json()["tracks"]
    assert first["label"] == "person" and len(first["states"]) == 40
    none = client.get(url, params={"track_id": 999}, headers=admin_headers).json()
    assert none["tracks"] == [] and none["version"] == version
