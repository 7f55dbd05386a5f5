"""The video editor page as the browser tests drive it: the OTB Crossing clip imported as a video, frame pixels
mapped to the page through the stage's fitted view, canvas colours read back, timeline points, tracks over the API."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import data_path
from tests.e2e.conftest import API, Server, eventually, image_to_screen

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
        page.mouse.move(*to_screen(page, x, y))
        got = pointer(page)
        assert abs(got[0] - x) <= 1.5 and abs(got[1] - y) <= 1.5, f"pointer at frame ({x}, {y}) reads {got}"


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
