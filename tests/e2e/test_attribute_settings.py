"""Declaring attributes on the project settings page: a choice attribute for one class and a yes/no one for every
class, saved with the classes and shown again after a reload; the server's refusal of a name declared twice shows
at that attribute; removing a class an attribute applies to is said at the attribute, before and after saving,
and the attribute can be pointed at another class and saved."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login


def _attrs(server: Server, pid: int) -> list[dict[str, Any]]:
    project = server.api.get(f"{API}/projects/{pid}").raise_for_status().json()
    attributes: list[dict[str, Any]] = project["label_schema"]["attributes"]
    return attributes


def test_declare_attributes_reload_duplicate_name_and_removed_class(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Reviews with attributes", ["opinion", "fact"], item_kind="text")["id"]
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/settings")
    expect(page.get_by_role("heading", name="Attributes", level=3)).to_be_visible()
    expect(page.get_by_test_id("attribute")).to_have_count(0)
    save = page.get_by_role("button", name="Save changes")

    # A choice "sentiment" for the class opinion, default neg.
    page.get_by_test_id("add-attribute").click()
    first = page.get_by_test_id("attribute").nth(0)
    expect(first.get_by_label("Name")).to_be_focused()
    page.keyboard.type("sentiment")
    # A new attribute needs nothing more than its name; a choice needs its options, and says so.
    first.get_by_label("Type").select_option(label="Choice")
    expect(first.get_by_text("One of the options below, picked from a list.")).to_be_visible()
    expect(first.get_by_test_id("attribute-problem")).to_have_text("A choice needs options: type one per line.")
    expect(save).to_be_disabled()
    first.get_by_label("Options").fill("pos\nneg")
    first.get_by_label("Chosen classes").check()
    expect(first.get_by_test_id("attribute-problem")).to_have_text(
        "Tick the classes it applies to, or choose “every class”."
    )
    first.get_by_role("checkbox", name="opinion").check()
    first.get_by_label("Default").select_option("neg")
    # A yes/no "negated" for every class.
    page.get_by_test_id("add-attribute").click()
    second = page.get_by_test_id("attribute").nth(1)
    second.get_by_label("Name").fill("negated")
    expect(second.get_by_label("Type")).to_have_value("bool")
    expect(second.get_by_text("A checkbox: yes or no, such as “occluded”.")).to_be_visible()
    expect(page.get_by_test_id("attribute-problem")).to_have_count(0)
    # Up takes "negated" to the top, where its Up is off: the focus stays with it (its Down), and back down.
    second.get_by_role("button", name="Move attribute negated up").click()
    expect(page.get_by_test_id("attribute").nth(0).get_by_label("Name")).to_have_value("negated")
    expect(page.get_by_role("button", name="Move attribute negated down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("attribute").nth(1).get_by_label("Name")).to_have_value("negated")
    expect(page.get_by_role("button", name="Move attribute negated up")).to_be_focused()
    shots(page, "two-attributes")
    save.click()
    expect(page.get_by_text("Project saved")).to_be_visible()
    assert _attrs(server, pid) == [
        {"name": "sentiment", "type": "select", "options": ["pos", "neg"], "labels": ["opinion"], "default": "neg"},
        {"name": "negated", "type": "bool", "options": [], "labels": [], "default": None},
    ]

    page.reload()
    first = page.get_by_test_id("attribute").nth(0)
    second = page.get_by_test_id("attribute").nth(1)
    expect(first.get_by_label("Name")).to_have_value("sentiment")
    expect(first.get_by_label("Type")).to_have_value("select")
    expect(first.get_by_label("Options")).to_have_value("pos\nneg")
    expect(first.get_by_label("Chosen classes")).to_be_checked()
    expect(first.get_by_role("checkbox", name="opinion")).to_be_checked()
    expect(first.get_by_role("checkbox", name="fact")).not_to_be_checked()
    expect(first.get_by_label("Default")).to_have_value("neg")
    expect(second.get_by_label("Name")).to_have_value("negated")
    expect(second.get_by_label("Every class")).to_be_checked()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    shots(page, "reloaded")

    # A name declared twice: the server refuses it, and says so at the name of both attributes of that name.
    page.get_by_test_id("add-attribute").click()
    third = page.get_by_test_id("attribute").nth(2)
    third.get_by_label("Name").fill("sentiment")
    save.click()
    for attr in (first, third):
        expect(attr.get_by_role("alert")).to_have_text("attribute 'sentiment' is declared twice")
        expect(attr.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(second.get_by_role("alert")).to_have_count(0)
    # The first attribute the server names is brought into view with its name focused (Save is far below it).
    expect(first.get_by_label("Name")).to_be_focused()
    expect(page.get_by_test_id("problem")).to_have_count(0)  # not repeated at the foot of the form
    shots(page, "declared-twice", full_page=True)
    page.get_by_role("button", name="Remove attribute sentiment").nth(1).click()
    expect(page.get_by_test_id("attribute")).to_have_count(2)
    assert [a["name"] for a in _attrs(server, pid)] == ["sentiment", "negated"]

    # Removing the class "sentiment" applies to: the attribute says so at once, and again after a refused save.
    page.get_by_role("button", name="Remove class opinion").click()
    expect(first.get_by_test_id("attribute-missing-class")).to_contain_text(
        "“opinion” is not a class of the project any more (removed or renamed above)"
    )
    save.click()
    expect(first.get_by_role("alert")).to_have_text(
        "attribute 'sentiment' applies to 'opinion', which is not a class of the project: take it out of the"
        " attribute, or keep the class"
    )
    expect(first.get_by_role("button", name="Remove “opinion” from this attribute")).to_be_focused()
    shots(page, "class-removed", full_page=True)
    assert [c["name"] for c in server.api.get(f"{API}/projects/{pid}").json()["label_schema"]["classes"]] == [
        "opinion",
        "fact",
    ]
    # The way out it offers: drop the class from the attribute, then choose the class it applies to now.
    first.get_by_role("button", name="Remove “opinion” from this attribute").click()
    expect(first.get_by_test_id("attribute-missing-class")).to_have_count(0)
    # The server's message goes with the change it was about; what the form needs now takes its place.
    expect(first.get_by_test_id("attribute-problem")).to_have_text(
        "Tick the classes it applies to, or choose “every class”."
    )
    expect(save).to_be_disabled()
    first.get_by_role("checkbox", name="fact").check()
    save.click()
    expect(page.get_by_text("Project saved")).to_be_visible()
    project = server.api.get(f"{API}/projects/{pid}").json()
    assert [c["name"] for c in project["label_schema"]["classes"]] == ["fact"]
    assert project["label_schema"]["attributes"][0]["labels"] == ["fact"]
    shots(page, "saved-after-fix")


def test_a_new_project_declares_attributes_with_its_classes(page: Any, server: Server, shots: Shots) -> None:
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto("/#/projects/new")
    page.get_by_label("Name", exact=True).first.fill("Cars with colours")
    page.get_by_test_id("add-class").click()
    page.keyboard.type("car")
    page.get_by_test_id("add-attribute").click()
    attr = page.get_by_test_id("attribute").nth(0)
    attr.get_by_label("Name").fill("colour")
    attr.get_by_label("Type").select_option(label="Choice")
    attr.get_by_label("Options").fill("red\nblue")
    attr.get_by_label("Chosen classes").check()
    attr.get_by_role("checkbox", name="car").check()
    shots(page, "new-project")
    page.get_by_test_id("create-project").click()
    expect(page.get_by_text("Project “Cars with colours” created")).to_be_visible()
    pid = int(page.url.rsplit("/", 1)[1])
    assert _attrs(server, pid) == [
        {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"], "default": None}
    ]
