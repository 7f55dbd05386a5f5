"""How undo snapshots are stored: compressed, the oldest dropped past a byte budget per video, and a snapshot
stored the way it was before migration 0012 (plain JSON rows) still undoes."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.api._support import API, assert_problem, run_jobs
from tests.api._tracks import ATTRS, A, put_keyframe, shown, split, start_track, undo
from tests.api._video import car_and_person_video, item_tracks

from labelhub.hub import Hub
from labelhub.services import track_undo
from labelhub.storage.undo_models import TrackSnapshot


@pytest.fixture
def video(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    return car_and_person_video(client, hub, admin_headers, tmp_path, "street", ATTRS)


def _track(client: TestClient, hub: Hub, h: dict[str, str], pid: int, iid: int) -> int:
    tid = start_track(client, h, pid, iid, 0, A, attributes={"kind": "van"})
    put_keyframe(client, h, pid, iid, tid, 30, [130.0, 50.0, 150.0, 100.0])
    run_jobs(hub)
    return tid


def _snapshots(hub: Hub) -> list[TrackSnapshot]:
    with hub.db.session() as s:
        return list(s.scalars(select(TrackSnapshot).order_by(TrackSnapshot.id)))


def test_a_snapshot_is_stored_compressed_and_the_oldest_go_past_the_byte_budget(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pid, iid = video
    h = admin_headers
    tid = _track(client, hub, h, pid, iid)
    first = split(client, h, pid, iid, tid, 28).json()["undo_token"]
    (snap,) = _snapshots(hub)
    assert snap.id == first and snap.rows == {} and snap.packed is not None
    assert snap.size_bytes == len(snap.packed)
    rows = json.loads(zlib.decompress(snap.packed))
    assert [r["frame"] for r in rows] == list(range(40))  # the whole track before the split, frame by frame
    assert {r["track_id"] for r in rows} == {tid}
    assert len(json.dumps(rows)) > 3 * snap.size_bytes  # what the JSON took before, against what it takes now

    # A budget of one and a half of that snapshot: the next split's (28 of the 40 rows) leaves no room for it. The
    # newest snapshot always stays; an older one only while the total is within the budget.
    monkeypatch.setattr(track_undo, "KEPT_BYTES", int(snap.size_bytes * 1.5))
    second = split(client, h, pid, iid, tid, 16).json()["undo_token"]
    assert [s.id for s in _snapshots(hub)] == [second]
    assert_problem(undo(client, h, pid, iid, first), 404, field="undo_token")
    monkeypatch.setattr(track_undo, "KEPT_BYTES", 10)  # smaller than any: the newest still stays
    third = split(client, h, pid, iid, tid, 8).json()["undo_token"]
    assert [s.id for s in _snapshots(hub)] == [third]
    assert undo(client, h, pid, iid, third).status_code == 200


def test_a_snapshot_stored_as_plain_rows_before_migration_0012_still_undoes(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], video: tuple[int, int]
) -> None:
    pid, iid = video
    h = admin_headers
    tid = _track(client, hub, h, pid, iid)
    before = shown(client, h, pid, iid)
    version = item_tracks(client, h, pid, iid)["version"]
    r = client.delete(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}", params={"version": version}, headers=h)
    assert r.status_code == 200, r.text
    token = r.json()["undo_token"]
    (snap,) = _snapshots(hub)
    assert snap.packed is not None
    old_form = {"rows": json.loads(zlib.decompress(snap.packed))}
    with hub.db.session(write=True) as s:
        s.execute(update(TrackSnapshot).where(TrackSnapshot.id == token).values(rows=old_form, packed=None,
                                                                                size_bytes=0))  # fmt: skip
    assert item_tracks(client, h, pid, iid)["tracks"] == []
    assert undo(client, h, pid, iid, token).status_code == 200
    assert shown(client, h, pid, iid) == before
