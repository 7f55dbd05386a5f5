"""Several shapes at once in the image editor, on a real server: Shift+click picks two of three boxes and a label
key relabels both (one undo brings both back); an attribute set in the panel goes on both; the rubber band
(Shift+drag on empty canvas) takes the two boxes inside it and not the one outside; Delete removes both ("2 shapes
deleted"); Ctrl+A takes every visible shape and Esc clears. Everything is autosaved, and the server's copy and a
reload agree.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    annotations_left_to_right,
    click_in_image,
    drag_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    import_images,
    open_item_as,
    wait_for_editor,
)

SIZE = (800, 600)
# Three boxes: A and B side by side at the top, C at the bottom right.
BOXES = {"A": ((60, 60), (200, 200)), "B": ((300, 60), (440, 200)), "C": ((560, 340), (720, 520))}


def _server_has(server: Server, pid: int, iid: int, want: list[tuple[str, dict[str, Any]]]) -> None:
    """The server holds boxes with these (label, attributes), left to right; an AssertionError until it does."""
    got = [(a["label"], a["attributes"]) for a in annotations_left_to_right(server, pid, iid)]
    assert got == want, got


def _labels(page: Any) -> list[str]:
    """The editor's boxes' labels, left to right."""
    anns = page.evaluate("() => window.__editor.annotations()")
    return [a["label"] for a in sorted(anns, key=lambda a: a["geometry"]["bbox"][0])]


def _click(page: Any, name: str, modifiers: list[str] | None = None) -> None:
    (x1, y1), (x2, y2) = BOXES[name]
    click_in_image(page, SIZE, (x1 + x2) / 2, (y1 + y2) / 2, tuple(modifiers or ()))


def test_select_several_relabel_set_an_attribute_band_delete_and_reload(
    page: Any, server: Server, shots: Shots
) -> None:
    attributes = [{"name": "occluded", "type": "bool", "default": False}]
    body = {"name": "Several at once", "labels": [{"name": "car"}, {"name": "person"}], "attributes": attributes}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    [iid] = import_images(server, pid, "editor-multiselect", 1, SIZE)
    open_item_as(page, server, pid, iid, "multi-annotator", SIZE)

    # Three car boxes.
    page.keyboard.press("b")
    page.keyboard.press("1")
    for a, b in BOXES.values():
        drag_in_image(page, SIZE, a, b)
    page.keyboard.press("v")
    editor_saved(page)
    car = {"occluded": False}
    eventually(lambda: _server_has(server, pid, iid, [("car", car)] * 3))

    status = page.get_by_test_id("selection-count")
    summary = page.get_by_test_id("selection-summary")
    announcer = page.get_by_test_id("announcer")
    panel = page.get_by_test_id("attributes")

    # Click A, Shift+click B: two selected, both outlined, the panel speaks of both.
    _click(page, "A")
    expect(status).to_have_count(0)
    _click(page, "B", ["Shift"])
    expect(status).to_have_text("2 shapes selected: car 2")
    expect(summary).to_have_text("2 shapes selected")
    expect(page.get_by_role("list", name="Selected shapes by label")).to_contain_text("car")
    expect(announcer).to_have_text(re.compile("^2 shapes selected: car 2"))
    expect(panel).to_contain_text("2 shapes")
    shots(page, "two-selected")

    # A label key relabels both, as one step; one undo brings both back.
    page.keyboard.press("2")
    expect(announcer).to_have_text(re.compile("^2 shapes relabelled person"))
    assert _labels(page) == ["person", "person", "car"]
    editor_saved(page)
    eventually(lambda: _server_has(server, pid, iid, [("person", car), ("person", car), ("car", car)]))
    shots(page, "relabelled")
    page.keyboard.press("Control+z")
    assert _labels(page) == ["car", "car", "car"]
    expect(status).to_have_text("2 shapes selected: car 2")
    editor_saved(page)
    eventually(lambda: _server_has(server, pid, iid, [("car", car)] * 3))

    # An attribute set in the panel goes on both selected boxes, and the third keeps its value.
    occluded = panel.get_by_role("checkbox", name="occluded")
    expect(occluded).not_to_be_checked()
    occluded.check()
    expect(announcer).to_have_text(re.compile("^occluded checked on 2 shapes"))
    editor_saved(page)
    hidden = {"occluded": True}
    eventually(lambda: _server_has(server, pid, iid, [("car", hidden), ("car", hidden), ("car", car)]))

    # Ctrl+A takes all three; Esc clears.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Control+a")
    expect(status).to_have_text("3 shapes selected: car 3")
    page.keyboard.press("Escape")
    expect(status).to_have_count(0)
    expect(page.get_by_test_id("editor").get_by_text("Click a shape, or press")).to_be_visible()

    # The rubber band from empty canvas round A and B takes those two, not C.
    page.mouse.move(*image_to_screen(page, SIZE, 20, 20))
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(*image_to_screen(page, SIZE, 470, 260), steps=8)
    shots(page, "band")
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(status).to_have_text("2 shapes selected: car 2")
    keys = page.evaluate("() => window.__editor.state().selectedIds")
    assert sorted(keys) == sorted(a["id"] for a in annotations_left_to_right(server, pid, iid)[:2]), keys

    # Delete removes both in one step and says so; the server keeps C alone.
    page.keyboard.press("Delete")
    expect(announcer).to_have_text(re.compile("^2 shapes deleted"))
    expect(page.get_by_test_id("status-count")).to_have_text("1 shape")
    editor_saved(page)
    eventually(lambda: _server_has(server, pid, iid, [("car", car)]))
    shots(page, "deleted")

    # After a reload the editor shows what the server holds.
    page.reload()
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("status-count")).to_have_text("1 shape")
    assert _labels(page) == ["car"]
    [c] = annotations_left_to_right(server, pid, iid)
    (x1, y1), (x2, y2) = BOXES["C"]
    assert all(abs(g - w) <= 2 for g, w in zip(c["geometry"]["bbox"], [x1, y1, x2, y2], strict=True)), c
