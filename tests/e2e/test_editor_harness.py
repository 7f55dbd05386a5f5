"""The image editor in its stand-alone harness (web/editor-harness.html): generated data and an in-memory server
that keeps versions like the real one, so these tests need no labelhub server.

They drive the editor with the real mouse and keyboard through Playwright and read the result from
``window.__editor`` (the list a save would send) and ``window.__harness.server`` (what was "saved").
Screenshots go to ``test-artifacts/e2e/<test>/``. The harness is built with ``npm run build:harness`` when it
is missing or older than its sources; without Node and ``web/node_modules`` the tests are skipped.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.conftest import REPO

WEB = REPO / "web"
HARNESS = WEB / "dist-harness"
VIEWPORT = {"width": 1440, "height": 900}


def _newest_source() -> float:
    files = [WEB / "editor-harness.html", WEB / "vite.config.ts", WEB / "src" / "app.css"]
    # The editor imports modules from all over web/src/lib (plural.ts, the API types, ...): any of them counts.
    files += [
        *(WEB / "src" / "lib").rglob("*"),
        *(WEB / "src" / "styles").rglob("*"),
        WEB / "src" / "editor-harness.ts",
    ]
    return max(f.stat().st_mtime for f in files if f.is_file())


def _build_harness() -> Path:
    page = HARNESS / "editor-harness.html"
    if page.is_file() and page.stat().st_mtime >= _newest_source():
        return HARNESS
    if shutil.which("npm") is None or not (WEB / "node_modules").is_dir():
        pytest.skip("the editor harness is not built and cannot be (needs npm and web/node_modules: `make web`)")
    # One build at a time: xdist workers share the output folder.
    with (WEB / "node_modules" / ".editor-harness.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if page.is_file() and page.stat().st_mtime >= _newest_source():
            return HARNESS
        out = subprocess.run(["npm", "run", "build:harness"], cwd=WEB, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"npm run build:harness failed:\n{out.stdout}\n{out.stderr}"
    return HARNESS


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def harness_url() -> Iterator[str]:
    root = _build_harness()
    handler = functools.partial(_Quiet, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/editor-harness.html"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def tab(browser: Any, shots: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    p = context.new_page()
    p.on("pageerror", lambda exc: shots.errors.append(f"page error: {exc}"))
    p.on("console", lambda m: shots.errors.append(f"console error: {m.text}") if m.type == "error" else None)
    yield p
    context.close()
    assert not shots.errors, "the page threw errors:\n" + "\n".join(shots.errors)


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.__editor && window.__editor.view.img.state === 'ready'")
    page.wait_for_timeout(100)


def _screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Image pixels to page (client) coordinates, through the editor's current view."""
    pt: dict[str, float] = page.evaluate(
        """([x, y]) => { const v = window.__editor.view.view;
           const r = document.querySelector('[data-testid="editor-canvas"]').getBoundingClientRect();
           return { x: r.left + x * v.scale + v.tx, y: r.top + y * v.scale + v.ty }; }""",
        [x, y],
    )
    return pt["x"], pt["y"]


def _drag(page: Any, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*_screen(page, *a))
    page.mouse.down()
    page.mouse.move(*_screen(page, *b), steps=8)
    page.mouse.up()


def _boxes(page: Any) -> list[dict[str, Any]]:
    return [a for a in page.evaluate("window.__editor.annotations()") if a["kind"] == "box"]


def _close(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(abs(g - w) <= 1.0 for g, w in zip(got, want, strict=True))


def test_draw_resize_undo_redo_and_autosave(tab: Any, harness_url: str, shots: Any) -> None:
    page = tab
    _open(page, harness_url + "?boxes=0&autosave=300&delay=20")
    shots(page, "empty")
    assert _boxes(page) == []

    page.keyboard.press("b")
    page.keyboard.press("2")  # the label "person"
    _drag(page, (400, 300), (700, 500))
    shots(page, "box-drawn")
    [box] = _boxes(page)
    assert box["label"] == "person" and box["source"] == "human" and box["state"] == "accepted"
    assert _close(box["geometry"]["bbox"], [400, 300, 700, 500]), box

    _drag(page, (700, 500), (820, 560))  # the bottom-right handle of the selected box
    shots(page, "box-resized")
    [box] = _boxes(page)
    assert _close(box["geometry"]["bbox"], [400, 300, 820, 560]), box

    page.keyboard.press("Control+z")
    shots(page, "undone")
    [box] = _boxes(page)
    assert _close(box["geometry"]["bbox"], [400, 300, 700, 500]), box

    page.keyboard.press("Control+Shift+z")
    shots(page, "redone")
    [box] = _boxes(page)
    assert _close(box["geometry"]["bbox"], [400, 300, 820, 560]), box

    page.wait_for_function("window.__editor.state().saveStatus === 'saved' && window.__harness.server.saves > 0")
    stored = page.evaluate("window.__harness.server.annotations")
    assert len(stored) == 1 and _close(stored[0]["geometry"]["bbox"], [400, 300, 820, 560]), stored
    [box] = _boxes(page)
    assert box["id"] == stored[0]["id"], "the editor did not adopt the id the save returned"
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    shots(page, "saved")

    page.keyboard.press("?")
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    expect(page.get_by_text("Accept the selected proposal")).to_be_visible()
    shots(page, "help")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_have_count(0)


def test_proposals_and_conflict(tab: Any, harness_url: str, shots: Any) -> None:
    page = tab
    _open(page, harness_url + "?boxes=300&autosave=300&delay=20")
    page.keyboard.press("]")  # the highest-scoring proposal
    first = page.evaluate("window.__editor.state().selected")
    shots(page, "proposal-selected")
    page.keyboard.press("a")
    after = page.evaluate(f"window.__editor.core.get({first!r})")
    assert after["state"] == "accepted" and after["source"] == "model" and after["score"] is not None
    second = page.evaluate("window.__editor.state().selected")
    assert second != first, "accepting did not move on to the next proposal"
    page.keyboard.press("x")
    assert page.evaluate(f"window.__editor.core.get({second!r}).state") == "rejected"
    page.wait_for_function("window.__editor.state().saveStatus === 'saved' && window.__harness.server.saves > 0")
    states = {a["id"]: a["state"] for a in page.evaluate("window.__harness.server.annotations")}
    assert sorted(states.values()).count("accepted") >= 1 and "rejected" in states.values()

    # Someone else saves this item; our next save gets a 409 and the work stays.
    page.evaluate("window.__harness.server.externalEdit()")
    page.keyboard.press("Tab")
    page.keyboard.press("Delete")
    count = len(page.evaluate("window.__editor.annotations()"))
    page.get_by_role("alertdialog", name="Someone else changed this item").wait_for()
    page.get_by_test_id("their-changes").filter(has_text="1 added").wait_for()
    expect(page.get_by_test_id("your-changes")).to_have_text("1 removed")
    shots(page, "conflict")
    assert len(page.evaluate("window.__editor.annotations()")) == count

    page.get_by_role("button", name="Keep mine (save over theirs)").click()
    page.wait_for_function("window.__editor.state().saveStatus === 'saved' && !window.__editor.state().conflict")
    assert len(page.evaluate("window.__harness.server.annotations")) == count
    shots(page, "conflict-resolved")
