"""Split and merge in the video editor on a real server: a track over the OTB Crossing clip, selected, split at
frame 20 with Alt+M, shows as two tracks in the list and two lanes on the timeline (the first ends where the second
starts); "Merge with…" in the new track's card puts them back into one track and one lane; Ctrl+Z then says the
merge cannot be undone and what to do instead.
"""

from __future__ import annotations

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


def test_a_track_split_with_alt_m_shows_twice_and_merges_back_into_one(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    project = server.create_project("Video split and merge", ["person", "car"], item_kind="video")
    pid = project["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    _, password = add_member(server, pid, "split-annotator", "annotator")
    tid = vp.add_track(server, pid, iid)["track_id"]

    login(page, "split-annotator", password)
    vp.open_item(page, pid, iid)
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
    vp.wait_propagated(page, server, pid, iid)
    (merged,) = _server_tracks(server, pid, iid, 1)
    assert merged["keyframes"] == [0, 19, 20] and set(merged["states"]) <= {"k", "p"}, merged["states"]
    eventually(lambda: vp.near(_lane_color(page, 20, 0), colors[0], 12) or vp.fail(str(_lane_color(page, 20, 0))))
    shots(page, "merged")

    # Neither can be undone: Ctrl+Z says so, and what to do instead.
    page.keyboard.press("Control+z")
    expect(page.locator(".video-toast")).to_have_text(
        f"Cannot undo: merge track {new} into track {tid} (split the track again to separate them)"
    )
    assert len(_server_tracks(server, pid, iid, 1)) == 1
