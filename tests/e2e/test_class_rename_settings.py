"""Renaming a class that a box uses on the settings page: the hint says the annotations follow, the save
succeeds, the attribute that names the class follows, and the editor then shows the box under its new class."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login, wait_for_editor

SIZE = (640, 480)


def test_renaming_a_used_class_renames_the_box(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Street renames", ["ped", "car"])["id"]
    version = server.api.get(f"{API}/projects/{pid}").json()["version"]
    crossing = {"name": "crossing", "type": "bool", "labels": ["ped"]}
    r = server.api.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": [crossing]})
    assert r.status_code == 200, r.text
    [iid] = import_images(server, pid, "rename-scenes", 1, SIZE)
    box = {"kind": "box", "label": "ped", "geometry": {"bbox": [100, 100, 200, 150]}, "attributes": {"crossing": True}}
    r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": [box]})
    assert r.status_code == 200, r.text

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/settings")
    expect(page.get_by_text("Renaming a class renames it on every annotation that uses it")).to_be_visible()
    attr = page.get_by_test_id("attribute").nth(0)
    expect(attr.get_by_test_id("attribute-usage")).to_have_text("· used on 1 shape")
    name = page.get_by_label("Name of class 1")
    name.click()
    name.press("End")
    page.keyboard.type("estrian")
    expect(attr.get_by_role("checkbox", name="pedestrian")).to_be_checked()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Project saved")).to_be_visible()
    expect(attr.get_by_test_id("attribute-usage")).to_have_text("· used on 1 shape")
    shots(page, "saved")

    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
    assert [a["label"] for a in anns] == ["pedestrian"]

    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    page.keyboard.press("Tab")  # select the one shape
    sidebar = page.get_by_role("complementary", name="Labels and properties")
    selection = sidebar.locator("section").filter(has=page.get_by_role("heading", name="Selection", exact=True))
    expect(selection).to_contain_text("pedestrian")
    expect(page.get_by_test_id("attributes").get_by_role("checkbox", name="crossing")).to_be_checked()
    shots(page, "editor")
