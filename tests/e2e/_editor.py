"""Helpers for browser tests of the image editor: image pixels to page coordinates in its fitted view, the
pointer readout, drawing and clicking in the image, and waiting for the save."""

from __future__ import annotations

import re
import time
from typing import Any

# The image editor on the item page. Its view starts fitted: the whole image centred in the canvas with a 16 px
# margin (web/src/lib/editor/viewport.ts fitView), so image pixels map to the page without reaching into the app;
# wait_for_editor checks that mapping against the editor's own pointer readout in its status line.
_FIT_MARGIN = 16


def image_to_screen(
    page: Any, size: tuple[int, int], x: float, y: float, canvas: str = "editor-canvas"
) -> tuple[float, float]:
    """Image pixels to page coordinates for the fitted view of an image of ``size`` on the ``canvas`` test id
    (the image editor's, or the video editor's ``video-canvas``: both fit with the same margin)."""
    pt: dict[str, float] = page.evaluate(
        """([w, h, x, y, m, c]) => {
             const r = document.querySelector(`[data-testid="${c}"]`).getBoundingClientRect();
             const s = Math.min((r.width - 2 * m) / w, (r.height - 2 * m) / h);
             return { x: r.left + (r.width - w * s) / 2 + x * s, y: r.top + (r.height - h * s) / 2 + y * s };
           }""",
        [*size, x, y, _FIT_MARGIN, canvas],
    )
    return pt["x"], pt["y"]


def pointer_readout(page: Any) -> tuple[int, int] | None:
    """The pointer position in image pixels as the editor's status line shows it; None while it shows none
    (the pointer is off the image)."""
    text = page.get_by_test_id("editor").locator("footer .mono").first.inner_text()
    found = re.fullmatch(r"\s*(-?\d+),\s*(-?\d+)\s*", text)
    return (int(found[1]), int(found[2])) if found else None


def wait_for_editor(page: Any, size: tuple[int, int]) -> None:
    """Wait until the editor shows its image, then check the page-to-image mapping with the pointer readout."""
    editor = page.get_by_test_id("editor")
    editor.wait_for()
    page.get_by_test_id("editor-canvas").wait_for()
    editor.get_by_text("Loading image…").wait_for(state="detached")
    w, h = size
    for x, y in ((w * 0.1, h * 0.1), (w * 0.9, h * 0.8)):
        # Until it holds: the header may still change height (a status read again), moving the editor under it.
        deadline = time.monotonic() + 5
        while True:
            page.mouse.move(*image_to_screen(page, size, x, y))
            got = pointer_readout(page)
            if got is not None and abs(got[0] - x) <= 1.5 and abs(got[1] - y) <= 1.5:
                break
            assert time.monotonic() < deadline, f"pointer at image ({x}, {y}) reads {got}"
            page.wait_for_timeout(100)


def drag_in_image(page: Any, size: tuple[int, int], a: tuple[float, float], b: tuple[float, float]) -> None:
    """Press the mouse at image point ``a``, move to ``b`` in steps as a hand would, and release."""
    page.mouse.move(*image_to_screen(page, size, *a))
    page.mouse.down()
    page.mouse.move(*image_to_screen(page, size, *b), steps=8)
    page.mouse.up()


def click_in_image(page: Any, size: tuple[int, int], x: float, y: float, modifiers: tuple[str, ...] = ()) -> None:
    """Press and release the mouse at image point (x, y), holding ``modifiers`` (e.g. ``("Shift",)``)."""
    page.mouse.move(*image_to_screen(page, size, x, y))
    for m in modifiers:
        page.keyboard.down(m)
    page.mouse.down()
    page.mouse.up()
    for m in reversed(modifiers):
        page.keyboard.up(m)


def editor_saved(page: Any) -> None:
    """Wait for the image or text editor to say that everything is saved."""
    from playwright.sync_api import expect  # imported here, as the browser fixtures do: playwright may be absent

    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")


def close_to(got: list[float], want: list[float], tol: float = 2.0) -> bool:
    return len(got) == len(want) and all(abs(g - w) <= tol for g, w in zip(got, want, strict=True))
