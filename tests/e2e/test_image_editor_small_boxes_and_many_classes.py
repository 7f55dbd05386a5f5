"""The image editor on a real server, for what a QA pass found: a "Box → polygon" drag of 1-2 px says it is too
small (as a 3 px one did, from the server), and on a project of 80 classes the model proposals section (threshold,
"Accept N at or above S", "Show rejected") is in view without scrolling past the label list, at 1280x720 and
1920x1080."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, drag_in_image, import_images, login, wait_for_editor

SIZE = (800, 600)
TOO_SMALL = re.compile(r"box is [0-9.]+ x [0-9.]+ px; draw one at least 4 px on each side")


def test_a_tiny_box_to_polygon_drag_says_it_is_too_small(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("tiny-grabcut-e2e", ["car", "person"])["id"]
    [iid] = import_images(server, pid, "tiny-grabcut-e2e", 1, SIZE)
    _, password = add_member(server, pid, "tiny-annotator", "annotator")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/grabcut") else None)
    login(page, "tiny-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    page.keyboard.press("s")
    expect(page.locator('[data-tool="grabcut"]')).to_have_attribute("aria-checked", "true")

    editor = page.get_by_test_id("editor")
    for d in (1, 2):
        drag_in_image(page, SIZE, (300, 200), (300 + d, 200 + d))
        toast = page.get_by_test_id("toast-error").last
        expect(toast).to_contain_text("Box → polygon failed")
        expect(toast).to_contain_text(TOO_SMALL)
        expect(toast).to_contain_text("Field: box")
        # The editor's own notice says it too.
        expect(editor.get_by_role("status").filter(has_text=TOO_SMALL)).to_be_visible()
        shots(page, f"drag-{d}px-refused")
        toast.get_by_role("button").first.click()
    assert asked == [], "a box too small to segment is refused in the page"
    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    assert anns["annotations"] == [], anns


def _many_classes_with_proposals(server: Server) -> tuple[int, int]:
    labels = [f"class_{i:02d}" for i in range(80)]
    pid = server.create_project("eighty-classes-e2e", labels)["id"]
    [iid] = import_images(server, pid, "eighty-classes-e2e", 1, SIZE)
    proposals = [("class_00", [150.0, 120.0, 330.0, 260.0], 0.91), ("class_41", [420.0, 260.0, 640.0, 430.0], 0.47)]
    body = {
        "version": server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["version"],
        "annotations": [
            {"kind": "box", "label": label, "geometry": {"bbox": bbox}, "source": "model", "model_version": "det-v1",
             "score": score, "state": "proposed"}
            for label, bbox, score in proposals
        ],
    }  # fmt: skip
    r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body)
    assert r.status_code == 200, r.text
    return pid, iid


def _in_view(page: Any, locator: Any) -> None:
    """The element is entirely inside the window (nothing to scroll to reach it)."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (box, size)


def test_the_proposals_section_is_in_view_with_eighty_classes(page: Any, server: Server, shots: Shots) -> None:
    pid, iid = _many_classes_with_proposals(server)
    _, password = add_member(server, pid, "eighty-reviewer", "reviewer")
    login(page, "eighty-reviewer", password)
    for width, height in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/#/projects/{pid}")
        page.goto(f"/#/projects/{pid}/items/{iid}")
        wait_for_editor(page, SIZE)
        panel = page.get_by_role("complementary", name="Labels and properties")
        section = panel.locator("section").filter(has=page.get_by_role("heading", name="Model proposals"))
        labels = panel.get_by_role("listbox", name="Label for new shapes")
        # Above the label list, and every control of it in the window.
        assert section.bounding_box()["y"] < labels.bounding_box()["y"]
        for control in (
            section.get_by_role("slider", name="Score threshold"),
            section.get_by_role("button", name=re.compile(r"Accept \d+ at or above")),
            section.get_by_label("Show rejected"),
        ):
            _in_view(page, control)
        # The 80 labels scroll in their own box, so the selection after them is in reach too.
        assert labels.bounding_box()["height"] <= 0.42 * height
        assert labels.evaluate("e => e.scrollHeight > e.clientHeight")
        panel.get_by_role("option", name=re.compile("class_79")).scroll_into_view_if_needed()
        page.keyboard.press("Escape")
        page.keyboard.press("]")  # the best open proposal
        expect(panel).to_contain_text("0.910")
        shots(page, f"eighty-classes-{width}x{height}")
        if height >= 1080:
            _in_view(page, panel.get_by_role("button", name=re.compile(r"^Accept A$")))

    # The controls work from there: accept the one at or above 0.5.
    section.get_by_role("slider", name="Score threshold").fill("0.5")
    section.get_by_role("button", name="Accept 1 at or above 0.50").click()
    expect(section).to_contain_text("1 accepted")
