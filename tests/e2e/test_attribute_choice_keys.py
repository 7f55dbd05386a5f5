"""A drop-down attribute in the image editor stepped through with the arrow keys on a real server: the closed
drop-down's value moves with each key, but the box takes one value, when the person leaves the control (or presses
Enter), so one Ctrl+Z puts back what it was before the keys, not the option one key before.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, add_member, drag_in_image, eventually, import_images, login, wait_for_editor

SIZE = (800, 600)


def _colours(server: Server, pid: int, iid: int) -> list[Any]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    return [a["attributes"].get("colour") for a in body["annotations"]]


def test_arrow_keys_on_a_closed_drop_down_make_one_change_taken_on_leaving_or_enter(page: Any, server: Server) -> None:
    body = {"name": "Choice keys", "labels": [{"name": "car"}],
            "attributes": [{"name": "colour", "type": "select", "options": ["red", "blue", "green"]}]}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    [iid] = import_images(server, pid, "choice-keys", 1, SIZE)
    _, password = add_member(server, pid, "choice-keys-annotator", "annotator")
    login(page, "choice-keys-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    page.keyboard.press("b")
    drag_in_image(page, SIZE, (200, 150), (500, 400))
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_enabled()
    before = undo.get_attribute("title")

    colour = page.get_by_test_id("attributes").get_by_role("combobox", name="colour")
    colour.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(colour).to_have_value("green")
    expect(undo).to_have_attribute("title", before or "")  # nothing taken while the keys move the choice
    page.keyboard.press("Tab")  # leaving takes it
    expect(undo).to_have_attribute("title", "Undo set colour (Ctrl+Z)")
    eventually(lambda: _check(_colours(server, pid, iid) == ["green"]))

    # One undo step: back to unset, not to blue.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Control+z")
    expect(colour).to_have_value("")
    eventually(lambda: _check(_colours(server, pid, iid) == [None]))

    # Enter takes it too; Esc takes the keys back.
    colour.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    eventually(lambda: _check(_colours(server, pid, iid) == ["red"]))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(colour).to_have_value("red")
    page.get_by_test_id("editor-canvas").focus()
    eventually(lambda: _check(_colours(server, pid, iid) == ["red"]))


def _check(ok: bool) -> None:
    assert ok
