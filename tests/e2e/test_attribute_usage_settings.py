"""Attributes in use on the settings page: each attribute and option says how many shapes hold it; a class renamed
in the label editor takes the attributes that name it along (the save succeeds); removing an option shapes hold
asks first, saying how many keep it: Keep editing changes nothing, Save anyway saves."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    eventually,
    import_images,
    login,
)

COLOUR = {"name": "colour", "type": "select", "options": ["red", "green", "blue"], "labels": ["car", "cart"]}


def _schema(server: Server, pid: int) -> dict[str, Any]:
    schema: dict[str, Any] = server.api.get(f"{API}/projects/{pid}").raise_for_status().json()["label_schema"]
    return schema


def _assert_options(server: Server, pid: int, options: list[str]) -> None:
    assert _schema(server, pid)["attributes"][0]["options"] == options


def _box(label: str, **attributes: Any) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": [10, 10, 50, 60]}, "attributes": attributes}


def test_usage_rename_follows_and_removing_an_option_in_use_asks(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Street colours", ["car", "cart", "person"])["id"]
    version = server.api.get(f"{API}/projects/{pid}").json()["version"]
    r = server.api.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": [COLOUR]})
    assert r.status_code == 200, r.text
    [iid] = import_images(server, pid, "usage-scenes", 1)
    boxes = [_box("car", colour="green"), _box("car", colour="green"), _box("car", colour="red"), _box("person")]
    r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": boxes})
    assert r.status_code == 200, r.text

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/settings")
    attr = page.get_by_test_id("attribute").nth(0)
    expect(attr.get_by_test_id("attribute-usage")).to_have_text("· used on 3 shapes")
    expect(attr.get_by_test_id("option-usage").get_by_role("listitem")).to_have_text(
        ["“red” used on 1 shape", "“green” used on 2 shapes", "“blue” not used yet"]
    )
    save = page.get_by_role("button", name="Save changes")

    # Renaming "cart" to "cars", by way of "car" (the other class the attribute names): the attribute follows the
    # renamed row, keeps "car", and warns of no missing class.
    name = page.get_by_label("Name of class 2")
    name.click()
    name.press("End")
    name.press("Backspace")
    expect(attr.get_by_test_id("attribute-missing-class")).to_have_count(0)
    page.keyboard.type("s")
    expect(attr.get_by_role("checkbox", name="cars")).to_be_checked()
    expect(attr.get_by_role("checkbox", name="car", exact=True)).to_be_checked()
    expect(attr.get_by_test_id("attribute-missing-class")).to_have_count(0)
    shots(page, "renamed")
    save.click()
    expect(page.get_by_text("Project saved")).to_be_visible()
    schema = _schema(server, pid)
    assert [c["name"] for c in schema["classes"]] == ["car", "cars", "person"]
    assert schema["attributes"][0]["labels"] == ["car", "cars"]

    # Removing "green", which two shapes hold: the page asks first, and says what becomes of the value.
    attr.get_by_label("Options").fill("red\nblue")
    expect(attr.get_by_test_id("option-usage")).to_contain_text("“green” used on 2 shapes (removed above)")
    save.click()
    dialog = page.get_by_role("dialog", name="Annotations use what this save changes")
    expect(dialog).to_contain_text(
        "2 shapes hold “green”: they keep the value, and the editor flags it until someone changes it."
    )
    keep = dialog.get_by_role("button", name="Keep editing")
    expect(keep).to_be_focused()  # Enter does not save by accident
    shots(page, "asks")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert _schema(server, pid)["attributes"][0]["options"] == ["red", "green", "blue"]
    expect(attr.get_by_label("Options")).to_have_value("red\nblue")  # the edit is still there

    # Escape cancels too; Save anyway saves, and the shapes keep "green".
    save.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert _schema(server, pid)["attributes"][0]["options"] == ["red", "green", "blue"]
    save.click()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Save anyway")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    # The first save's "Project saved" may still show: wait for the server to have the options.
    eventually(lambda: _assert_options(server, pid, ["red", "blue"]))
    held = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["annotations"]
    assert [a["attributes"].get("colour") for a in held] == ["green", "green", "red", None]
    # After the save the counts are read again: "green" is no option any more, so it is not listed.
    expect(attr.get_by_test_id("option-usage").get_by_role("listitem")).to_have_text(
        ["“red” used on 1 shape", "“blue” not used yet"]
    )
