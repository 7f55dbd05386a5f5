"""Copy and paste in the image editor, on a real server: two of three boxes copied on item 1 (Ctrl+C) are pasted on
item 2 (Ctrl+V) at the same pixels, selected, as the person's shapes, and saved; Ctrl+Z takes the paste back and
the server follows. Then Shift+drag that starts on a shape draws the rubber band (it no longer toggles that shape),
and a Shift+click without moving still toggles it. Ctrl+C on the image copies its shapes though text is selected.
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
    close_to,
    drag_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    import_images,
    open_item_as,
    wait_for_editor,
)

SIZE = (800, 600)
BOXES = {"A": ((60, 60), (200, 200)), "B": ((300, 60), (440, 200)), "C": ((560, 340), (720, 520))}


def test_copy_on_one_item_paste_on_the_next_undo_and_shift_drag_from_a_shape(
    page: Any, server: Server, shots: Shots
) -> None:
    body = {"name": "Clipboard copy paste", "labels": [{"name": "car"}, {"name": "person"}]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    first, second = import_images(server, pid, "editor-clipboard", 2, SIZE)
    open_item_as(page, server, pid, first, "clip-annotator", SIZE)
    announcer = page.get_by_test_id("announcer")
    status = page.get_by_test_id("selection-count")

    # Item 1: three car boxes; A and B selected and copied.
    page.keyboard.press("b")
    page.keyboard.press("1")
    for a, b in BOXES.values():
        drag_in_image(page, SIZE, a, b)
    page.keyboard.press("v")
    editor_saved(page)
    click_in_image(page, SIZE, 130, 130)
    click_in_image(page, SIZE, 370, 130, ("Shift",))
    expect(status).to_have_text("2 shapes selected: car 2")
    page.keyboard.press("Control+c")
    expect(announcer).to_have_text(re.compile("^Copied 2 shapes"))

    # Item 2: paste. The copies land at the same pixels, selected, and are saved as the person's boxes.
    page.keyboard.press("n")
    expect(page).to_have_title(re.compile("^scene-02.png"))
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("status-count")).to_have_text("0 shapes")
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Control+v")
    expect(announcer).to_have_text(re.compile("^Pasted 2 shapes"))
    expect(page.get_by_test_id("status-count")).to_have_text("2 shapes")
    expect(status).to_have_text("2 shapes selected: car 2")
    shots(page, "pasted")
    editor_saved(page)

    def pasted() -> list[dict[str, Any]]:
        got = annotations_left_to_right(server, pid, second)
        assert len(got) == 2, got
        return got

    a, b = eventually(pasted)
    for ann, name in ((a, "A"), (b, "B")):
        (x1, y1), (x2, y2) = BOXES[name]
        assert close_to(ann["geometry"]["bbox"], [x1, y1, x2, y2]), ann
        assert (ann["label"], ann["source"], ann["state"]) == ("car", "human", "accepted"), ann
    assert len(annotations_left_to_right(server, pid, first)) == 3

    # One undo takes both back; the server follows. Redo brings them back for the band below.
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("status-count")).to_have_text("0 shapes")
    editor_saved(page)

    def gone() -> None:
        got = annotations_left_to_right(server, pid, second)
        assert got == [], got

    eventually(gone)
    page.keyboard.press("Control+Shift+z")
    expect(page.get_by_test_id("status-count")).to_have_text("2 shapes")
    # A third box where C is on item 1, then nothing selected.
    page.keyboard.press("b")
    drag_in_image(page, SIZE, *BOXES["C"])
    page.keyboard.press("v")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("status-count")).to_have_text("3 shapes")
    expect(status).to_have_count(0)

    # Shift+drag starting on B draws a band (to the bottom right) that takes the third box, lying wholly inside it;
    # B is not toggled.
    page.mouse.move(*image_to_screen(page, SIZE, 430, 190))
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(*image_to_screen(page, SIZE, 760, 560), steps=8)
    shots(page, "band-from-a-shape")
    page.mouse.up()
    page.keyboard.up("Shift")
    picked = page.evaluate("() => window.__editor.core.selectedAnns.map((a) => a.geometry.bbox)")
    assert len(picked) == 1 and close_to(picked[0], [560, 340, 720, 520]), picked
    # A Shift+click on B without moving still adds it.
    click_in_image(page, SIZE, 370, 130, ("Shift",))
    expect(status).to_have_text("2 shapes selected: car 2")


def test_shift_click_takes_a_keypoints_instance_and_a_text_field_keeps_its_own_ctrl_v(
    page: Any, server: Server, shots: Shots
) -> None:
    person = {"name": "person", "keypoints": ["nose", "left_eye", "right_eye"], "skeleton": [[0, 1], [0, 2]]}
    body = {
        "name": "Clipboard keypoints and fields",
        "labels": [person, {"name": "car"}],
        "kinds": ["box", "keypoints"],
        "attributes": [{"name": "note", "type": "text"}],
    }
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    [iid] = import_images(server, pid, "editor-clipboard-keypoints", 1, SIZE)
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    version = server.api.get(url).raise_for_status().json()["version"]
    anns = [
        {"kind": "keypoints", "label": "person", "geometry": {"points": [200, 150, 2, 160, 150, 2, 240, 150, 2]}},
        {"kind": "box", "label": "car", "geometry": {"bbox": [450, 300, 550, 400]}},
    ]
    server.api.put(url, json={"version": version, "annotations": anns}).raise_for_status()
    open_item_as(page, server, pid, iid, "clip-keypoints-annotator", SIZE)
    status = page.get_by_test_id("selection-count")
    announcer = page.get_by_test_id("announcer")

    # The box, then Shift+click on a point of the instance, then on its edge: in, then out again.
    click_in_image(page, SIZE, 500, 350)
    click_in_image(page, SIZE, 240, 150, ("Shift",))
    expect(status).to_have_text(re.compile("^2 shapes selected"))
    click_in_image(page, SIZE, 180, 150, ("Shift",))
    expect(status).to_have_count(0)
    kinds = page.evaluate("() => window.__editor.core.selectedAnns.map((a) => a.kind)")
    assert kinds == ["box"], kinds

    # Copy the box; in the attribute panel's text field Ctrl+V is the field's, not the editor's (nothing pasted).
    page.keyboard.press("Control+c")
    expect(announcer).to_have_text(re.compile("^Copied 1 shape"))
    field = page.get_by_test_id("attributes").get_by_role("textbox", name="note")
    field.click()
    page.keyboard.press("Control+v")
    page.keyboard.press("Control+c")
    expect(announcer).to_have_text(re.compile("^Copied 1 shape"))
    expect(page.get_by_test_id("status-count")).to_have_text("2 shapes")
    # Back on the canvas it pastes.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Control+v")
    expect(announcer).to_have_text(re.compile("^Pasted 1 shape"))
    expect(page.get_by_test_id("status-count")).to_have_text("3 shapes")

    # Text selected on the page earlier (a double-click on the status line) stays selected when the image is
    # clicked; back on the image, Ctrl+C copies its shapes, not that text.
    page.get_by_test_id("status-count").dblclick()
    assert page.evaluate("getSelection().toString()").strip() != ""
    click_in_image(page, SIZE, 500, 350)
    expect(status).to_have_count(0)
    page.keyboard.press("Control+c")
    expect(announcer).to_have_text(re.compile("^Copied 1 shape"))
