"""The video editor page as the browser tests drive it: the OTB Crossing clip imported as a video (or as a MOT
sequence without a frame rate), frame pixels mapped to the page through the stage's fitted view, canvas colours
read back, timeline points, tracks over the API; an MP4 for the import dialog; where a toast lands."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, eventually, image_to_screen, login

FRAMES = 40
SIZE = (360, 240)


def truth() -> list[list[float]]:
    """OTB's ground truth of the first frames as 0-based ``[x1, y1, x2, y2]`` (the file is 1-based x, y, w, h)."""
    out = []
    for line in (data_path("tracking_otb_crossing") / "groundtruth_rect.txt").read_text().splitlines()[:FRAMES]:
        x, y, w, h = (float(v) for v in line.replace(",", " ").split())
        out.append([x - 1, y - 1, x - 1 + w, y - 1 + h])
    return out


def import_clip(server: Server, pid: int, tmp_path: Path) -> int:
    """Copy the first 40 frames into ``tmp_path``, upload them as a zip with format ``video``; return the item id."""
    src = data_path("tracking_otb_crossing", "img")
    folder = tmp_path / "crossing"
    folder.mkdir()
    for i in range(1, FRAMES + 1):
        shutil.copy(src / f"{i:04d}.jpg", folder / f"{i:04d}.jpg")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    r = server.api.post(
        f"{API}/projects/{pid}/uploads",
        files={"file": ("crossing.zip", buf.getvalue(), "application/zip")},
        data={"format": "video"},
    )
    assert r.status_code == 202, r.text
    job = server.wait_for_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    [item] = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    assert item["kind"] == "video" and item["frame_count"] == FRAMES, item
    assert (item["width"], item["height"]) == SIZE, item
    iid: int = item["id"]
    return iid


def tracks(client: httpx.Client, pid: int, iid: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{API}/projects/{pid}/items/{iid}/tracks").raise_for_status().json()
    return body


def to_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Frame pixels to page coordinates for the stage's fitted view."""
    return image_to_screen(page, SIZE, x, y, canvas="video-canvas")


def scale(page: Any) -> float:
    a, b = to_screen(page, 0, 0), to_screen(page, 100, 0)
    return (b[0] - a[0]) / 100


def pointer(page: Any) -> tuple[int, int]:
    text = page.locator("footer.video-status .mono").first.inner_text()
    x, y = (int(v) for v in text.split(","))
    return x, y


def open_item(page: Any, pid: int, iid: int) -> None:
    """Open the item, wait for the first frame on the stage, and check the page-to-frame mapping."""
    page.goto(f"/#/projects/{pid}/items/{iid}")
    page.get_by_test_id("video-editor").wait_for()
    page.wait_for_function("() => window.__videoEditor?.state().frameShown && window.__videoEditor.session.loaded")
    for x, y in ((36.0, 24.0), (324.0, 192.0)):

        def points_at(x: float = x, y: float = y) -> None:
            # The readout follows the pointer on the next frame drawn, and the stage may still settle its fitted
            # view on a loaded machine: move again and read until they agree.
            page.mouse.move(*to_screen(page, x, y))
            got = pointer(page)
            assert abs(got[0] - x) <= 1.5 and abs(got[1] - y) <= 1.5, f"pointer at frame ({x}, {y}) reads {got}"

        eventually(points_at, timeout=5.0)


def state(page: Any) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate("() => window.__videoEditor.state()")
    return state


def canvas_rgb(page: Any, testid: str, x: float, y: float) -> tuple[int, int, int]:
    """The colour of a canvas at page point (x, y)."""
    rgb: list[int] = page.evaluate(
        """([id, x, y]) => {
             const c = document.querySelector(`[data-testid="${id}"]`);
             const r = c.getBoundingClientRect();
             const k = c.width / r.width;
             const px = [Math.floor((x - r.left) * k), Math.floor((y - r.top) * k)];
             const d = c.getContext('2d').getImageData(px[0], px[1], 1, 1).data;
             return [d[0], d[1], d[2]];
           }""",
        [testid, x, y],
    )
    return rgb[0], rgb[1], rgb[2]


def track_rgb(page: Any, track_id: int) -> tuple[int, int, int]:
    """The track's colour as the panel shows it (its swatch)."""
    css: str = page.evaluate(
        """(id) => getComputedStyle(document.querySelector(`[data-testid="track-row"][data-track-id="${id}"]`))
                     .getPropertyValue('--c').trim()""",
        track_id,
    )
    m = re.fullmatch(r"#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", css)
    assert m, css
    return int(m[1], 16), int(m[2], 16), int(m[3], 16)


def near(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a, b, strict=True))


def box_edge_drawn(page: Any, box: list[float], color: tuple[int, int, int]) -> bool:
    """Whether the stage shows the track's colour along the top edge of ``box`` (frame pixels)."""
    x1, y1, x2, _ = box
    for t in (0.3, 0.5, 0.7):
        sx, sy = to_screen(page, x1 + (x2 - x1) * t, y1)
        if any(near(canvas_rgb(page, "video-canvas", sx, sy + d), color) for d in (-1, 0, 1)):
            return True
    return False


def lane_point(page: Any, frame: int, lane: int = 0) -> tuple[float, float]:
    """The page point of ``frame`` on the timeline lane ``lane`` (the playhead's arithmetic: 148 px of names)."""
    pt: dict[str, float] = page.evaluate(
        """([f, lane, n]) => {
             const c = document.querySelector('[data-testid="timeline-lanes"]').getBoundingClientRect();
             const w = c.width - 148 - 14;
             return { x: c.left + 148 + (f + 0.5) * w / n, y: c.top + lane * 24 + 12 };
           }""",
        [frame, lane, FRAMES],
    )
    return pt["x"], pt["y"]


def ruler_point(page: Any, frame: int) -> tuple[float, float]:
    x, _ = lane_point(page, frame)
    r = page.get_by_test_id("timeline-ruler").bounding_box()
    return x, r["y"] + r["height"] / 2


def wait_propagated(page: Any, server: Server, pid: int, iid: int) -> dict[str, Any]:
    """Wait until no track propagates, in the page and on the server, and return the server's tracks."""
    page.wait_for_function("() => window.__videoEditor.state().propagating === 0", timeout=90_000)

    def done() -> dict[str, Any]:
        body = tracks(server.api, pid, iid)
        for t in body["tracks"]:
            assert t["job"] and t["job"]["status"] == "succeeded", t["job"]
            assert "-" not in t["states"], t["states"]
        return body

    return eventually(done, timeout=30)


def synced(page: Any, server: Server, pid: int, iid: int, ok: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Wait until the server's first track passes ``ok`` (the change arrived), its propagation has finished, and
    the page shows the track as the server has it; return that track."""
    eventually(lambda: ok(tracks(server.api, pid, iid)["tracks"][0]) or fail("the change did not reach the server"))
    t: dict[str, Any] = wait_propagated(page, server, pid, iid)["tracks"][0]
    assert ok(t), (t["keyframes"], t["states"])
    page.wait_for_function(
        "(s) => window.__videoEditor.session.tracks[0]?.states === s && !window.__videoEditor.state().propagating",
        arg=t["states"],
    )
    return t


def fail(message: str) -> bool:
    raise AssertionError(message)


def add_track(server: Server, pid: int, iid: int, label: str = "person") -> dict[str, Any]:
    """Make a track over the API from the pedestrian's true box on frame 0, interpolated (quick, and with frames to
    suggest: the confidence falls away from the keyframe); wait for its job and return the track."""
    version = tracks(server.api, pid, iid)["version"]
    body = {"version": version, "label": label, "frame": 0, "box": truth()[0], "method": "interpolate"}
    r = server.api.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body)
    assert r.status_code == 201, r.text
    assert server.wait_for_job(r.json()["job"]["id"])["status"] == "succeeded"
    track: dict[str, Any] = tracks(server.api, pid, iid)["tracks"][-1]
    assert track["suggested"], track
    return track


def open_with_a_track(page: Any, server: Server, tmp_path: Path, name: str) -> tuple[int, int, int]:
    """A video project ``name`` (person, car) with the clip and one track (:func:`add_track`), open in the editor
    for the administrator; return the project, item and track ids."""
    pid: int = server.create_project(name, ["person", "car"], item_kind="video")["id"]
    iid = import_clip(server, pid, tmp_path)
    tid: int = add_track(server, pid, iid)["track_id"]
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    open_item(page, pid, iid)
    return pid, iid, tid


def import_mot_without_fps(server: Server, pid: int, name: str) -> int:
    """The clip's frames as a MOT sequence without ``seqinfo.ini`` (so without a frame rate), imported from a folder
    in the server's home; return the item id."""
    src = data_path("tracking_otb_crossing", "img")
    seq = server.files / name
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    (seq / "gt" / "gt.txt").write_text("")
    for i in range(1, FRAMES + 1):
        shutil.copy(src / f"{i:04d}.jpg", seq / "img1" / f"{i:06d}.jpg")
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(seq), "format": "mot"})
    assert r.status_code == 202, r.text
    job = server.wait_for_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    items = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    [item] = [it for it in items if it["name"] == name]
    assert item["fps"] is None and item["frame_count"] == FRAMES, item
    iid: int = item["id"]
    return iid


def write_mp4(path: Path, frames: int, fps: float, size: tuple[int, int] = (64, 48)) -> Path:
    """An MPEG-4 file whose frame i is a flat grey of level 5 * i."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 5 * i, np.uint8))
    writer.release()
    return path


def open_upload(page: Any, pid: int) -> tuple[Any, Any]:
    """Open the project's import dialog on its "Upload a file" tab; return the dialog and its file picker."""
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("import-button").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_role("tab", name="Upload a file").click()
    return dialog, dialog.get_by_label("File", exact=True)


def run_import(dialog: Any) -> None:
    """Start the import the dialog is set up for, wait until it has succeeded, and close the dialog."""
    dialog.get_by_test_id("start-import").click()
    expect(dialog.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    dialog.get_by_test_id("import-close").click()


def key_then_button(page: Any, key: str, button: Any, start: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The editor's state after ``key``, then after a click on ``button`` instead, each from frame ``start`` with no
    track selected."""
    after = []
    for act in (lambda: page.keyboard.press(key), button.click):
        page.keyboard.press("Escape")
        page.evaluate("(f) => window.__videoEditor.session.seek(f)", start)
        assert state(page)["selected"] is None
        act()
        after.append(state(page))
    return after[0], after[1]


def refuse_propagation(page: Any, detail: str) -> None:
    """Answer the page's propagation requests with a 500 problem+json saying ``detail``."""
    body = json.dumps({"title": "Internal Server Error", "status": 500, "detail": detail})
    page.route(
        "**/propagate", lambda route: route.fulfill(status=500, content_type="application/problem+json", body=body)
    )


# What a toast in the video editor must leave free: the timeline (with its controls) and the track panel.
_KEEP_CLEAR = ['[data-testid="timeline"]', '[data-testid="top-suggestion"]', 'aside[aria-label="Classes and tracks"]']


def toast_covers(page: Any, toast: Any) -> list[str]:
    """What of the editor's timeline and track panel the ``toast`` (a locator) covers, and "outside the stage"
    when it is not over the frame."""
    found: list[str] = page.evaluate(
        """([el, sels]) => {
             const a = el.getBoundingClientRect();
             const hit = (b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
             const covered = (s) => [...document.querySelectorAll(s)].some((e) => hit(e.getBoundingClientRect()));
             const out = sels.filter(covered);
             const st = document.querySelector('.video-stage').getBoundingClientRect();
             const inside = a.left >= st.left && a.right <= st.right && a.top >= st.top && a.bottom <= st.bottom;
             return inside ? out : [...out, 'outside the stage'];
           }""",
        [toast.element_handle(), _KEEP_CLEAR],
    )
    return found
