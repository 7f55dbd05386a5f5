"""The video editor's details on a real server: keys and their buttons follow the same track and land on the same
frame, a relabel by a digit says so, the time shows the video's length, an error toast keeps clear of the timeline,
the tracks and the editor's own notice; an undo of a track someone else deleted says why and leaves the history;
the import dialog of a video project takes a video file as it is, and a video without a frame rate says what it
plays at. The clip is the first 40 frames of
``../shared/data/tracking_otb_crossing`` (see ``test_video_editor.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, eventually, login


def test_keys_and_buttons_agree_say_what_they_did_and_toasts_keep_clear_of_the_timeline(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid, iid, tid = vp.open_with_a_track(page, server, tmp_path, "Video keys")

    # The time of the frame shown, then the video's length: 40 frames at 30 fps last 1.33 s (the last starts at 1.30).
    time = page.get_by_test_id("frame-time")
    expect(time).to_have_text("0:00.00 / 0:01.33")
    page.keyboard.press("End")
    expect(time).to_have_text("0:01.30 / 0:01.33")

    # With no track selected, N, Shift+N and G and their buttons follow the video's only track, and land alike.
    suggested = sorted(vp.tracks(server.api, pid, iid)["tracks"][0]["suggested"])
    start = suggested[len(suggested) // 2]
    for key, testid in (("n", "next-suggestion"), ("Shift+N", "prev-suggestion"), ("g", "top-suggestion")):
        button = page.get_by_test_id(testid)
        page.keyboard.press("Escape")
        expect(button).to_have_attribute("title", re.compile(f"of track {tid}, the only track on this frame"))
        by_key, by_button = vp.key_then_button(page, key, button, start)
        assert by_key["frame"] == by_button["frame"] != start and by_key["frame"] in suggested, (key, by_key, by_button)
        assert by_key["selected"] == by_button["selected"] == tid
    expect(page.get_by_test_id("next-suggestion")).to_have_attribute(
        "title", f"Next suggested frame of track {tid} (N)"
    )
    shots(page, "suggestions")

    # 2 with the track selected relabels it (and chooses the class): a toast says so and how to undo it.
    page.keyboard.press("2")
    expect(page.get_by_test_id("toast-info")).to_contain_text(f"Track {tid} is now 'car' (Ctrl+Z undoes)")
    eventually(lambda: vp.tracks(server.api, pid, iid)["tracks"][0]["label"] == "car" or vp.fail("not relabelled"))
    shots(page, "relabelled")
    page.keyboard.press("Control+z")
    expect(page.locator(".video-toast")).to_have_text(f"Undid: relabel track {tid} as car")
    eventually(lambda: vp.tracks(server.api, pid, iid)["tracks"][0]["label"] == "person" or vp.fail("not undone"))

    # An error toast (it stays until dismissed) sits over the frame, clear of the timeline and the track panel.
    vp.refuse_propagation(page, "the job queue is down")
    page.get_by_test_id("propagate").click()
    toast = page.get_by_test_id("toast-error")
    expect(toast).to_contain_text("Could not propagate track")
    for size in ({"width": 1280, "height": 720}, {"width": 1920, "height": 1080}):
        page.set_viewport_size(size)
        eventually(lambda: vp.toast_covers(page, toast) == [] or vp.fail(str(vp.toast_covers(page, toast))))
        shots(page, f"error-toast-{size['width']}")

    # The editor's own notice (here Ctrl+Shift+Z's "Redid: ...") and the app's toast share the stage's bottom edge:
    # at 1280 px wide the centred notice ran under the toast; it keeps to the left of the toasts' column.
    page.set_viewport_size({"width": 1280, "height": 720})
    page.keyboard.press("Control+Shift+z")
    notice = page.locator(".video-toast")
    expect(notice).to_have_text(f"Redid: relabel track {tid} as car")
    overlap = page.evaluate(
        """([a, b]) => { const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
                         return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom; }""",
        [notice.element_handle(), toast.element_handle()],
    )
    shots(page, "notice-and-toast-1280")
    assert not overlap, "the editor's notice runs under the error toast"


def test_an_undo_on_a_track_someone_else_deleted_says_why_and_leaves_the_history(
    page: Any, server: Server, tmp_path: Path
) -> None:
    pid, iid, tid = vp.open_with_a_track(page, server, tmp_path, "Video refused undo")
    page.locator(f'[data-testid="track-row"][data-track-id="{tid}"]').get_by_title(f"Select track {tid}").click()
    page.keyboard.press("2")
    eventually(lambda: vp.tracks(server.api, pid, iid)["tracks"][0]["label"] == "car" or vp.fail("not relabelled"))
    expect(page.get_by_test_id("undo")).to_have_attribute("title", f"Undo: relabel track {tid} as car (Ctrl+Z)")

    # Someone else deletes the track; a reload of the tracks (as after a propagation) gives this tab their version.
    version = vp.tracks(server.api, pid, iid)["version"]
    server.api.delete(f"{API}/projects/{pid}/items/{iid}/tracks/{tid}", params={"version": version}).raise_for_status()
    page.evaluate("() => window.__videoEditor.session.refresh()")
    expect(page.get_by_test_id("track-row")).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(page.locator(".video-toast")).to_have_text(
        f"Cannot undo: relabel track {tid} as car: track {tid} is no longer on this item "
        "(deleted or merged away since, in another tab or by someone else)"
    )
    expect(page.get_by_test_id("undo")).to_be_disabled()
    expect(page.get_by_test_id("redo")).to_be_disabled()


def test_a_video_file_uploads_as_it_is_and_a_video_without_a_frame_rate_says_what_it_plays_at(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid = server.create_project("Video files", ["person"], item_kind="video")["id"]
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    # The import dialog of a video project offers video files, and the server imports one as it is.
    dialog, picker = vp.open_upload(page, pid)
    accept = set(picker.get_attribute("accept").split(","))
    assert {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".zip", ".json"} <= accept, accept
    expect(dialog.locator("#import-file-hint")).to_contain_text("or a video file (.mp4, .mov, .avi, .mkv, .webm, .m4v)")
    picker.set_input_files(str(vp.write_mp4(tmp_path / "street.mp4", frames=20, fps=10.0)))
    dialog.get_by_label("Format").select_option("video")
    shots(page, "video-file-chosen")
    vp.run_import(dialog)
    [item] = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    assert (item["kind"], item["name"], item["frame_count"], item["fps"]) == ("video", "street.mp4", 20, 10.0), item

    # A MOT sequence without seqinfo.ini has no frame rate: the editor says what it plays at, and times at that rate.
    iid = vp.import_mot_without_fps(server, pid, "crossing-mot")
    vp.open_item(page, pid, iid)
    expect(page.get_by_test_id("video-editor")).to_contain_text("40 frames · fps unknown (plays at 25)")
    time = page.get_by_test_id("frame-time")
    expect(time).to_have_text("0:00.00 / 0:01.60 (25 fps assumed)")
    expect(time).to_have_attribute("data-assumed", "true")
    page.keyboard.press("End")
    expect(time).to_have_text("0:01.56 / 0:01.60 (25 fps assumed)")
    shots(page, "fps-unknown")
