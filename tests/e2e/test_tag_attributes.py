"""Attributes of whole-item classes on a real server: adding an image tag (or a whole-text class) shows its
"Tag attributes" ("Class attributes") section with the declared defaults; a choice set there is autosaved, is
stored on the tag's annotation, and shows again after a reload."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, add_member, editor_saved, import_images, login, wait_for_editor

SIZE = (640, 480)
WEATHER = {"name": "weather", "type": "select", "options": ["sun", "rain"], "labels": ["street"]}
BLURRY = {"name": "blurry", "type": "bool", "default": False}


def _stored(server: Server, pid: int, iid: int) -> list[tuple[str, str | None, dict[str, Any]]]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["annotations"]
    return [(a["kind"], a["label"], a["attributes"]) for a in anns]


def test_an_image_tag_takes_a_choice_that_is_saved_and_shown_after_a_reload(page: Any, server: Server) -> None:
    body = {"name": "Tag attributes images", "labels": [{"name": "street"}, {"name": "indoor"}],
            "kinds": ["box", "class"], "attributes": [WEATHER, BLURRY]}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    [iid] = import_images(server, pid, "tag-attributes", 1, SIZE)
    _, password = add_member(server, pid, "tag-attr-annotator", "annotator")
    login(page, "tag-attr-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    panel = page.get_by_test_id("tag-attributes")
    expect(panel).to_have_count(0)  # no tag yet

    page.get_by_test_id("class-tag-street").click()
    expect(panel).to_contain_text("street")
    weather = panel.get_by_role("combobox", name="weather")
    expect(weather).to_have_value("")
    expect(panel.get_by_role("checkbox", name="blurry")).not_to_be_checked()
    weather.select_option("rain")
    editor_saved(page)
    assert _stored(server, pid, iid) == [("class", "street", {"blurry": False, "weather": "rain"})]

    page.reload()
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("class-tag-street")).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_role("combobox", name="weather")).to_have_value("rain")

    # A second tag shows its own attributes; the arrow keys back onto the first show the first's again.
    page.get_by_test_id("class-tag-indoor").click()
    expect(panel.get_by_role("combobox", name="weather")).to_have_count(0)
    expect(panel.get_by_role("checkbox", name="blurry")).to_be_visible()
    page.get_by_test_id("class-tag-indoor").focus()
    page.keyboard.press("ArrowLeft")
    expect(panel.get_by_role("combobox", name="weather")).to_have_value("rain")
    editor_saved(page)


def test_a_whole_text_class_takes_a_choice_that_is_saved_and_shown_after_a_reload(page: Any, server: Server) -> None:
    body = {"name": "Tag attributes texts", "item_kind": "text", "labels": [{"name": "street"}, {"name": "indoor"}],
            "kinds": ["class", "span"], "attributes": [WEATHER, BLURRY]}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    source = server.files / "tag-attribute-texts" / "texts.jsonl"
    source.parent.mkdir()
    source.write_text(json.dumps({"id": "t0", "text": "Rain on the high street all afternoon."}) + "\n")
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    [iid] = [i["id"] for i in server.api.get(f"{API}/projects/{pid}/items").json()["items"]]
    _, password = add_member(server, pid, "class-attr-annotator", "annotator")
    login(page, "class-attr-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    panel = page.get_by_test_id("class-attributes")

    page.get_by_test_id("class-tag-street").click()
    expect(panel).to_contain_text("street")
    weather = panel.get_by_role("combobox", name="weather")
    expect(weather).to_have_value("")
    weather.select_option("rain")
    editor_saved(page)
    assert _stored(server, pid, iid) == [("class", "street", {"blurry": False, "weather": "rain"})]

    page.reload()
    expect(page.get_by_test_id("class-tag-street")).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_role("combobox", name="weather")).to_have_value("rain")


def test_the_project_pages_label_column_keeps_to_a_share_of_a_narrow_window(page: Any, server: Server) -> None:
    r = server.api.post(f"{API}/projects", json={"name": "Tag attributes narrow", "labels": [{"name": "street"}]})
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    import_images(server, pid, "tag-attributes-narrow", 2, SIZE)
    _, password = add_member(server, pid, "tag-attr-narrow", "annotator")
    page.set_viewport_size({"width": 700, "height": 700})
    login(page, "tag-attr-narrow", password)
    page.goto(f"/#/projects/{pid}")
    toggle = page.get_by_test_id("labels-toggle")
    expect(toggle).to_be_visible()
    side = toggle.locator("xpath=../..").bounding_box()
    assert side is not None
    assert side["width"] <= 240, side
    assert side["x"] + side["width"] <= 700, side
