"""Track requests for the API tests of split, merge and their undo: each asserts its status where it cannot fail
for the test's reason, and leaves the answer to the test where it can."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, run_jobs
from tests.api._video import item_tracks

from labelhub.hub import Hub

# The video of these tests: classes car and person, a whole-track and a per-frame attribute.
ATTRS: list[dict[str, Any]] = [
    {"name": "kind", "type": "select", "options": ["sedan", "van"], "labels": ["car"]},
    {"name": "occluded", "type": "bool", "default": False, "mutable": True},
]
A = [100.0, 50.0, 120.0, 100.0]
B = [160.0, 60.0, 180.0, 110.0]


def start_track(
    client: TestClient, h: dict[str, str], pid: int, iid: int, frame: int, box: list[float], **extra: Any
) -> int:
    version = item_tracks(client, h, pid, iid)["version"]
    body = {"version": version, "label": "car", "frame": frame, "box": box, "method": "interpolate", **extra}
    r = client.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body, headers=h)
    assert r.status_code == 201, r.text
    tid: int = r.json()["track"]["track_id"]
    return tid


def put_keyframe(client: TestClient, h: dict[str, str], pid: int, iid: int, tid: int, frame: int, box: Any) -> None:
    version = item_tracks(client, h, pid, iid)["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/keyframes/{frame}"
    r = client.put(url, json={"version": version, "box": box}, headers=h)
    assert r.status_code == 200, r.text


def split(client: TestClient, h: dict[str, str], pid: int, iid: int, tid: int, frame: int, **body: Any) -> Any:
    if "version" not in body:
        body["version"] = item_tracks(client, h, pid, iid)["version"]
    return client.post(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}/split", json={"frame": frame, **body},
                       headers=h)  # fmt: skip


def merge(client: TestClient, h: dict[str, str], pid: int, iid: int, ids: list[int], **body: Any) -> Any:
    if "version" not in body:
        body["version"] = item_tracks(client, h, pid, iid)["version"]
    return client.post(f"{API}/projects/{pid}/items/{iid}/tracks/merge", json={"track_ids": ids, **body}, headers=h)


def audit_events(client: TestClient, h: dict[str, str], pid: int, action: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/projects/{pid}/audit", params={"action": action}, headers=h)
    assert r.status_code == 200, r.text
    events: list[dict[str, Any]] = r.json()["events"]
    return events


def visible(t: dict[str, Any]) -> list[int]:
    return [f for f, c in enumerate(t["states"]) if c in "kp"]


def leaves_and_another_comes(
    client: TestClient, hub: Hub, h: dict[str, str], pid: int, iid: int, label: str = "car"
) -> tuple[int, int]:
    """Two propagated tracks: a car at ``A`` that leaves on frame 12, and one (``label``) at ``B`` from frame 25 on,
    outside on frame 20; return their ids."""
    first = start_track(client, h, pid, iid, 0, A)
    put_keyframe(client, h, pid, iid, first, 12, None)  # the car leaves on frame 12
    second = start_track(client, h, pid, iid, 25, B, label=label)
    put_keyframe(client, h, pid, iid, second, 20, None)  # and is not there before 21
    run_jobs(hub)
    return first, second


# What the editor draws of a track (its job left out: a change queues new ones).
SHOWN = ("track_id", "label", "keyframes", "states", "boxes", "confidence", "review", "attributes", "frame_attributes")


def shown(client: TestClient, h: dict[str, str], pid: int, iid: int) -> list[dict[str, Any]]:
    """Every track of the item as the editor draws it."""
    return [{k: t[k] for k in SHOWN} for t in item_tracks(client, h, pid, iid)["tracks"]]


def undo(client: TestClient, h: dict[str, str], pid: int, iid: int, token: Any, version: int | None = None) -> Any:
    """``POST .../tracks/undo`` with ``token``, at the item's current version unless ``version`` is given."""
    v = item_tracks(client, h, pid, iid)["version"] if version is None else version
    return client.post(f"{API}/projects/{pid}/items/{iid}/tracks/undo", json={"version": v, "undo_token": token},
                       headers=h)  # fmt: skip
