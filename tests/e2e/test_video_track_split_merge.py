"""Split and merge in the video editor on a real server: a track over the OTB Crossing clip, selected, split at
frame 20 with Alt+M, shows as two tracks in the list and two lanes on the timeline (the first ends where the second
starts); "Merge with…" in the new track's card puts them back into one track and one lane. Ctrl+Z undoes a split,
a merge and a track's delete: the server puts the tracks back as they were, with their ids, and Ctrl+Shift+Z makes
the change again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import Server, Shots, add_member, eventually, login

LANES_HEIGHT = "() => document.querySelector('[data-testid=\"timeline-lanes\"]').getBoundingClientRect().height"


def _lane_color(page: Any, frame: int, lane: int) -> tuple[int, int, int]:
    return vp.canvas_rgb(page, "timeline-lanes", *vp.lane_point(page, frame, lane))


def _server_tracks(server: Server, pid: int, iid: int, n: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = vp.tracks(server.api, pid, iid)["tracks"]
    assert len(found) == n, [t["track_id"] for t in found]
    return found


def _open_with_a_track(page: Any, server: Server, tmp_path: Path, name: str, user: str) -> tuple[int, int, int]:
    """A video project with the clip and one track; ``user`` (an annotator) logged in with the item open. Return
    the project, item and track ids."""
    pid: int = server.create_project(name, ["person", "car"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    _, password = add_member(server, pid, user, "annotator")
    tid: int = vp.add_track(server, pid, iid)["track_id"]
    login(page, user, password)
    vp.open_item(page, pid, iid)
    return pid, iid, tid


def test_a_track_split_with_alt_m_shows_twice_and_merges_back_into_one(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid, iid, tid = _open_with_a_track(page, server, tmp_path, "Video split and merge", "split-annotator")
    rows = page.get_by_test_id("track-row")
    expect(rows).to_have_count(1)
    rows.first.get_by_title(f"Select track {tid}").click()
    expect(rows.first.get_by_test_id("split-track")).to_be_visible()
    for _ in range(2):
        page.keyboard.press("v")  # ten frames on, twice
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 20 / 39")
    page.keyboard.press("?")
    expect(page.get_by_text("Split the selected track here")).to_be_visible()
    page.keyboard.press("Escape")

    before = _lane_color(page, 30, 0)  # propagated: the track's colour, paler with the confidence

    # Alt+M: the track ends before frame 20, and a new track (selected) takes the frames from there on.
    page.keyboard.press("Alt+m")
    expect(rows).to_have_count(2)
    new = tid + 1
    expect(page.locator(f'[data-testid="track-row"][data-track-id="{new}"]')).to_have_class("video-track on")
    page.wait_for_function(f"{LANES_HEIGHT} === 48")  # two lanes
    vp.wait_propagated(page, server, pid, iid)
    first, second = _server_tracks(server, pid, iid, 2)
    assert (first["track_id"], second["track_id"]) == (tid, new)
    assert set(first["states"][:20]) <= {"k", "p"} and set(first["states"][20:]) <= {"x", "o"}, first["states"]
    assert set(second["states"][:20]) <= {"x", "o"} and second["states"][20] == "k", second["states"]
    page.wait_for_function("(n) => window.__videoEditor.session.tracks[1]?.states === n", arg=second["states"])
    shots(page, "split")

    # On the timeline: the first lane has its last keyframe (a diamond in its colour) on frame 19, the second its
    # first on frame 20; the first lane is no longer the track's colour (outside) where the second shows the object.
    colors = (vp.track_rgb(page, tid), vp.track_rgb(page, new))

    def lanes_split() -> None:
        assert vp.near(_lane_color(page, 19, 0), colors[0], 12), _lane_color(page, 19, 0)
        assert vp.near(_lane_color(page, 20, 1), colors[1], 12), _lane_color(page, 20, 1)
        assert _lane_color(page, 30, 0) != before, (_lane_color(page, 30, 0), before)

    eventually(lanes_split)

    # "Merge with…" in the selected (new) track's card: one track again, the lower id, one lane.
    page.locator(f'[data-testid="track-row"][data-track-id="{new}"]').get_by_test_id("merge-with").select_option(
        str(tid)
    )
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-track-id", str(tid))
    page.wait_for_function(f"{LANES_HEIGHT} === 24")
    # The page drops the merged-away track before the server answers: wait for the merge to land there.
    eventually(lambda: _server_tracks(server, pid, iid, 1), timeout=30)
    vp.wait_propagated(page, server, pid, iid)
    (merged,) = _server_tracks(server, pid, iid, 1)
    assert merged["keyframes"] == [0, 19, 20] and set(merged["states"]) <= {"k", "p"}, merged["states"]
    eventually(lambda: vp.near(_lane_color(page, 20, 0), colors[0], 12) or vp.fail(str(_lane_color(page, 20, 0))))
    shots(page, "merged")


# What undo must give back exactly: a track's keyframes, every frame's state, box and confidence, its label.
_KEPT = ("track_id", "label", "keyframes", "states", "boxes", "confidence", "attributes")


def _as_kept(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: t[k] for k in _KEPT} for t in found]


def _undo(page: Any, server: Server, pid: int, iid: int, says: str, want: list[dict[str, Any]]) -> None:
    """Ctrl+Z: the notice ``says``, the server has exactly the tracks ``want``, and the page shows them."""
    page.keyboard.press("Control+z")
    expect(page.locator(".video-toast")).to_have_text(says)
    expect(page.get_by_test_id("track-row")).to_have_count(len(want))
    assert _as_kept(_server_tracks(server, pid, iid, len(want))) == want
    page.wait_for_function(
        "(want) => JSON.stringify(window.__videoEditor.session.tracks.map((t) => [t.track_id, t.states])) === want",
        arg=json.dumps([[t["track_id"], t["states"]] for t in want], separators=(",", ":")),
    )


def test_ctrl_z_undoes_a_split_a_merge_and_a_delete_and_ctrl_shift_z_redoes(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid, iid, tid = _open_with_a_track(page, server, tmp_path, "Video undo", "undo-annotator")
    whole = _as_kept(_server_tracks(server, pid, iid, 1))
    rows = page.get_by_test_id("track-row")

    def row(track_id: int) -> Any:
        return page.locator(f'[data-testid="track-row"][data-track-id="{track_id}"]')

    rows.first.get_by_title(f"Select track {tid}").click()
    page.evaluate("() => window.__videoEditor.session.seek(20)")
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 20 / 39")

    # Split, then Ctrl+Z: one track again, every box, state and confidence as before the split.
    page.keyboard.press("Alt+m")
    expect(rows).to_have_count(2)
    new = tid + 1
    vp.wait_propagated(page, server, pid, iid)
    _undo(page, server, pid, iid, f"Track {new} is part of track {tid} again", whole)
    expect(row(tid)).to_have_class("video-track on")
    shots(page, "split-undone")

    # Ctrl+Shift+Z splits it again; merged back with "Merge with…", Ctrl+Z gives both tracks back, same ids.
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".video-toast")).to_have_text(
        f"Track {tid} now ends before frame 20; from there on it is track {new}"
    )
    expect(rows).to_have_count(2)
    apart = _as_kept(vp.wait_propagated(page, server, pid, iid)["tracks"])
    assert [t["track_id"] for t in apart] == [tid, new]
    row(new).get_by_test_id("merge-with").select_option(str(tid))
    expect(rows).to_have_count(1)
    eventually(lambda: _server_tracks(server, pid, iid, 1), timeout=30)
    vp.wait_propagated(page, server, pid, iid)
    _undo(page, server, pid, iid, f"Tracks {tid} and {new} are apart again", apart)
    shots(page, "merge-undone")

    # Delete the split-off track (after the question), then Ctrl+Z: it is back with its id and boxes, selected.
    row(new).get_by_test_id("delete-track").click()
    page.get_by_test_id("confirm-delete").click()
    expect(rows).to_have_count(1)
    eventually(lambda: _server_tracks(server, pid, iid, 1))
    _undo(page, server, pid, iid, f"Track {new} is back", apart)
    expect(row(new)).to_have_class("video-track on")

    # Ctrl+Shift+Z deletes it again; the redone delete has a token of its own, so Ctrl+Z still brings it back.
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".video-toast")).to_have_text(f"Redid: delete track {new}")
    expect(rows).to_have_count(1)
    eventually(lambda: _server_tracks(server, pid, iid, 1))
    _undo(page, server, pid, iid, f"Track {new} is back", apart)
    shots(page, "delete-undone")
