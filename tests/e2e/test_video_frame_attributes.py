"""Per-frame (mutable) attributes on a video track, on a real server: "occluded" changes per frame. Set on frame 10
in the track panel's "On this frame" section, it holds on frames 10 to the end and not before; set again on frame
20 it changes from there; the timeline's track lists the frames where it changes; after a reload the page and the
API agree; Ctrl+Z puts the frames back as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import API, Server, Shots, add_member, eventually, login

ATTRIBUTES: list[dict[str, Any]] = [
    {"name": "occluded", "type": "bool", "default": False, "mutable": True},
    {"name": "kind", "type": "select", "options": ["adult", "child"]},
]


def _frame_panel(page: Any) -> Any:
    return page.get_by_test_id("frame-attributes")


def _go(page: Any, frame: int) -> None:
    field = page.get_by_test_id("frame-input")
    field.fill(str(frame))
    field.press("Enter")
    expect(page.get_by_test_id("status-frame")).to_have_text(f"Frame {frame} / 39")


def _occluded(server: Server, pid: int, iid: int) -> list[Any]:
    values: list[Any] = vp.tracks(server.api, pid, iid)["tracks"][0]["frame_attributes"]["occluded"]
    return values


def test_a_per_frame_value_holds_from_its_frame_on_changes_later_and_survives_a_reload(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    body = {"name": "Video frame attributes", "item_kind": "video", "labels": [{"name": "person"}],
            "attributes": ATTRIBUTES}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    vp.add_track(server, pid, iid)  # frame 0, interpolated over the 40 frames, occluded not set
    _, password = add_member(server, pid, "frame-attr-annotator", "annotator")
    login(page, "frame-attr-annotator", password)
    vp.open_item(page, pid, iid)
    page.get_by_test_id("track-row").locator(".vtr-pick").click()
    # The whole-track attribute keeps its section; the per-frame one is in "On this frame".
    expect(page.get_by_test_id("attributes").get_by_label("kind")).to_be_visible()
    expect(page.get_by_test_id("attributes").get_by_label("occluded")).to_have_count(0)

    _go(page, 10)
    occluded = _frame_panel(page).get_by_label("occluded")
    expect(occluded).not_to_be_checked()
    occluded.check()
    eventually(lambda: _check(_occluded(server, pid, iid) == [None] * 10 + [True] * 30))
    expect(_frame_panel(page).get_by_test_id("set-from")).to_have_text("from frame 10")
    _go(page, 9)
    expect(_frame_panel(page).get_by_label("occluded")).not_to_be_checked()
    _go(page, 39)
    expect(_frame_panel(page).get_by_label("occluded")).to_be_checked()
    expect(_frame_panel(page).get_by_test_id("set-from")).to_have_text("from frame 10")

    _go(page, 20)
    _frame_panel(page).get_by_label("occluded").uncheck()
    eventually(lambda: _check(_occluded(server, pid, iid) == [None] * 10 + [True] * 10 + [False] * 20))
    expect(page.get_by_test_id("value-changes")).to_contain_text("1020")
    shots(page, "values-set")

    page.reload()
    vp.open_item(page, pid, iid)
    page.get_by_test_id("track-row").locator(".vtr-pick").click()
    for frame, checked, since in ((5, False, None), (15, True, "from frame 10"), (25, False, "from frame 20")):
        _go(page, frame)
        box = _frame_panel(page).get_by_label("occluded")
        expect(box).to_be_checked() if checked else expect(box).not_to_be_checked()
        hint = _frame_panel(page).get_by_test_id("set-from")
        expect(hint).to_have_text(since) if since else expect(hint).to_have_count(0)
    # The boxes themselves carry the value of their frame (what exports write).
    boxes = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
    by_frame = {b["frame"]: b["attributes"].get("occluded") for b in boxes if b["kind"] == "track_box"}
    assert [by_frame[f] for f in range(40)] == [None] * 10 + [True] * 10 + [False] * 20

    # Ctrl+Z (from the stage) undoes the last change only: frames 20.. are occluded again, 0..9 are not.
    _go(page, 20)
    _frame_panel(page).get_by_label("occluded").check()
    eventually(lambda: _check(_occluded(server, pid, iid) == [None] * 10 + [True] * 30))
    page.get_by_test_id("video-canvas").focus()
    page.keyboard.press("Control+z")
    eventually(lambda: _check(_occluded(server, pid, iid) == [None] * 10 + [True] * 10 + [False] * 20))


def _check(ok: bool) -> None:
    assert ok
