"""The image editor and the keyboard: Tab on a control moves focus as in any page (so a keyboard user reaches
the toolbar, the label list and the side panel; F6 goes from the canvas to the toolbar, Esc back), while Tab on
the canvas (or with nothing focused) still steps through the shapes; the label list, its show/hide buttons and the
image tags are one Tab stop each (arrow keys inside); Tab past the page's last control wraps to its first (not onto
the page body); the shortcut sheet (?) takes focus into its dialog and gives it back when it closes; boxes and
polygons are drawn with the keyboard alone. F6 round all the regions and the tag chips' keys:
``test_editor_keyboard_regions.py``."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, focused, import_images, login, wait_for_editor

SIZE = (800, 600)


def _item_with_two_boxes(server: Server, name: str) -> tuple[int, int, str]:
    project = server.create_project(f"Keyboard {name}", ["car", "person"])
    pid = project["id"]
    [iid] = import_images(server, pid, f"keyboard-{name}", 1, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    body = {
        "version": version,
        "annotations": [
            {"kind": "box", "label": label, "geometry": {"bbox": bbox}, "source": "human", "state": "accepted"}
            for label, bbox in (("car", [100, 100, 300, 250]), ("person", [400, 200, 550, 500]))
        ],
    }
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()
    _, password = add_member(server, pid, f"kb-{name}", "annotator")
    return pid, iid, password


def _selected(page: Any) -> Any:
    selected: Any = page.evaluate("() => window.__editor ? window.__editor.state().selected : 'no handle'")
    return selected


def test_tab_moves_focus_through_the_controls_and_cycles_shapes_only_on_the_canvas(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, iid, password = _item_with_two_boxes(server, "tab")
    login(page, "kb-tab", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    editor = page.get_by_test_id("editor")
    sel = page.get_by_role("complementary", name="Labels and properties")

    # From the toolbar's last button, Tab walks on through the side panel (the canvas is no Tab stop) and selects
    # no shape. The label list is one Tab stop (its row in use, "car"; the arrow keys move inside it), and so are
    # the show/hide buttons beside it and the image tags: 3 stops for the 2 classes' 6 buttons (it was 6).
    editor.get_by_role("button", name="Keyboard shortcuts").focus()
    seen = [focused(page)]
    for _ in range(3):  # to the last control of the side panel
        page.keyboard.press("Tab")
        seen.append(focused(page))
    shots(page, "tabbed-from-toolbar")
    want = ["BUTTON Keyboard shortcuts", "BUTTON Draw car", "BUTTON Hide car", "BUTTON Add the tag car"]
    assert seen == want, seen
    assert _selected(page) is None, "a Tab on a control selected a shape"

    # Past the last control Tab wraps to the page's first (the top bar's Back link), not onto the page body where
    # Tab would step through the shapes; Shift+Tab there wraps back.
    page.keyboard.press("Tab")
    assert focused(page) == "A Back to the project", focused(page)
    assert _selected(page) is None
    page.keyboard.press("Shift+Tab")
    assert focused(page) == seen[-1], focused(page)

    # Shift+Tab goes back the same way.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == seen[-2], (seen, focused(page))

    # A label button: Tab leaves it rather than relabelling anything.
    label_row = sel.get_by_title("Draw car")
    expect(label_row).to_have_count(1)
    label_row.focus()
    before = focused(page)
    page.keyboard.press("Tab")
    assert focused(page) != before, before
    assert _selected(page) is None
    expect(label_row).to_have_attribute("title", "Draw car")

    # Inside the label list ↓ goes to the next row, which then is the list's Tab stop while focus is in it; Tab
    # leaves the list at once, and Shift+Tab comes back to the row in use (nothing was chosen).
    label_row.focus()
    page.keyboard.press("ArrowDown")
    assert focused(page) == "BUTTON Draw person", focused(page)
    page.keyboard.press("Tab")
    assert focused(page) == "BUTTON Hide car", focused(page)
    page.keyboard.press("ArrowDown")
    assert focused(page) == "BUTTON Hide person", focused(page)
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "BUTTON Draw car", focused(page)
    assert page.url.endswith(f"/items/{iid}") and _selected(page) is None

    # Esc on a control goes back to the canvas; F6 there goes to the toolbar.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("editor-canvas")).to_be_focused()
    page.keyboard.press("F6")
    assert page.evaluate("() => !!document.activeElement.closest('[role=toolbar]')"), focused(page)

    # The tools are one Tab stop, the tool in use: F6 lands on it, → goes on to the next tool and chooses it,
    # and Tab leaves the group.
    assert focused(page) == "BUTTON Select (V)", focused(page)
    page.keyboard.press("ArrowRight")
    assert focused(page) == "BUTTON Box (B)", focused(page)
    assert page.evaluate("() => window.__editor.state().tool") == "box"
    page.keyboard.press("Tab")
    assert not page.evaluate("() => !!document.activeElement.closest('[role=radiogroup]')"), focused(page)
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "BUTTON Box (B)", focused(page)
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("() => window.__editor.state().tool") == "select"
    assert page.url.endswith(f"/items/{iid}") and _selected(page) is None

    # On the canvas, Tab and Shift+Tab still step through the shapes and focus stays there.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Tab")
    first = _selected(page)
    assert first is not None
    page.keyboard.press("Tab")
    second = _selected(page)
    assert second is not None and second != first
    assert focused(page).startswith("CANVAS"), focused(page)
    shots(page, "tab-on-canvas-selects")

    # With nothing focused (the page body) Tab steps through the shapes as before.
    page.keyboard.press("Escape")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert _selected(page) is not None


def test_the_shortcut_sheet_takes_focus_and_gives_it_back(page: Any, server: Server, shots: Shots) -> None:
    pid, iid, password = _item_with_two_boxes(server, "help")
    login(page, "kb-help", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    canvas = page.get_by_test_id("editor-canvas")
    canvas.focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    inside = page.evaluate("() => !!document.activeElement && !!document.activeElement.closest('[role=dialog]')")
    shots(page, "help-open")
    assert inside, f"focus is on {focused(page)}, not in the dialog"
    # Tab stays within the dialog (it has one control, Close).
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('[role=dialog]')"), focused(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(canvas).to_be_focused()

    # Opened from the toolbar button, it gives focus back to that button.
    button = page.get_by_test_id("editor").get_by_role("button", name="Keyboard shortcuts")
    button.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(button).to_be_focused()


def _boxes(server: Server, pid: int, iid: int) -> list[tuple[str, list[float]]]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
    return sorted((a["label"], a["geometry"]["bbox"]) for a in anns if a["kind"] == "box")


def test_a_box_is_drawn_moved_and_resized_with_the_keyboard_alone(page: Any, server: Server, shots: Shots) -> None:
    """No mouse: B and Enter add a box in the middle of the view, the arrow keys move it (Shift: 10 px), Ctrl+arrow
    resizes it, and ← → change items only while no shape is selected."""
    pid, iid, password = _item_with_two_boxes(server, "draw")
    login(page, "kb-draw", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("2")  # the label "person"
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    added = _selected(page)
    assert added is not None, "Enter with the Box tool added no box"
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+ArrowRight")
    page.keyboard.press("Control+Shift+ArrowDown")
    page.keyboard.press("ArrowLeft")  # a shape is selected: this moves it, it does not leave the item
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved", timeout=10_000)
    shots(page, "keyboard-box")
    boxes = _boxes(server, pid, iid)
    assert len(boxes) == 3 and page.url.endswith(f"/items/{iid}"), (boxes, page.url)
    # The whole 800x600 image is in view: a 150 px box centred on it, [325, 225, 475, 375]; then 10 px right,
    # 1 px down, the right edge 1 px out, the bottom edge 10 px down, 1 px left.
    assert ("person", [334, 226, 485, 386]) in boxes, boxes

    page.keyboard.press("Control+z")  # one undo step per key: the last move goes back
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved", timeout=10_000)
    assert ("person", [335, 226, 486, 386]) in _boxes(server, pid, iid)
    page.keyboard.press("Escape")
    assert _selected(page) is None


def _polygons(server: Server, pid: int, iid: int) -> list[tuple[str, list[float]]]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
    return [(a["label"], a["geometry"]["points"]) for a in anns if a["kind"] == "polygon"]


def test_a_polygon_is_drawn_with_the_keyboard_alone(page: Any, server: Server, shots: Shots) -> None:
    """No mouse: G and Enter show a crosshair in the middle of the view, the arrow keys move it (Shift: 10 px),
    Space adds a point there, Backspace removes the last, Enter closes (3 points at least), Esc cancels; each step
    is said in the live region; the closed polygon is selected and the arrow keys move it; it is saved."""
    pid, iid, password = _item_with_two_boxes(server, "poly")
    login(page, "kb-poly", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    canvas = page.get_by_test_id("editor-canvas")
    readout = page.get_by_test_id("cursor-position")
    announcer = page.get_by_test_id("announcer")

    def said(text: str) -> None:
        expect(announcer).to_have_text(re.compile("^" + re.escape(text)))

    canvas.focus()
    page.keyboard.press("2")  # the label "person"
    page.keyboard.press("g")
    page.keyboard.press("Enter")
    # The whole 800x600 image is in view: the crosshair starts in its middle (the pointer rests elsewhere).
    expect(readout).to_have_text("400, 300")
    said("Polygon by keyboard at 400, 300")
    page.keyboard.press("Space")
    said("Point 1 at 400, 300")
    for key in ["Shift+ArrowRight"] * 5:
        page.keyboard.press(key)
    page.keyboard.press("Space")
    said("Point 2 at 450, 300")
    for key in ["Shift+ArrowDown"] * 4 + ["ArrowLeft"] * 3:  # ← moves the crosshair, it does not leave the item
        page.keyboard.press(key)
    expect(readout).to_have_text("447, 340")
    page.keyboard.press("Space")
    page.keyboard.press("Space")  # the same point twice is one point
    said("There is a point at 447, 340 already")
    page.keyboard.press("Backspace")
    said("Last point removed, 2 left")
    page.keyboard.press("Enter")  # two points make no polygon: it says so and keeps them
    said("A polygon needs at least 3 points: 2 so far")
    page.keyboard.press("Space")
    said("Point 3 at 447, 340")
    for key in ["Shift+ArrowLeft"] * 10:
        page.keyboard.press(key)
    page.keyboard.press("Space")
    shots(page, "keyboard-polygon-drawing")
    page.keyboard.press("Enter")
    said("Polygon closed with 4 points")
    assert _selected(page) is not None and page.url.endswith(f"/items/{iid}"), page.url
    assert page.evaluate("() => window.__editor.view.keyCursor") is None, "the crosshair still shows"
    page.keyboard.press("ArrowUp")  # the selected polygon moves like a box
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved", timeout=10_000)
    shots(page, "keyboard-polygon-closed")
    want = [400, 299, 450, 299, 447, 339, 347, 339]
    assert _polygons(server, pid, iid) == [("person", want)], _polygons(server, pid, iid)

    # Enter again shows the crosshair where it was; Esc cancels what was begun.
    page.keyboard.press("Enter")
    expect(readout).to_have_text("347, 340")
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    said("Polygon cancelled")
    expect(page.get_by_test_id("status-count")).to_have_text("3 shapes")

    # After a reload the polygon is there, where it was put.
    page.reload()
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("status-count")).to_have_text("3 shapes")
    shown = page.evaluate(
        "() => window.__editor.annotations().filter(a => a.kind === 'polygon').map(a => [a.label, a.geometry.points])"
    )
    assert shown == [["person", want]], shown


def test_label_rows_read_well_and_keyboard_steps_are_said_once(page: Any, server: Server, shots: Shots) -> None:
    """A screen reader hears each label row as "car, 1 shape, key 1" (not "car 1 1"), hears the label chosen with
    Enter, and hears where a shape moved by the arrow keys once the keys rest (one announcement for a held key).
    The "needs at least 3 points" warning goes once the polygon is closed, or cancelled."""
    pid, iid, password = _item_with_two_boxes(server, "said")
    login(page, "kb-said", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    announcer = page.get_by_test_id("announcer")
    warning = page.get_by_test_id("editor").get_by_role("status").filter(has_text=re.compile(r"^A polygon needs"))

    def said(text: str) -> None:
        expect(announcer).to_have_text(re.compile("^" + re.escape(text)))

    options = page.get_by_role("listbox", name="Label for new shapes").get_by_role("option")
    expect(options.nth(0)).to_have_accessible_name("car, 1 shape, key 1")
    expect(options.nth(1)).to_have_accessible_name("person, 1 shape, key 2")
    expect(options.nth(0)).to_have_text(re.compile(r"^\s*car\s*1\s*1\s*$"))  # the row still shows "car 1 1"

    # Enter on a row chooses it, and says so.
    options.nth(0).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    said("New shapes get person")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")

    # Two points and Enter: the warning shows; a third point and Enter close the polygon, and the warning goes.
    page.keyboard.press("Escape")  # back to the canvas
    page.keyboard.press("g")
    page.keyboard.press("Enter")
    said("Polygon by keyboard at 400, 300")
    for key in ["Space", *["Shift+ArrowRight"] * 5, "Space", "Enter"]:
        page.keyboard.press(key)
    said("A polygon needs at least 3 points: 2 so far")
    expect(warning).to_be_visible()
    for key in ["Shift+ArrowDown"] * 5 + ["Space", "Enter"]:
        page.keyboard.press(key)
    said("Polygon closed with 3 points")
    expect(warning).to_have_count(0)  # the warning goes once the polygon is closed
    expect(options.nth(1)).to_have_accessible_name("person, 2 shapes, key 2")

    # A held arrow key (20 key-downs, each in a task of its own) moves the polygon 20 px and says so once.
    page.evaluate(
        """async () => {
            window.__said = [];
            const region = document.querySelector('[data-testid=announcer]');
            new MutationObserver(() => window.__said.push(region.textContent.trim()))
              .observe(region, { childList: true, characterData: true, subtree: true });
            const canvas = document.querySelector('[data-testid=editor-canvas]');
            const down = { key: 'ArrowRight', bubbles: true, cancelable: true };
            for (let i = 0; i < 20; i++) {
              canvas.dispatchEvent(new KeyboardEvent('keydown', down));
              await new Promise((r) => setTimeout(r, 0));
            }
        }"""
    )
    said("Moved to 420, 300")
    assert page.evaluate("() => window.__said") == ["Moved to 420, 300"]
    shots(page, "moved-and-said")

    # The warning goes when the polygon is cancelled, too.
    for key in ["Enter", "Space", "Enter"]:
        page.keyboard.press(key)
    expect(warning).to_be_visible()
    page.keyboard.press("Escape")
    said("Polygon cancelled")
    expect(warning).to_have_count(0)  # the warning goes once the polygon is cancelled
