"""Attributes in the image editor on a real server: the "Attributes" section of the side panel shows a control per
attribute the selected box's class takes, starting from the declared defaults; values set there are autosaved and
come back after a reload; a relabel drops what the new class does not take (and the save succeeds) and undo brings
it back; typing into a number attribute is not taken for the editor's label keys; a stored value that is no value
of its attribute is flagged and can be fixed; a viewer sees the values but cannot change them.
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
    drag_in_image,
    editor_saved,
    eventually,
    focused,
    import_images,
    login,
    logout,
    wait_for_editor,
)

SIZE = (800, 600)
ATTRIBUTES: list[dict[str, Any]] = [
    {"name": "occluded", "type": "bool", "default": False},
    {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"]},
    {"name": "speed", "type": "number"},
]


def _project(server: Server, name: str, attributes: list[dict[str, Any]]) -> int:
    body = {"name": name, "labels": [{"name": "car"}, {"name": "person"}], "attributes": attributes}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    return pid


def _annotations(server: Server, pid: int, iid: int) -> list[dict[str, Any]]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    anns: list[dict[str, Any]] = body["annotations"]
    return anns


def _selection(page: Any) -> Any:
    """The side panel's "Selection" section (the selected shape's class, kind, size, ...)."""
    sidebar = page.get_by_role("complementary", name="Labels and properties")
    return sidebar.locator("section").filter(has=page.get_by_role("heading", name="Selection", exact=True))


def _open(page: Any, pid: int, iid: int) -> Any:
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    return page.get_by_test_id("attributes")


def test_attributes_are_set_saved_reloaded_dropped_by_a_relabel_and_undone(
    page: Any, server: Server, shots: Shots
) -> None:
    pid = _project(server, "Attributes in the editor", ATTRIBUTES)
    [iid] = import_images(server, pid, "editor-attributes", 1, SIZE)
    _, password = add_member(server, pid, "attr-annotator", "annotator")
    login(page, "attr-annotator", password)
    panel = _open(page, pid, iid)
    expect(panel).to_contain_text("Select a shape to see and set its attributes.")

    # A new car box starts with the defaults: occluded unchecked, colour not set.
    page.keyboard.press("b")
    page.keyboard.press("1")
    drag_in_image(page, SIZE, (200, 150), (500, 400))
    occluded = panel.get_by_role("checkbox", name="occluded")
    colour = panel.get_by_role("combobox", name="colour")
    expect(occluded).not_to_be_checked()
    expect(colour).to_have_value("")
    expect(colour.locator("option:checked")).to_have_text("— not set —")
    shots(page, "new-car")

    announcer = page.get_by_test_id("announcer")
    colour.select_option("blue")
    expect(announcer).to_have_text(re.compile("^colour blue on car"))
    occluded.check()
    expect(announcer).to_have_text(re.compile("^occluded checked on car"))
    editor_saved(page)
    shots(page, "set-and-saved")
    [box] = eventually(lambda: _only_with(_annotations(server, pid, iid), {"occluded": True, "colour": "blue"}))
    assert box["label"] == "car" and box["attributes"] == {"occluded": True, "colour": "blue"}, box

    # After a reload the box shows its values again.
    page.reload()
    panel = _open(page, pid, iid)
    page.keyboard.press("Tab")  # select the one shape
    occluded = panel.get_by_role("checkbox", name="occluded")
    expect(occluded).to_be_checked()
    expect(panel.get_by_role("combobox", name="colour")).to_have_value("blue")
    shots(page, "reloaded")

    # F6 from the canvas goes round the regions and reaches the section's first control.
    page.get_by_test_id("editor-canvas").focus()
    stops = []
    for _ in range(6):
        page.keyboard.press("F6")
        stops.append(focused(page))
        if occluded.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError(f"F6 never reached the occluded checkbox: {stops}")

    # Typing "2" into the number attribute enters a number; it does not relabel the box as person (key 2).
    speed = panel.get_by_role("spinbutton", name="speed")
    speed.click()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    selection = _selection(page)
    expect(selection).to_contain_text("car")
    expect(speed).to_have_value("2")
    editor_saved(page)
    eventually(lambda: _only_with(_annotations(server, pid, iid), {"speed": 2}))
    assert _annotations(server, pid, iid)[0]["label"] == "car"

    # Esc takes back an entry not yet taken, and leaves the field for the canvas.
    page.keyboard.type("7")
    expect(speed).to_have_value("27")
    page.keyboard.press("Escape")
    expect(speed).to_have_value("2")
    expect(speed).not_to_be_focused()

    # Relabel to person (2 picks person): colour does not apply and goes; speed keeps 2, not 27.
    page.keyboard.press("2")
    expect(selection).to_contain_text("person")
    expect(panel.get_by_role("combobox", name="colour")).to_have_count(0)
    expect(panel.get_by_role("checkbox", name="occluded")).to_be_checked()
    editor_saved(page)
    shots(page, "relabelled")
    [person] = eventually(lambda: _only_with(_annotations(server, pid, iid), {"speed": 2}, label="person"))
    assert person["attributes"] == {"occluded": True, "speed": 2}, person

    # Undo brings the car and its colour back, and that is saved too.
    page.keyboard.press("Control+z")
    expect(selection).to_contain_text("car")
    expect(panel.get_by_role("combobox", name="colour")).to_have_value("blue")
    editor_saved(page)
    eventually(lambda: _only_with(_annotations(server, pid, iid), {"colour": "blue", "speed": 2}, label="car"))
    shots(page, "undone")


def _only_with(anns: list[dict[str, Any]], attrs: dict[str, Any], label: str | None = None) -> list[dict[str, Any]]:
    """The one stored annotation, once it carries ``attrs`` (and ``label``); an AssertionError until then."""
    assert len(anns) == 1, anns
    a = anns[0]
    assert all(a["attributes"].get(k) == v for k, v in attrs.items()), a
    assert label is None or a["label"] == label, a
    return anns


def test_a_stored_value_that_is_no_value_is_flagged_refused_by_the_server_and_fixed_and_viewers_only_look(
    page: Any, server: Server, shots: Shots
) -> None:
    # "colour" on every class here, so that a relabel keeps the stored value (the server does not check an
    # unchanged value again while it applies to the new label).
    narrow = [{**a, "labels": []} if a["name"] == "colour" else a for a in ATTRIBUTES]
    wide = [{**a, "options": ["red", "blue", "green"]} if a["name"] == "colour" else a for a in narrow]
    pid = _project(server, "Attributes flagged", wide)
    [iid] = import_images(server, pid, "editor-attributes-bad", 1, SIZE)
    box = {"kind": "box", "label": "car", "geometry": {"bbox": [100, 100, 300, 260]}, "attributes": {"colour": "green"}}
    r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": [box]})
    assert r.status_code == 200, r.text
    version = server.api.get(f"{API}/projects/{pid}").json()["version"]
    r = server.api.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": narrow})
    assert r.status_code == 200, r.text
    _, viewer_password = add_member(server, pid, "attr-viewer", "viewer")
    _, password = add_member(server, pid, "attr-fixer", "annotator")

    # A viewer sees the flagged value, with the controls off.
    login(page, "attr-viewer", viewer_password)
    panel = _open(page, pid, iid)
    page.keyboard.press("Tab")
    expect(panel).to_contain_text("'green' is not one of red, blue")
    expect(panel.get_by_role("combobox", name="colour")).to_be_disabled()
    expect(panel.get_by_role("checkbox", name="occluded")).to_be_disabled()
    expect(panel.get_by_role("button", name="Clear colour")).to_have_count(0)
    shots(page, "viewer")

    # An annotator relabels the box as person: the odd value, unchanged, goes along and the save goes through.
    logout(page)
    login(page, "attr-fixer", password)
    panel = _open(page, pid, iid)
    page.keyboard.press("Tab")
    colour = panel.get_by_role("combobox", name="colour")
    expect(colour).to_have_accessible_description("'green' is not one of red, blue")
    page.keyboard.press("2")
    editor_saved(page)
    eventually(lambda: _only_with(_annotations(server, pid, iid), {"colour": "green"}, label="person"))

    # A manager takes "blue" out while the editor is open; the annotator picks it: the server refuses the save,
    # and the editor says so in terms of the shape, which stays selected.
    version = server.api.get(f"{API}/projects/{pid}").json()["version"]
    only_red = [{**a, "options": ["red"]} if a["name"] == "colour" else a for a in narrow]
    r = server.api.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": only_red})
    assert r.status_code == 200, r.text
    colour.select_option("blue")
    status = page.get_by_test_id("save-status")
    expect(status).to_have_attribute("data-status", "error")
    expect(status).to_contain_text("Not saved: person box: attribute 'colour' 'blue' is not one of red")
    expect(_selection(page)).to_contain_text("person")
    shots(page, "refused")
    assert _annotations(server, pid, iid)[0]["attributes"]["colour"] == "green"

    # Picking a value the attribute has clears the warning, and the next save goes through.
    colour.select_option("red")
    expect(panel).not_to_contain_text("is not one of")
    editor_saved(page)
    eventually(lambda: _only_with(_annotations(server, pid, iid), {"colour": "red"}, label="person"))
    shots(page, "fixed")
