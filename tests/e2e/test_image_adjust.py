"""Image adjustments (brightness, contrast, saturation) in the image and video editors: "Adjust" in the toolbar
opens three sliders; raising the brightness to 150 % brightens the picture on the canvas but not the shapes
drawn over it (a selected shape's outline keeps its colour), the setting stays after a reload (it is kept in the
browser), nothing is sent to the server, and Reset brings the picture back as it was. In the video editor the
frames keep the adjustment when the playhead moves.

Pixels are read back from the editors' canvases (``getImageData``) at image points mapped to the page through
the fitted view, as the other editor tests do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e import _video_page as vp
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    eventually,
    image_to_screen,
    import_images,
    login,
    wait_for_editor,
)

SIZE = (800, 600)
SKY = (60.0, 60.0)  # image pixel of the generated scene's flat sky, clear of any shape
BOX = [200, 150, 500, 400]
RGB = tuple[int, int, int]


def _hex_rgb(css: str) -> RGB:
    h = css.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _brighter(before: RGB, factor: float = 1.5, tol: int = 4) -> Any:
    """A check that a pixel is ``before`` times ``factor`` (each channel, clipped at 255), within ``tol``."""
    want = tuple(min(255, round(c * factor)) for c in before)

    def check(got: RGB) -> None:
        assert all(abs(g - w) <= tol for g, w in zip(got, want, strict=True)), f"{got} is not {want} (from {before})"

    return check


def _outline_point(page: Any, canvas: str, x: float, y: float, color: RGB) -> tuple[float, float]:
    """The page point within 3 px left or right of (x, y) drawn in exactly the shape's colour: the middle of an
    outline at least 2 px wide (a selected shape's), which is wholly covered by it."""
    for dx in (0, -1, 1, -2, 2, -3, 3):
        if vp.canvas_rgb(page, canvas, x + dx, y) == color:
            return x + dx, y
    raise AssertionError(f"no pixel of colour {color} near ({x}, {y})")


def _set_brightness(page: Any, value: int) -> None:
    """Open "Adjust" (focus goes to its first slider) and set the brightness."""
    page.get_by_test_id("adjust-button").click()
    popover = page.get_by_test_id("adjust-popover")
    expect(popover).to_be_visible()
    slider = popover.get_by_label("Brightness", exact=True)
    expect(slider).to_be_focused()
    slider.fill(str(value))
    expect(popover.get_by_test_id("adjust-brightness-value")).to_have_text(f"{value} %")


def _close_with_escape(page: Any) -> None:
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("adjust-popover")).to_be_hidden()
    expect(page.get_by_test_id("adjust-button")).to_be_focused()


def _reset(page: Any) -> None:
    page.get_by_test_id("adjust-button").click()
    page.get_by_test_id("adjust-reset").click()
    expect(page.get_by_test_id("adjust-brightness-value")).to_have_text("100 %")
    assert page.evaluate("() => localStorage.getItem('labelhub.imageAdjust')") is None
    _close_with_escape(page)


def _writes(page: Any) -> list[str]:
    """Every request the page makes from now on that is not a GET (what would send the setting anywhere)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {r.url}") if r.method != "GET" else None)
    return seen


def test_brightness_changes_the_image_not_the_shapes_and_is_kept_per_browser(
    page: Any, server: Server, shots: Shots
) -> None:
    pid = server.create_project("Image adjust", ["car"])["id"]
    [iid] = import_images(server, pid, "adjust-image", 1, SIZE)
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    version = server.api.get(url).raise_for_status().json()["version"]
    box = {"kind": "box", "label": "car", "geometry": {"bbox": BOX}, "source": "human", "state": "accepted"}
    server.api.put(url, json={"version": version, "annotations": [box]}).raise_for_status()

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    page.keyboard.press("Tab")  # select the box: its outline is drawn 2 px wide
    page.wait_for_function("() => window.__editor.state().selected !== null")
    page.mouse.move(0, 0)  # off the canvas: no hover outline
    color = _hex_rgb(page.evaluate("() => window.__editor.core.colorOf('car')"))
    sky_at = image_to_screen(page, SIZE, *SKY)
    edge_at = _outline_point(page, "editor-canvas", *image_to_screen(page, SIZE, BOX[0], 225), color)
    sky = vp.canvas_rgb(page, "editor-canvas", *sky_at)
    assert max(sky) < 200, sky  # room to get brighter
    writes = _writes(page)
    shots(page, "before")

    # Brightness 150 %: the sky is 1.5 times as bright, the box's outline keeps its colour.
    _set_brightness(page, 150)
    check = _brighter(sky)
    eventually(lambda: check(vp.canvas_rgb(page, "editor-canvas", *sky_at)), timeout=5)
    assert vp.canvas_rgb(page, "editor-canvas", *edge_at) == color
    expect(page.get_by_test_id("adjust-button")).to_contain_class("on")
    shots(page, "brightness-150")
    # Esc closes the popover and gives focus back to its button; the editor's own Esc (clear the selection) did not run.
    _close_with_escape(page)
    assert page.evaluate("() => window.__editor.state().selected") is not None

    # Kept in this browser: after a reload the image is drawn brighter at once and the slider says 150 %.
    page.reload()
    wait_for_editor(page, SIZE)
    page.mouse.move(0, 0)
    check(vp.canvas_rgb(page, "editor-canvas", *sky_at))
    page.get_by_test_id("adjust-button").click()
    expect(page.get_by_test_id("adjust-brightness-value")).to_have_text("150 %")
    _close_with_escape(page)
    shots(page, "reloaded")

    # Reset: the picture as it was, and the setting forgotten.
    _reset(page)
    eventually(lambda: _brighter(sky, 1.0, 1)(vp.canvas_rgb(page, "editor-canvas", *sky_at)), timeout=5)
    shots(page, "reset")
    assert writes == [], f"the adjustments reached the server: {writes}"


def test_brightness_changes_video_frames_not_the_boxes_while_scrubbing(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid = server.create_project("Video adjust", ["person"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    track = vp.add_track(server, pid, iid)
    frames = data_path("tracking_otb_crossing", "img")

    def source(frame: int) -> RGB:
        """The frame's pixel at (60, 200) as the file has it (the road, clear of the pedestrian's box)."""
        with Image.open(frames / f"{frame + 1:04d}.jpg") as im:
            px = im.convert("RGB").getpixel((60, 200))
        assert isinstance(px, tuple), px
        return int(px[0]), int(px[1]), int(px[2])

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    vp.open_item(page, pid, iid)
    x1, y1, x2, y2 = track["boxes"][0]
    page.mouse.click(*vp.to_screen(page, (x1 + x2) / 2, (y1 + y2) / 2))  # select the track: a 3 px outline
    page.wait_for_function("(id) => window.__videoEditor.state().selected === id", arg=track["track_id"])
    page.mouse.move(0, 0)
    color = vp.track_rgb(page, track["track_id"])
    road_at = vp.to_screen(page, 60, 200)
    edge_at = _outline_point(page, "video-canvas", *vp.to_screen(page, x1, y1 + (y2 - y1) * 0.3), color)
    road = vp.canvas_rgb(page, "video-canvas", *road_at)
    _brighter(source(0), 1.0, 3)(road)  # the canvas shows the frame as it is
    writes = _writes(page)

    _set_brightness(page, 150)
    eventually(lambda: _brighter(road)(vp.canvas_rgb(page, "video-canvas", *road_at)), timeout=5)
    assert vp.canvas_rgb(page, "video-canvas", *edge_at) == color
    shots(page, "brightness-150")
    _close_with_escape(page)
    assert vp.state(page)["selected"] == track["track_id"]

    # Scrub 10 frames on (V): the new frame is drawn brighter too.
    page.locator('[data-testid="video-canvas"]').focus()
    page.keyboard.press("v")
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 10 / 39")
    page.wait_for_function("() => window.__videoEditor.state().frameShown")
    eventually(lambda: _brighter(source(10), 1.5, 5)(vp.canvas_rgb(page, "video-canvas", *road_at)), timeout=5)
    shots(page, "frame-10")

    # Kept after a reload (the editor opens on frame 0 again); Reset gives the frame back as it was.
    page.reload()
    vp.open_item(page, pid, iid)
    page.mouse.move(0, 0)
    eventually(lambda: _brighter(road)(vp.canvas_rgb(page, "video-canvas", *road_at)), timeout=5)
    _reset(page)
    eventually(lambda: _brighter(road, 1.0, 1)(vp.canvas_rgb(page, "video-canvas", *road_at)), timeout=5)
    shots(page, "reset")
    assert writes == [], f"the adjustments reached the server: {writes}"
