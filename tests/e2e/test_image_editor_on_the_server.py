"""The image editor on the item page of a real server: boxes drawn and resized with the mouse are autosaved and
come back after a reload, undo/redo reach the server, a reviewer accepts and rejects a model's proposals with
the keyboard, and moving to the next or previous item keeps the work.

Coordinates are image pixels: the tests map them to the page through the editor's fitted view and check the
mapping against the pointer readout in the editor's status line (``conftest.wait_for_editor``).
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    add_member,
    close_to,
    drag_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    import_images,
    login,
    wait_for_editor,
    wait_for_thumbnails,
)

SIZE = (800, 600)


def _annotations(server: Server, pid: int, iid: int) -> dict[str, Any]:
    body: dict[str, Any] = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    return body


def _boxes(server: Server, pid: int, iid: int) -> list[dict[str, Any]]:
    return [a for a in _annotations(server, pid, iid)["annotations"] if a["kind"] == "box"]


def _size(w: int, h: int) -> re.Pattern[str]:
    """The selection panel's size of a box ("W by H px"), within a pixel (the mouse lands on whole page pixels).

    Written for both Python's and JavaScript's regular expressions: Playwright runs it in the page."""

    def near(v: int) -> str:
        return "|".join(str(v + d) for d in (-1, 0, 1))

    return re.compile(rf"\b({near(w)}) \u00d7 ({near(h)}) px")


def _selection(page: Any) -> Any:
    return page.get_by_role("complementary", name="Labels and properties")


def test_a_box_drawn_with_the_mouse_is_saved_resized_undone_and_redone(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Editor on the server", ["car", "person"])
    pid = project["id"]
    ids = import_images(server, pid, "editor-draw", 2, SIZE)
    annotator_id, password = add_member(server, pid, "draw-annotator", "annotator")

    # From the project grid to the item page.
    login(page, "draw-annotator", password)
    page.goto(f"/#/projects/{pid}")
    wait_for_thumbnails(page)
    page.locator(f'[data-testid="thumb"][data-item-id="{ids[0]}"]').click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids[0]}(\?|$)"))
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("editor")).to_contain_text("scene-01.png")
    shots(page, "item-opened")

    # Draw a "person" box with the box tool.
    page.keyboard.press("b")
    page.keyboard.press("2")
    drag_in_image(page, SIZE, (200, 150), (500, 400))
    sel = _selection(page)
    expect(sel).to_contain_text("person")
    expect(sel).to_contain_text(_size(300, 250))
    shots(page, "box-drawn")
    editor_saved(page)
    shots(page, "box-saved")
    [box] = _boxes(server, pid, ids[0])
    assert box["label"] == "person" and box["source"] == "human" and box["state"] == "accepted", box
    assert close_to(box["geometry"]["bbox"], [200, 150, 500, 400]), box
    assert box["author_id"] == annotator_id
    item = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}").json()
    assert item["status"] == "labeled" and item["annotator_id"] == annotator_id, item

    # A reload shows the saved box.
    page.reload()
    wait_for_editor(page, SIZE)
    expect(sel.get_by_role("option", name=re.compile(r"^person, 1 shape\b"))).to_be_visible()
    page.keyboard.press("Tab")  # select the one shape
    expect(sel).to_contain_text(_size(300, 250))
    expect(sel).to_contain_text(str(box["id"]))
    shots(page, "reloaded-and-selected")

    # Resize with the bottom-right handle; undo brings the old size back, redo the new one.
    drag_in_image(page, SIZE, (500, 400), (620, 470))
    expect(sel).to_contain_text(_size(420, 320))
    shots(page, "resized")
    page.keyboard.press("Control+z")
    expect(sel).to_contain_text(_size(300, 250))
    shots(page, "undone")
    page.keyboard.press("Control+Shift+z")
    expect(sel).to_contain_text(_size(420, 320))
    shots(page, "redone")
    editor_saved(page)

    def redone_size_stored() -> dict[str, Any]:
        [stored] = _boxes(server, pid, ids[0])
        assert close_to(stored["geometry"]["bbox"], [200, 150, 620, 470]), stored
        return stored

    stored = eventually(redone_size_stored)
    assert stored["id"] == box["id"], "the resize made a new annotation instead of changing the saved one"
    shots(page, "redone-saved")

    # Ctrl+Y redoes too (after another undo), and that reaches the server as well.
    page.keyboard.press("Control+z")
    expect(sel).to_contain_text(_size(300, 250))
    page.keyboard.press("Control+y")
    expect(sel).to_contain_text(_size(420, 320))
    editor_saved(page)
    eventually(redone_size_stored)


def test_a_reviewer_accepts_and_rejects_model_proposals(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Proposals to review", ["car", "person"])
    pid = project["id"]
    [iid] = import_images(server, pid, "editor-proposals", 1, SIZE)
    reviewer_id, password = add_member(server, pid, "proposal-reviewer", "reviewer")
    car_box, person_box = [80.0, 90.0, 300.0, 260.0], [450.0, 200.0, 600.0, 480.0]
    proposals = [("car", car_box, 0.91), ("person", person_box, 0.62)]
    body = {
        "version": _annotations(server, pid, iid)["version"],
        "annotations": [
            {
                "kind": "box",
                "label": label,
                "geometry": {"bbox": bbox},
                "source": "model",
                "model_version": "det-v1",
                "score": score,
                "state": "proposed",
            }
            for label, bbox, score in proposals
        ],
    }
    r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body)
    assert r.status_code == 200, r.text
    car_id, person_id = (a["id"] for a in sorted(r.json()["annotations"], key=lambda a: a["score"], reverse=True))

    login(page, "proposal-reviewer", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("editor")).to_contain_text("2 to review")
    shots(page, "proposals-shown")
    sel = _selection(page)

    # Click the car proposal and accept it with `a`.
    page.mouse.click(*image_to_screen(page, SIZE, 190, 175))
    expect(sel).to_contain_text("car")
    expect(sel).to_contain_text("det-v1")
    expect(sel).to_contain_text("0.910")
    expect(sel.get_by_text("proposed", exact=True)).to_be_visible()
    shots(page, "car-proposal-selected")
    page.keyboard.press("a")
    expect(page.get_by_test_id("editor")).to_contain_text("1 to review")

    # Click the person proposal and reject it with `x`.
    page.mouse.click(*image_to_screen(page, SIZE, 525, 340))
    expect(sel).to_contain_text("person")
    expect(sel.get_by_text("proposed", exact=True)).to_be_visible()
    shots(page, "person-proposal-selected")
    page.keyboard.press("x")
    expect(sel.get_by_text("1 accepted")).to_be_visible()
    expect(sel.get_by_text("1 rejected")).to_be_visible()
    editor_saved(page)
    shots(page, "decided-and-saved")

    def decided() -> dict[int, dict[str, Any]]:
        stored = {a["id"]: a for a in _annotations(server, pid, iid)["annotations"]}
        assert stored[car_id]["state"] == "accepted" and stored[person_id]["state"] == "rejected", stored
        return stored

    stored = eventually(decided)
    car, person = stored[car_id], stored[person_id]
    assert car["source"] == "model" and car["model_version"] == "det-v1" and car["score"] == 0.91, car
    assert close_to(car["geometry"]["bbox"], car_box, 0.01), car
    assert car["reviewed_by"] == reviewer_id and person["reviewed_by"] == reviewer_id, stored
    assert person["source"] == "model", person
    assert len(stored) == 2, "a decision must not add or drop annotations"


def test_next_and_previous_item_keep_the_saved_work(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Item to item", ["car", "person"])
    pid = project["id"]
    ids = import_images(server, pid, "editor-navigation", 3, SIZE)
    _, password = add_member(server, pid, "nav-annotator", "annotator")
    login(page, "nav-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    wait_for_editor(page, SIZE)
    editor = page.get_by_test_id("editor")
    expect(editor).to_contain_text("scene-01.png")
    expect(editor).to_contain_text("1 / 3")
    shots(page, "first-item")

    # A box on the first item, then `n` at once: moving on saves first.
    page.keyboard.press("b")
    page.keyboard.press("1")
    drag_in_image(page, SIZE, (100, 100), (260, 220))
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"/items/{ids[1]}(\?|$)"))
    wait_for_editor(page, SIZE)
    expect(editor).to_contain_text("scene-02.png")
    expect(editor).to_contain_text("2 / 3")
    [first] = _boxes(server, pid, ids[0])  # saved before the editor moved on, without waiting for autosave
    assert first["label"] == "car" and close_to(first["geometry"]["bbox"], [100, 100, 260, 220]), first
    shots(page, "second-item")

    # A box on the second item, then back with the Previous button.
    page.keyboard.press("b")
    page.keyboard.press("2")
    drag_in_image(page, SIZE, (400, 300), (700, 550))
    page.get_by_test_id("prev-item").click()
    expect(page).to_have_url(re.compile(rf"/items/{ids[0]}(\?|$)"))
    wait_for_editor(page, SIZE)
    expect(editor).to_contain_text("scene-01.png")
    sel = _selection(page)
    expect(sel.get_by_role("option", name=re.compile(r"^car, 1 shape\b"))).to_be_visible()
    page.keyboard.press("Tab")
    expect(sel).to_contain_text(_size(160, 120))
    shots(page, "back-on-first-item")
    [second] = _boxes(server, pid, ids[1])
    assert second["label"] == "person" and close_to(second["geometry"]["bbox"], [400, 300, 700, 550]), second

    # Forward again with the Next button: the second item's box is there.
    page.get_by_test_id("next-item").click()
    expect(page).to_have_url(re.compile(rf"/items/{ids[1]}(\?|$)"))
    wait_for_editor(page, SIZE)
    expect(sel.get_by_role("option", name=re.compile(r"^person, 1 shape\b"))).to_be_visible()
    page.keyboard.press("Tab")
    expect(sel).to_contain_text(_size(300, 250))
    shots(page, "forward-again")
    # The third item has nothing yet: the work stayed where it was made.
    assert _boxes(server, pid, ids[2]) == []
