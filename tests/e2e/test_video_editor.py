"""The video editor on the item page of a real server: a box drawn around the pedestrian of OTB Crossing on the
first frame becomes a track, its propagation job shows its progress and fills in the other frames; on frame 20
the propagated box is drawn and a drag corrects it, which makes frame 20 a keyframe (a marker on the timeline)
and re-propagates the frames around it; Ctrl+Z undoes that correction (the frame is propagated again) and
Ctrl+Shift+Z redoes it. A viewer sees the tracks read-only, and the API refuses their changes.

The video is the first 40 frames of ``../shared/data/tracking_otb_crossing`` (360x240 JPEGs), copied into the
test's temporary folder, zipped and uploaded as an image sequence (format ``video``), the way a person imports
one. Coordinates are frame pixels: the tests map them to the page through the stage's fitted view (a 16 px
margin, like the image editor) and check that mapping against the pointer readout of the status line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import API, Server, Shots, add_member, close_to, eventually, login


def test_a_drawn_box_is_tracked_and_a_corrected_frame_becomes_a_keyframe(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    project = server.create_project("Video tracking", ["person", "car"], item_kind="video")
    pid = project["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    _, password = add_member(server, pid, "video-annotator", "annotator")
    truth = vp.truth()

    login(page, "video-annotator", password)
    vp.open_item(page, pid, iid)
    editor = page.get_by_test_id("video-editor")
    expect(editor).to_contain_text("360 \u00d7 240 · 40 frames")
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 0 / 39")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved")
    shots(page, "item-opened")

    # Draw a box around the pedestrian on frame 0 (class 1, "person"): a track, and its propagation starts.
    page.keyboard.press("1")
    gt0 = truth[0]
    page.mouse.move(*vp.to_screen(page, gt0[0], gt0[1]))
    page.mouse.down()
    page.mouse.move(*vp.to_screen(page, gt0[2], gt0[3]), steps=8)
    shots(page, "drawing-the-first-box")
    page.mouse.up()
    row = page.get_by_test_id("track-row")
    expect(row).to_have_count(1)
    track_id = int(row.get_attribute("data-track-id"))
    expect(row.get_by_test_id("track-label")).to_have_value("person")
    job = row.get_by_test_id("track-job")
    expect(job).to_be_visible()
    expect(job.get_by_role("progressbar")).to_be_visible()
    shots(page, "propagation-started")
    [created] = vp.tracks(server.api, pid, iid)["tracks"]
    assert created["keyframes"] == [0] and created["states"][0] == "k", created
    assert close_to(created["boxes"][0], gt0), (created["boxes"][0], gt0)

    # The job finishes: its progress bar is full, and the tracks are reloaded with a box on every frame.
    tracks = vp.wait_propagated(page, server, pid, iid)
    expect(job).to_have_attribute("data-status", "succeeded")
    expect(row.get_by_test_id("track-keyframes")).to_have_text("1 keyframe")
    [track] = tracks["tracks"]
    assert track["states"].startswith("k") and set(track["states"][1:]) <= {"p", "o"}, track["states"]
    page.wait_for_function("(n) => window.__videoEditor.session.tracks[0]?.states === n", arg=track["states"])
    shots(page, "propagation-done")

    # Scrub to frame 20: a click on the timeline's ruler at frame 17, then `f` three times.
    page.mouse.click(*vp.ruler_point(page, 17))
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 17 / 39")
    for _ in range(3):
        page.keyboard.press("f")
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 20 / 39")
    expect(page.get_by_test_id("frame-input")).to_have_value("20")
    expect(page.get_by_test_id("playhead")).to_have_attribute("data-frame", "20")
    page.wait_for_function("() => window.__videoEditor.state().frameShown")
    color = vp.track_rgb(page, track_id)
    before20 = track["boxes"][20]
    assert track["states"][20] == "p", track["states"]
    # The redraw after the frame decoded: the next frame, later on a busy machine.
    eventually(lambda: vp.box_edge_drawn(page, before20, color) or vp.fail("no box drawn on frame 20"), timeout=5)
    expect(page.get_by_test_id("status-track")).to_contain_text("propagated")
    expect(page.get_by_test_id("status-track")).to_contain_text("confidence")
    lane_before = vp.canvas_rgb(page, "timeline-lanes", *vp.lane_point(page, 20))
    shots(page, "frame-20-propagated")

    # Correct frame 20: drag the box (selected by the press) so that its centre lands on the ground truth's.
    # The pointer first goes well away, so the drag counts even when the box was already in place.
    gt20 = truth[20]
    start = vp.to_screen(page, (before20[0] + before20[2]) / 2, (before20[1] + before20[3]) / 2)
    target = vp.to_screen(page, (gt20[0] + gt20[2]) / 2, (gt20[1] + gt20[3]) / 2)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 40, start[1] + 20, steps=4)
    page.mouse.move(*target, steps=6)
    shots(page, "dragging-on-frame-20")
    page.mouse.up()
    k = vp.scale(page)
    dx, dy = (target[0] - start[0]) / k, (target[1] - start[1]) / k
    dragged = [before20[0] + dx, before20[1] + dy, before20[2] + dx, before20[3] + dy]
    expect(page.get_by_test_id("status-track")).to_contain_text("keyframe")
    selected = page.locator(f'[data-testid="track-row"][data-track-id="{track_id}"]')
    expect(selected.get_by_test_id("track-keyframes")).to_have_text("2 keyframes")
    expect(selected.locator(".vtr-chip", has_text=re.compile(r"^20$"))).to_be_visible()

    # The keyframe marker on the timeline: frame 20's cell on the lane now shows the diamond, in the full colour.
    def marker() -> None:
        got = vp.canvas_rgb(page, "timeline-lanes", *vp.lane_point(page, 20))
        assert vp.near(got, color, 12) and got != lane_before, (got, color, lane_before)

    eventually(marker, timeout=5)
    shots(page, "frame-20-keyframe")

    # Through the API: frame 20 is a keyframe with the dragged box; the re-propagation job changed its neighbours.
    def saved() -> dict[str, Any]:
        [t] = vp.tracks(server.api, pid, iid)["tracks"]
        assert t["keyframes"] == [0, 20] and t["states"][20] == "k", t["keyframes"]
        return t

    t = eventually(saved)
    assert close_to(t["boxes"][20], dragged, 2.0), (t["boxes"][20], dragged)
    tracks = vp.wait_propagated(page, server, pid, iid)
    [after] = tracks["tracks"]
    assert after["job"]["id"] != track["job"]["id"] and not after["job"]["result"]["superseded"], after["job"]
    lo, hi = after["job"]["result"]["frames"]
    assert lo <= 19 and hi >= 21, after["job"]["result"]
    changed = [f for f in (17, 18, 19, 21, 22, 23) if not close_to(after["boxes"][f], track["boxes"][f], 0.01)]
    assert changed, "the frames next to frame 20 did not change after the re-propagation"
    assert after["boxes"][:1] == track["boxes"][:1], "the first keyframe moved"
    expect(page.get_by_test_id("status-propagation")).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    shots(page, "repropagated")

    # Ctrl+Z undoes the correction: frame 20 is no longer a keyframe, and the track is propagated again from
    # frame 0 as before the drag. Ctrl+Shift+Z makes it the dragged keyframe again, for the steps below.
    what = f"move the box of track {track_id} on frame 20"
    expect(page.get_by_test_id("undo")).to_have_attribute("title", f"Undo: {what} (Ctrl+Z)")
    page.keyboard.press("Control+z")
    expect(page.locator(".video-toast")).to_have_text(f"Undid: {what}")
    undone = vp.synced(page, server, pid, iid, lambda t: t["keyframes"] == [0])
    assert undone["states"][20] in "po" and undone["job"]["id"] != after["job"]["id"], undone["job"]
    assert undone["job"]["result"]["frames"][0] <= 20 <= undone["job"]["result"]["frames"][1], undone["job"]
    assert close_to(undone["boxes"][20], before20, 2.0), (undone["boxes"][20], before20)
    expect(selected.get_by_test_id("track-keyframes")).to_have_text("1 keyframe")
    expect(page.get_by_test_id("undo")).to_have_attribute("title", "Undo: add a person track on frame 0 (Ctrl+Z)")
    expect(page.get_by_test_id("redo")).to_be_enabled()
    shots(page, "correction-undone")
    page.keyboard.press("Control+Shift+Z")
    expect(page.locator(".video-toast")).to_have_text(f"Redid: {what}")
    after = vp.synced(page, server, pid, iid, lambda t: t["keyframes"] == [0, 20] and t["states"][20] == "k")
    assert close_to(after["boxes"][20], dragged, 2.0), (after["boxes"][20], dragged)
    expect(selected.get_by_test_id("track-keyframes")).to_have_text("2 keyframes")
    expect(page.get_by_test_id("redo")).to_be_disabled()

    # `n` jumps to a suggested frame of the selected track, `g` to the one ranked first (the least sure
    # frame; past it when it is the frame shown), and the help sheet lists the keys.
    suggested = vp.tracks(server.api, pid, iid)["tracks"][0]["suggested"]
    assert suggested, "a track with two keyframes in a longer video has frames to suggest"
    page.keyboard.press("n")
    page.wait_for_function("(s) => s.includes(window.__videoEditor.state().frame)", arg=suggested)
    shown = page.evaluate("window.__videoEditor.state().frame")
    top = next(f for f in suggested if f != shown)
    page.keyboard.press("g")
    page.wait_for_function("(f) => window.__videoEditor.state().frame === f", arg=top)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("Next suggested frame")
    shots(page, "help")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_have_count(0)

    # A frame that needs review: its box is drawn in the warning style and the status line says so.
    review = after["review"]
    if review:
        page.get_by_test_id("frame-input").fill(str(review[-1]))
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("status-frame")).to_have_text(f"Frame {review[-1]} / 39")
        expect(page.get_by_test_id("status-track")).to_contain_text("needs review")
        page.wait_for_function("() => window.__videoEditor.state().frameShown")
        shots(page, "needs-review-frame")

    # Someone else sets a keyframe meanwhile: `k` on frame 30 comes back 409, the tracks are reloaded, and the
    # conflict panel offers to apply the change again on top of theirs.
    version = vp.tracks(server.api, pid, iid)["version"]
    other = after["boxes"][35]
    r = server.api.put(
        f"{API}/projects/{pid}/items/{iid}/tracks/{track_id}/keyframes/35", json={"version": version, "box": other}
    )
    assert r.status_code == 200, r.text
    page.get_by_test_id("frame-input").fill("30")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 30 / 39")
    page.keyboard.press("k")
    conflict = page.get_by_test_id("video-conflict")
    expect(conflict).to_contain_text("Someone else changed this item")
    expect(conflict.get_by_test_id("unsaved-change")).to_have_text("make frame 30 a keyframe of track 1")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "conflict")
    expect(selected.get_by_test_id("track-keyframes")).to_have_text("3 keyframes")  # theirs: 0, 20, 35
    shots(page, "conflict")
    conflict.get_by_role("button", name="Apply my change again").click()
    expect(conflict).to_have_count(0)
    expect(selected.get_by_test_id("track-keyframes")).to_have_text("4 keyframes")
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    eventually(lambda: vp.tracks(server.api, pid, iid)["tracks"][0]["keyframes"] == [0, 20, 30, 35] or vp.fail("no"))
    vp.wait_propagated(page, server, pid, iid)
    shots(page, "conflict-settled")

    # A second track (the car, class 2) on frame 20: two lanes, and its job runs beside the first track's.
    page.get_by_test_id("frame-input").fill("20")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 20 / 39")
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    page.mouse.move(*vp.to_screen(page, 44, 126))
    page.mouse.down()
    page.mouse.move(*vp.to_screen(page, 158, 168), steps=8)
    page.mouse.up()
    expect(page.get_by_test_id("track-row")).to_have_count(2)
    car = page.locator('[data-testid="track-row"]').nth(1)
    expect(car.get_by_test_id("track-label")).to_have_value("car")
    shots(page, "second-track")
    both = vp.wait_propagated(page, server, pid, iid)
    expect(page.get_by_test_id("track-list")).to_contain_text("2 tracks")
    shots(page, "two-tracks-propagated")
    # A click on a track's card selects it; one on another card's label menu is the menu's and selects nothing.
    # (The car, drawn last, ends up selected again, as the steps below expect.)
    person = page.locator('[data-testid="track-row"]').nth(0)
    person.get_by_test_id("track-keyframes").click()
    expect(person.locator(".vtr-pick")).to_have_attribute("aria-pressed", "true")
    car.get_by_test_id("track-label").dispatch_event("click")
    expect(person.locator(".vtr-pick")).to_have_attribute("aria-pressed", "true")
    expect(car.locator(".vtr-pick")).to_have_attribute("aria-pressed", "false")
    car.get_by_test_id("track-keyframes").click()
    expect(car.locator(".vtr-pick")).to_have_attribute("aria-pressed", "true")

    # Where the car is outside (it drives in), its box is hidden; "Show outside" draws it faint and dashed, and
    # the choice is remembered for the session (a reload keeps it).
    car_states = both["tracks"][1]["states"]
    if "o" in car_states:
        page.get_by_test_id("frame-input").fill(str(car_states.index("o")))
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("status-track")).to_contain_text("outside")
        page.get_by_test_id("show-outside").check()
        page.wait_for_function("() => window.__videoEditor.state().frameShown")
        shots(page, "car-outside-shown")
        page.reload()
        page.get_by_test_id("video-editor").wait_for()
        expect(page.get_by_test_id("show-outside")).to_be_checked()
        page.get_by_test_id("show-outside").uncheck()
        page.wait_for_function("() => window.__videoEditor?.session.loaded")
    car = page.locator('[data-testid="track-row"]').nth(1)

    # Deleting the car's track asks first.
    car.get_by_test_id("delete-track").click()
    dialog = page.get_by_test_id("confirm-delete-track")
    expect(dialog).to_be_visible()
    shots(page, "confirm-delete")
    dialog.get_by_test_id("confirm-delete").click()
    expect(page.get_by_test_id("track-row")).to_have_count(1)
    eventually(lambda: len(vp.tracks(server.api, pid, iid)["tracks"]) == 1 or vp.fail("the car's track is still there"))
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")


def test_a_viewer_sees_the_tracks_read_only_and_the_api_refuses_their_changes(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    project = server.create_project("Video to look at", ["person"], item_kind="video")
    pid = project["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    box = vp.truth()[0]
    version = vp.tracks(server.api, pid, iid)["version"]
    r = server.api.post(
        f"{API}/projects/{pid}/items/{iid}/tracks",
        json={"version": version, "label": "person", "frame": 0, "box": box, "method": "interpolate"},
    )
    assert r.status_code == 201, r.text
    assert server.wait_for_job(r.json()["job"]["id"])["status"] == "succeeded"
    track_id = r.json()["track"]["track_id"]
    _, password = add_member(server, pid, "video-viewer", "viewer")

    login(page, "video-viewer", password)
    vp.open_item(page, pid, iid)
    expect(page.get_by_test_id("readonly-badge")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_text("Read-only")
    expect(page.get_by_test_id("track-row")).to_have_count(1)
    expect(page.get_by_test_id("propagate")).to_have_count(0)
    expect(page.get_by_test_id("delete-track")).to_have_count(0)
    expect(page.get_by_test_id("track-label")).to_be_disabled()
    shots(page, "viewer-opened")

    # A drag on the frame pans instead of drawing; a click selects the track; `o` and `k` change nothing.
    before = vp.tracks(server.api, pid, iid)
    a, b = vp.to_screen(page, 40, 40), vp.to_screen(page, 120, 120)
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=6)
    page.mouse.up()
    page.keyboard.press("Shift+F")
    page.mouse.click(*vp.to_screen(page, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    expect(page.get_by_test_id("status-track")).to_contain_text(f"#{track_id}")
    page.keyboard.press("o")
    expect(page.locator(".video-toast")).to_contain_text("look but not edit")
    page.keyboard.press("k")
    shots(page, "viewer-tried-to-edit")
    page.wait_for_timeout(300)
    assert vp.tracks(server.api, pid, iid) == before

    # Viewers can play the video: Space plays at the item's frame rate to the last frame, which pauses it.
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.keyboard.press("Space")
    expect(page.get_by_test_id("play")).to_have_attribute("data-playing", "true")
    page.wait_for_function("() => window.__videoEditor.state().frame > 3")
    shots(page, "viewer-playing")
    page.wait_for_function("() => !window.__videoEditor.state().playing", timeout=20_000)
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 39 / 39")
    assert any("/frames?" in u for u in requests), "playback did not ask the server to decode frames ahead"

    # With none selected, `g` and `n` step through the suggested frames of the video's only track, and select it;
    # a click anywhere on a track's card selects it too. (After playing: the frames these steps seek to would be
    # loaded before it otherwise.)
    row = page.get_by_test_id("track-row")
    picked = row.locator(".vtr-pick")
    page.keyboard.press("Escape")
    expect(picked).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("g")
    expect(picked).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(picked).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".video-toast", has_text="Select a track")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(picked).to_have_attribute("aria-pressed", "false")
    row.get_by_test_id("track-review").click()
    expect(picked).to_have_attribute("aria-pressed", "true")

    # The API refuses the viewer's changes (403), with a problem+json body.
    with httpx.Client(base_url=server.url, headers={"X-Requested-With": "labelhub-e2e"}, timeout=30) as viewer:
        viewer.post(f"{API}/auth/login", json={"username": "video-viewer", "password": password}).raise_for_status()
        assert vp.tracks(viewer, pid, iid)["tracks"][0]["track_id"] == track_id
        base = f"{API}/projects/{pid}/items/{iid}/tracks"
        v = before["version"]
        refused = [
            viewer.post(base, json={"version": v, "label": "person", "frame": 3, "box": [10, 10, 40, 60]}),
            viewer.put(f"{base}/{track_id}/keyframes/20", json={"version": v, "box": [10, 10, 40, 60]}),
            viewer.delete(f"{base}/{track_id}/keyframes/0", params={"version": v}),
            viewer.patch(f"{base}/{track_id}", json={"version": v, "label": "person"}),
            viewer.post(f"{base}/{track_id}/propagate", json={"method": "track"}),
            viewer.delete(f"{base}/{track_id}", params={"version": v}),
        ]
        for resp in refused:
            assert resp.status_code == 403, (resp.request.method, resp.request.url, resp.status_code, resp.text)
            assert resp.headers["content-type"].startswith("application/problem+json")
    assert vp.tracks(server.api, pid, iid) == before
