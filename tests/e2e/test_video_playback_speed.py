"""The video editor's playback speed: the menu beside the play button (0.25x to 4x) and ``<`` / ``>`` (Shift+, and
Shift+.) change how fast the video plays, the status line says the speed when it is not 1x, and the speed is kept in
the browser (``labelhub.videoRate``) over a reload; a bad stored value plays at 1x. The clip is the first 40 frames of
``../shared/data/tracking_otb_crossing`` (``_video_page.py``), 30 fps.

The speeds are compared by the frames played over the same stretch of time, measured in the page (its clock, not
Playwright's round trips), with wide bounds: at 0.25x the video must play at under half its frame rate, at 4x at over
twice it, and 4x clearly further than 0.25x. Every frame is decoded first (one play-through), so that the times are
the player's and not the server's decoding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, Server, Shots, login

# Plays from frame 0 for `ms` milliseconds (by the play button), pauses, and answers [frame reached, ms elapsed].
_PLAY_FOR = """async (ms) => {
  const ed = window.__videoEditor;
  const play = document.querySelector('[data-testid="play"]');
  ed.session.seek(0);
  const t = performance.now();
  play.click();
  await new Promise((r) => setTimeout(r, ms));
  const frame = ed.state().frame;
  const elapsed = performance.now() - t;
  if (ed.state().playing) play.click();
  return [frame, elapsed];
}"""

INTERVAL_MS = 600
X = "\u00d7"  # the multiplication sign the speeds are written with ("4x")


def _advance(page: Any) -> tuple[int, float]:
    """Frames played from frame 0 over ``INTERVAL_MS``, and the seconds that really took."""
    frame, elapsed = page.evaluate(_PLAY_FOR, INTERVAL_MS)
    return int(frame), float(elapsed) / 1000


def _wait_played_to_end(page: Any) -> None:
    page.wait_for_function(
        f"() => !window.__videoEditor.state().playing && window.__videoEditor.state().frame === {vp.FRAMES - 1}"
    )


def _reload(page: Any) -> None:
    page.reload()
    page.get_by_test_id("video-editor").wait_for()
    page.wait_for_function("() => window.__videoEditor?.state().frameShown && window.__videoEditor.session.loaded")


def test_the_video_plays_slower_and_faster_and_the_speed_is_kept(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid = server.create_project("Video speed", ["person"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    vp.open_item(page, pid, iid)
    fps = page.evaluate("() => window.__videoEditor.session.fps")
    assert fps == 30, fps
    last = vp.FRAMES - 1

    speed = page.get_by_label("Playback speed")
    status = page.get_by_test_id("status-rate")
    expect(speed).to_have_value("1")
    title = f"Playback speed: 1{X} of the video\u2019s frame rate (< slower, > faster)"
    expect(speed).to_have_attribute("title", title)
    expect(speed.locator("option")).to_have_text([f"{r}{X}" for r in ("0.25", "0.5", "1", "1.5", "2", "4")])
    expect(status).to_have_count(0)

    # One play-through at 1x (by the button) decodes every frame.
    page.get_by_test_id("play").click()
    _wait_played_to_end(page)

    # 0.25x from the menu, chosen with the mouse: the status line says so, and the keyboard goes back to the editor
    # (Space plays rather than opening the menu again).
    speed.click()
    speed.select_option("0.25")
    expect(status).to_have_text(f"0.25{X}")
    expect(speed).not_to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_test_id("play")).to_have_attribute("data-playing", "true")
    expect(page.get_by_test_id("video-editor").locator(".video-status .mode")).to_have_text("Playing")
    shots(page, "playing-at-quarter-speed")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("play")).to_have_attribute("data-playing", "false")

    slow, slow_s = _advance(page)
    assert 1 <= slow <= fps * slow_s / 2, f"at 0.25x: {slow} frames in {slow_s:.2f} s (1x would be {fps * slow_s:.0f})"

    # `>` (Shift+.) five times: 0.5x, 1x, 1.5x, 2x, 4x; once more says 4x is the fastest.
    for _ in range(5):
        page.keyboard.press("Shift+Period")
    expect(speed).to_have_value("4")
    expect(status).to_have_text(f"4{X}")
    page.keyboard.press("Shift+Period")
    expect(page.locator(".video-toast")).to_have_text(f"4{X} is the fastest playback speed")
    expect(speed).to_have_value("4")

    fast, fast_s = _advance(page)
    at_1x = fps * fast_s
    assert fast >= min(last, 2 * at_1x), f"at 4x: {fast} frames in {fast_s:.2f} s (1x would be {at_1x:.0f})"
    assert fast >= 3 * slow, f"4x played {fast} frames where 0.25x played {slow} in the same time"

    # `<` (Shift+,) while playing: slower from where it is, and it keeps playing.
    page.evaluate("() => window.__videoEditor.session.seek(0)")
    page.keyboard.press("Shift+Comma")
    expect(speed).to_have_value("2")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("play")).to_have_attribute("data-playing", "true")
    page.keyboard.press("Shift+Comma")
    expect(speed).to_have_value("1.5")
    expect(page.locator(".video-toast")).to_have_text(f"Playback speed 1.5{X}")
    assert vp.state(page)["playing"]
    _wait_played_to_end(page)
    expect(status).to_have_text(f"1.5{X}")
    shots(page, "speed-one-and-a-half")

    # Kept in this browser over a reload.
    assert page.evaluate("() => localStorage.getItem('labelhub.videoRate')") == "1.5"
    _reload(page)
    expect(speed).to_have_value("1.5")
    expect(status).to_have_text(f"1.5{X}")

    # A stored value that is not an offered speed plays at 1x.
    page.evaluate("() => localStorage.setItem('labelhub.videoRate', '3')")
    _reload(page)
    expect(speed).to_have_value("1")
    expect(status).to_have_count(0)
