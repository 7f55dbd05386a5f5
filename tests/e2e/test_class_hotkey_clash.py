"""A class hotkey is checked against the keys of the editor the project's items open in. In a video project's
settings `f` (the video editor's next frame) is refused beside its row, naming the video editor and free keys to
take, while `b` (the image editor's Box tool, unused by the video editor) saves; the new-project wizard checks the
item kind chosen there, so the same `b` is refused for images and accepted once the items are videos."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login


def test_hotkeys_are_checked_against_the_editor_of_the_item_kind(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Video hotkeys", ["person", "car"], item_kind="video")["id"]
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/settings")
    key = page.get_by_label("Hotkey of class 2", exact=True)
    expect(key).to_have_value("2")
    problem = page.get_by_test_id("schema-editor").locator("ol > li").nth(1).locator(".error-text")
    save = page.get_by_role("button", name="Save changes")

    key.fill("f")
    expect(problem).to_have_text(
        "f is the video editor's key for the next frame, so it would not choose this class there; "
        "take a free key such as 2, 3 or a."
    )
    expect(key).to_have_attribute("aria-invalid", "true")
    expect(save).to_be_disabled()
    shots(page, "video-hotkey-refused")

    key.fill("b")
    expect(problem).to_have_count(0)
    save.click()
    expect(page.get_by_text("Project saved")).to_be_visible()
    classes = server.api.get(f"{API}/projects/{pid}").raise_for_status().json()["label_schema"]["classes"]
    assert [c["hotkey"] for c in classes] == ["1", "b"]

    # The wizard: `b` draws boxes in the image editor, and is free in the video editor.
    page.goto("/#/projects/new")
    page.get_by_test_id("add-class").click()
    page.get_by_label("Name of class 1", exact=True).fill("car")
    new_key = page.get_by_label("Hotkey of class 1", exact=True)
    new_key.fill("b")
    row = page.get_by_test_id("schema-editor").locator("ol > li").first
    expect(row.locator(".error-text")).to_have_text(
        "b is the image editor's key for the Box tool, so it would not choose this class there; "
        "take a free key such as 1, 2 or c."
    )
    page.get_by_role("radio", name="Video").check()
    expect(row.locator(".error-text")).to_have_count(0)
    expect(new_key).to_have_attribute("aria-invalid", "false")
