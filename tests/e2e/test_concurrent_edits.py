"""Two people edit the same image at once, each in their own browser (two contexts, two annotators).

Saves carry the item's version; the one who saves second gets a 409 and the conflict panel. These tests check
that "Merge" keeps both people's boxes, that a box both moved is named in the panel and settled by the side
picked, and that after "Take theirs" undo cannot bring the discarded state back and save it over theirs.

Coordinates are image pixels (``conftest.image_to_screen`` maps them to the page for the fitted view).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    VIEWPORT,
    Server,
    Shots,
    _console_error,
    add_member,
    close_to,
    drag_in_image,
    eventually,
    import_images,
    login,
    wait_for_editor,
)

SIZE = (800, 600)
BOX1 = [100.0, 100.0, 250.0, 220.0]  # "car"
BOX2 = [450.0, 250.0, 600.0, 400.0]  # "person"


def _shift(b: list[float], dx: float, dy: float) -> list[float]:
    return [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy]


def _centre(b: list[float]) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _move(page: Any, box: list[float], dx: float, dy: float) -> None:
    """Drag a box by its middle with the select tool."""
    x, y = _centre(box)
    drag_in_image(page, SIZE, (x, y), (x + dx, y + dy))


def _stored(server: Server, pid: int, iid: int) -> tuple[int, dict[str, list[float]]]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    return body["version"], {a["label"]: a["geometry"]["bbox"] for a in body["annotations"]}


def _in_editor(page: Any) -> dict[str, list[float]]:
    """The boxes the editor holds (as a save would send them), by label."""
    anns: list[dict[str, Any]] = page.evaluate("window.__editor.annotations()")
    return {a["label"]: a["geometry"]["bbox"] for a in anns}


def _saved(page: Any) -> None:
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved")


@contextmanager
def _second_user(browser: Any, server: Server, shots: Shots) -> Iterator[Any]:
    """A second browser (its own cookies), for the other person."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    p = context.new_page()
    p.on("pageerror", lambda exc: shots.errors.append(f"page error (B): {exc}"))
    p.on("console", lambda msg: _console_error(msg, shots.errors))
    try:
        yield p
    finally:
        context.close()


def _item_with_two_boxes(server: Server, name: str) -> tuple[int, int, str, str]:
    """A project with one image holding BOX1 ("car") and BOX2 ("person"), and two annotators; their passwords."""
    project = server.create_project(f"Concurrent {name}", ["car", "person"])
    pid = project["id"]
    [iid] = import_images(server, pid, f"concurrent-{name}", 1, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    body = {
        "version": version,
        "annotations": [
            {"kind": "box", "label": label, "geometry": {"bbox": bbox}, "source": "human", "state": "accepted"}
            for label, bbox in (("car", BOX1), ("person", BOX2))
        ],
    }
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()
    _, pa = add_member(server, pid, f"{name}-a", "annotator")
    _, pb = add_member(server, pid, f"{name}-b", "annotator")
    return pid, iid, pa, pb


def _open(page: Any, user: str, password: str, pid: int, iid: int) -> None:
    login(page, user, password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)


def _b_moves(b: Any, server: Server, pid: int, iid: int, box: list[float], dx: float, dy: float) -> int:
    """B moves a box and saves; returns the item's version after B's save."""
    _move(b, box, dx, dy)
    b.keyboard.press("Control+s")
    _saved(b)

    def stored() -> int:
        version, boxes = _stored(server, pid, iid)
        assert close_to(boxes["car" if box == BOX1 else "person"], _shift(box, dx, dy)), boxes
        return version

    return eventually(stored)


def _b_saved_first(
    page: Any, browser: Any, server: Server, shots: Shots, name: str, box: list[float], dx: float, dy: float
) -> tuple[int, int, int]:
    """A and B open the same item; B moves ``box`` and saves first. Returns (project, item, version after B)."""
    pid, iid, pa, pb = _item_with_two_boxes(server, name)
    _open(page, f"{name}-a", pa, pid, iid)
    with _second_user(browser, server, shots) as b:
        _open(b, f"{name}-b", pb, pid, iid)
        v_b = _b_moves(b, server, pid, iid, box, dx, dy)
        shots(b, "b-moved")
    return pid, iid, v_b


def _conflict(page: Any) -> Any:
    panel = page.get_by_role("alertdialog", name="Someone else changed this item")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "conflict")
    expect(panel.get_by_test_id("merge-summary")).to_be_visible()  # their copy is fetched
    return panel


def test_merge_keeps_both_peoples_moves(page: Any, browser: Any, server: Server, shots: Shots) -> None:
    # B moves box 2 and saves first.
    pid, iid, v_b = _b_saved_first(page, browser, server, shots, "merge", BOX2, 30, 20)

    # A moves box 1 on the old version and saves: 409, the panel offers the merge.
    _move(page, BOX1, 40, 30)
    page.keyboard.press("Control+s")
    panel = _conflict(page)
    expect(page.get_by_test_id("unsaved-count")).to_have_text("1 change not saved")
    expect(panel.get_by_test_id("merge-summary")).to_contain_text("keeps 1 change of yours and 1 change of theirs")
    expect(panel.get_by_test_id("merge-conflict")).to_have_count(0)
    merge = panel.get_by_role("button", name="Merge", exact=True)
    expect(merge).to_be_enabled()
    expect(merge).to_have_class(re.compile(r"\bprimary\b"))
    shots(page, "a-conflict")
    merge.click()
    expect(panel).to_have_count(0)
    # (The unsaved count right after the merge is not checked here: autosave may already have saved it.)
    merged = _in_editor(page)
    assert close_to(merged["car"], _shift(BOX1, 40, 30)) and close_to(merged["person"], _shift(BOX2, 30, 20)), merged
    shots(page, "a-merged")

    # A saves on top of B's version: no second 409.
    page.keyboard.press("Control+s")
    _saved(page)
    version, boxes = eventually(lambda: _checked(server, pid, iid, v_b + 1))
    assert close_to(boxes["car"], _shift(BOX1, 40, 30)) and close_to(boxes["person"], _shift(BOX2, 30, 20)), boxes
    expect(page.get_by_test_id("unsaved-count")).to_have_count(0)

    # A reload shows both moves.
    page.reload()
    wait_for_editor(page, SIZE)
    after = _in_editor(page)
    assert close_to(after["car"], _shift(BOX1, 40, 30)) and close_to(after["person"], _shift(BOX2, 30, 20)), after
    assert page.evaluate("window.__editor.state().version") == version
    shots(page, "a-reloaded")


def _checked(server: Server, pid: int, iid: int, version: int) -> tuple[int, dict[str, list[float]]]:
    got, boxes = _stored(server, pid, iid)
    assert got == version, f"version {got}, expected {version}"
    return got, boxes


def test_a_box_both_moved_is_named_and_settled_by_the_side_picked(
    page: Any, browser: Any, server: Server, shots: Shots
) -> None:
    pid, iid, v_b = _b_saved_first(page, browser, server, shots, "same", BOX1, 60, 0)

    _move(page, BOX1, 0, 50)
    page.keyboard.press("Control+s")
    panel = _conflict(page)
    [row] = panel.get_by_test_id("merge-conflict").all()
    expect(row).to_contain_text("box “car”")
    expect(row).to_contain_text("you: moved · they: moved")
    expect(row).to_contain_text("at 100, 150")  # where it is on A's canvas
    merge = panel.get_by_role("button", name="Merge", exact=True)
    expect(merge).to_be_disabled()
    expect(panel.get_by_test_id("merge-open")).to_contain_text("1 annotation")
    shots(page, "conflict-named")

    row.get_by_role("radio", name="Theirs").click()
    expect(row.get_by_role("radio", name="Theirs")).to_have_attribute("aria-checked", "true")
    expect(merge).to_be_enabled()
    merge.click()
    expect(panel).to_have_count(0)
    # Theirs it is: nothing of A's is left to save.
    _saved(page)
    assert close_to(_in_editor(page)["car"], _shift(BOX1, 60, 0))
    page.keyboard.press("Control+s")
    _, boxes = _checked(server, pid, iid, v_b)
    assert close_to(boxes["car"], _shift(BOX1, 60, 0)) and close_to(boxes["person"], BOX2), boxes
    page.reload()
    wait_for_editor(page, SIZE)
    assert close_to(_in_editor(page)["car"], _shift(BOX1, 60, 0))
    shots(page, "theirs-kept")


def test_undo_after_take_theirs_does_not_save_over_theirs(
    page: Any, browser: Any, server: Server, shots: Shots
) -> None:
    pid, iid, v_b = _b_saved_first(page, browser, server, shots, "undo", BOX2, -40, 30)

    # A moves both boxes (two undoable steps), then saves: conflict.
    _move(page, BOX1, 30, 30)
    _move(page, BOX2, 0, -60)
    page.keyboard.press("Control+s")
    panel = _conflict(page)
    expect(page.get_by_test_id("unsaved-count")).to_have_text("2 changes not saved")
    panel.get_by_role("button", name="Take theirs").click()
    expect(panel).to_have_count(0)
    _saved(page)
    expect(page.get_by_test_id("unsaved-count")).to_have_count(0)
    theirs = _in_editor(page)
    assert close_to(theirs["car"], BOX1) and close_to(theirs["person"], _shift(BOX2, -40, 30)), theirs
    shots(page, "took-theirs")

    # Undo has nothing from before the resolution to bring back; saving changes nothing of B's.
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert page.evaluate("window.__editor.state().canUndo") is False
    assert _in_editor(page) == theirs
    page.keyboard.press("Control+s")
    _saved(page)
    _, boxes = _checked(server, pid, iid, v_b)
    assert close_to(boxes["person"], _shift(BOX2, -40, 30)) and close_to(boxes["car"], BOX1), boxes

    # A's own edits after the resolution undo as usual, and save on top of B's version (autosave may save the
    # steps in between too: only the end matters).
    _move(page, BOX1, 20, 0)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+y")
    page.keyboard.press("Control+s")

    def final() -> dict[str, list[float]]:
        version, boxes = _stored(server, pid, iid)
        assert version > v_b, version
        assert close_to(boxes["car"], _shift(BOX1, 20, 0)), boxes
        return boxes

    boxes = eventually(final)
    assert close_to(boxes["person"], _shift(BOX2, -40, 30)), boxes
    _saved(page)
    assert page.evaluate("window.__editor.state().conflict") is False
    shots(page, "after-undo-and-save")
