"""Undoing a track delete, split or merge through the API: the tracks come back exactly as they were (ids, every
box, confidence, outside frame and value), once per token, and not over a person's later change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.api._tracks import (
    ATTRS,
    SHOWN,
    A,
    B,
    audit_events,
    leaves_and_another_comes,
    merge,
    put_keyframe,
    shown,
    split,
    start_track,
    undo,
)
from tests.api._video import car_and_person_video, item_tracks

from labelhub.hub import Hub
from labelhub.services import track_undo
from labelhub.storage.models import Annotation


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """A video project (classes car and person, a whole-track and a per-frame attribute), one 40-frame item."""
    return car_and_person_video(client, hub, admin_headers, tmp_path, "street", ATTRS)


def _row_ids(hub: Hub, iid: int) -> dict[int, int | None]:
    with hub.db.session() as s:
        rows = s.execute(select(Annotation.id, Annotation.track_id).where(Annotation.item_id == iid))
        return {row_id: track_id for row_id, track_id in rows}


def _ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _two_keyframe_track(client: TestClient, hub: Hub, h: dict[str, str], pid: int, iid: int) -> int:
    """A van track with keyframes on 0 and 30, propagated, marked occluded from frame 25 on."""
    tid = start_track(client, h, pid, iid, 0, A, attributes={"kind": "van", "occluded": False})
    put_keyframe(client, h, pid, iid, tid, 30, [130.0, 50.0, 150.0, 100.0])
    run_jobs(hub)
    version = item_tracks(client, h, pid, iid)["version"]
    body = {"version": version, "frame_attributes": {"from_frame": 25, "values": {"occluded": True}}}
    _ok(client.patch(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}", json=body, headers=h))
    return tid


def test_a_split_undone_is_the_track_it_was_with_its_rows_and_the_token_undoes_once(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    tid = _two_keyframe_track(client, hub, h, pid, iid)
    before, rows = shown(client, h, pid, iid), _row_ids(hub, iid)

    cut = _ok(split(client, h, pid, iid, tid, 20))
    run_jobs(hub)  # the seams are propagated again
    assert [t["track_id"] for t in item_tracks(client, h, pid, iid)["tracks"]] == [tid, tid + 1]
    version = item_tracks(client, h, pid, iid)["version"]
    answer = _ok(undo(client, h, pid, iid, cut["undo_token"]))
    assert answer["version"] == version + 1 and answer["removed"] == [tid + 1] and answer["undo_token"] is None
    assert [{k: t[k] for k in SHOWN} for t in answer["tracks"]] == before
    assert shown(client, h, pid, iid) == before and _row_ids(hub, iid) == rows  # the same rows, ids and all
    assert item_tracks(client, h, pid, iid)["tracks"][0]["job"]["status"] == "succeeded"  # nothing queued
    [event] = audit_events(client, h, pid, "track.undo")
    assert {k: event["detail"][k] for k in ("undid", "track_ids", "removed")} == {
        "undid": "split", "track_ids": [tid], "removed": [tid + 1]}  # fmt: skip

    body = assert_problem(undo(client, h, pid, iid, cut["undo_token"]), 404, field="undo_token")
    assert "undone once" in body["detail"]
    again = _ok(split(client, h, pid, iid, tid, 20))  # a redo is the split made again, with a new token
    assert again["undo_token"] != cut["undo_token"] and [t["track_id"] for t in again["tracks"]] == [tid, tid + 1]
    _ok(undo(client, h, pid, iid, again["undo_token"]))
    run_jobs(hub)  # the split's queued jobs find their track put back: nothing moves, the split-off one is gone
    assert shown(client, h, pid, iid) == before
    jobs = client.get(f"{API}/jobs", params={"project_id": pid}, headers=h).json()
    assert {j["status"] for j in jobs} == {"succeeded"}  # none failed over a track that went
    [gone] = [j["result"] for j in jobs if j["params"]["track_id"] == tid + 1 and j["result"].get("gone")]
    assert gone["boxes_written"] == 0


def test_a_merge_undone_brings_both_tracks_back_with_their_ids(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    first, second = leaves_and_another_comes(client, hub, h, pid, iid, "person")
    before = shown(client, h, pid, iid)

    joined = _ok(merge(client, h, pid, iid, [second, first], label="car"))
    assert joined["removed"] == [second]
    run_jobs(hub)
    answer = _ok(undo(client, h, pid, iid, joined["undo_token"]))
    assert [t["track_id"] for t in answer["tracks"]] == [first, second] and answer["removed"] == []
    assert shown(client, h, pid, iid) == before
    assert [t["label"] for t in before] == ["car", "person"]


def test_a_deleted_track_comes_back_unless_its_id_was_given_to_another(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    one = start_track(client, h, pid, iid, 0, A)
    two = _two_keyframe_track(client, hub, h, pid, iid)
    before = shown(client, h, pid, iid)

    def delete(tid: int) -> dict[str, Any]:
        version = item_tracks(client, h, pid, iid)["version"]
        r = client.delete(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}", params={"version": version}, headers=h)
        return _ok(r)

    gone = delete(two)
    assert [t["track_id"] for t in item_tracks(client, h, pid, iid)["tracks"]] == [one]
    answer = _ok(undo(client, h, pid, iid, gone["undo_token"]))
    assert [t["track_id"] for t in answer["tracks"]] == [two] and shown(client, h, pid, iid) == before

    gone = delete(two)
    taken = start_track(client, h, pid, iid, 5, B)  # the next free id is the deleted track's
    assert taken == two
    body = assert_problem(undo(client, h, pid, iid, gone["undo_token"]), 409, field="undo_token")
    assert f"track {two}" in body["detail"] and "another track's" in body["detail"]
    assert [t["boxes"][5] for t in item_tracks(client, h, pid, iid)["tracks"]][1] == B  # the new one untouched


def test_undo_waits_for_the_persons_own_later_steps_to_be_undone_first(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    """A keyframe set on a split-off track blocks the split's undo (409 naming it) until it is removed again, as
    the editor's undo does first; the propagation's boxes in between do not count."""
    pid, iid = video
    h = admin_headers
    tid = _two_keyframe_track(client, hub, h, pid, iid)
    before = shown(client, h, pid, iid)
    cut = _ok(split(client, h, pid, iid, tid, 20))
    put_keyframe(client, h, pid, iid, tid + 1, 35, [140.0, 52.0, 160.0, 102.0])
    run_jobs(hub)
    body = assert_problem(undo(client, h, pid, iid, cut["undo_token"]), 409, field="undo_token")
    assert body["detail"].startswith(f"track {tid + 1} was changed after it was split")
    assert len(item_tracks(client, h, pid, iid)["tracks"]) == 2  # nothing changed

    version = item_tracks(client, h, pid, iid)["version"]
    url = f"{API}/projects/{pid}/items/{iid}/tracks/{tid + 1}/keyframes/35"
    _ok(client.delete(url, params={"version": version}, headers=h))  # the editor's undo of that keyframe
    run_jobs(hub)
    _ok(undo(client, h, pid, iid, cut["undo_token"]))
    assert shown(client, h, pid, iid) == before


def test_refusals_roles_and_what_is_kept(
    client: TestClient,
    hub: Hub,
    admin_headers: dict[str, str],
    video: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pid, iid = video
    h = admin_headers
    tid = _two_keyframe_track(client, hub, h, pid, iid)
    before = shown(client, h, pid, iid)
    monkeypatch.setattr(track_undo, "KEPT", 2)
    tokens = [_ok(split(client, h, pid, iid, tid, f))["undo_token"] for f in (28, 16, 8)]
    stale = item_tracks(client, h, pid, iid)["version"] - 1
    assert_problem(undo(client, h, pid, iid, tokens[2], version=stale), 409, field="version")
    assert_problem(undo(client, h, pid, iid, "x"), 422)
    viewer_id, viewer = quick_user(hub, f"viewer-{pid}")
    r = client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=h)
    assert r.status_code == 200, r.text
    assert_problem(undo(client, viewer, pid, iid, tokens[2]), 403, field="role")
    _, stranger = quick_user(hub, f"stranger-{pid}")
    assert_problem(undo(client, stranger, pid, iid, tokens[2], version=stale + 1), 404)
    assert len(item_tracks(client, h, pid, iid)["tracks"]) == 4  # none of those changed anything

    _ok(undo(client, h, pid, iid, tokens[2]))
    _ok(undo(client, h, pid, iid, tokens[1]))
    body = assert_problem(undo(client, h, pid, iid, tokens[0]), 404, field="undo_token")
    assert "the last 2" in body["detail"]  # the oldest of three went when the third was kept
    assert [t["keyframes"] for t in shown(client, h, pid, iid)] == [[0, 27, 28], [27, 28, 30]]
    assert before[0]["keyframes"] == [0, 30]
