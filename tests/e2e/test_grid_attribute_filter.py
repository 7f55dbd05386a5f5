"""The grid's attribute filter on a real server: a project that declares attributes offers them in the filter bar;
"occluded = yes" shows only the items with an occluded box, "colour = red" together with the label car only those
with a red car (on the same box), the address carries the filter so a reload keeps it, and "Clear filters" drops
it. A project without declarations shows no attribute filter."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, expect_item_ids, import_images, login

SIZE = (320, 240)
ATTRIBUTES: list[dict[str, Any]] = [
    {"name": "occluded", "type": "bool"},
    {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"]},
    {"name": "speed", "type": "number"},
]


def _box(label: str, **attributes: Any) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": [10, 10, 80, 60]}, "attributes": attributes}


def _project(server: Server, name: str) -> tuple[int, list[int]]:
    """Five images: 0 an occluded red car; 1 a blue car and an occluded person; 2 a red car doing 30; 3 a person
    without values; 4 nothing."""
    body = {"name": name, "labels": [{"name": "car"}, {"name": "person"}], "attributes": ATTRIBUTES}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    ids = import_images(server, pid, name.lower().replace(" ", "-"), 5, SIZE)
    boxes = [[_box("car", occluded=True, colour="red")], [_box("car", colour="blue"), _box("person", occluded=True)],
             [_box("car", colour="red", occluded=False, speed=30)], [_box("person")], []]  # fmt: skip
    for iid, anns in zip(ids, boxes, strict=True):
        r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": anns})
        assert r.status_code == 200, r.text
    return pid, ids


def _shown(page: Any, ids: list[int]) -> None:
    """The grid shows these items, in this order (the count above it may be in before the grid is drawn)."""
    expect_item_ids(page.get_by_test_id("thumb"), ids)


def test_filter_by_attribute_value_with_a_label_kept_in_the_address(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _project(server, "Attribute filter")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    count = page.get_by_test_id("shown-count")
    expect(count).to_have_text("5 items")
    bar = page.get_by_test_id("filters")

    # occluded = yes: the items with an occluded box, whatever its label.
    bar.get_by_role("combobox", name="Attribute", exact=True).select_option("occluded")
    value = bar.get_by_role("combobox", name="Value of occluded")
    expect(value).to_have_value("")
    expect(count).to_have_text("3 items match")  # any value: items 0, 1 (the person) and 2 (false)
    value.select_option(label="Yes")
    expect(count).to_have_text("2 items match")
    expect(page.get_by_test_id("thumb")).to_have_count(2)
    _shown(page, [ids[0], ids[1]])
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?attribute=occluded&attribute_value=true$"))
    expect(page.get_by_test_id("filter-attribute")).to_have_attribute("title", "occluded = yes")

    # colour = red with the label car: the red cars (item 1's car is blue).
    bar.get_by_role("combobox", name="Label").select_option("car")
    bar.get_by_role("combobox", name="Attribute", exact=True).select_option("colour")
    bar.get_by_role("combobox", name="Value of colour").select_option("red")
    expect(count).to_have_text("2 items match")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?label=car&attribute=colour&attribute_value=red$"))
    _shown(page, [ids[0], ids[2]])
    shots(page, "colour-red-cars")

    # A reload keeps the filter, in the grid and in the bar.
    page.reload()
    expect(count).to_have_text("2 items match")
    _shown(page, [ids[0], ids[2]])
    expect(bar.get_by_role("combobox", name="Attribute", exact=True)).to_have_value("colour")
    expect(bar.get_by_role("combobox", name="Value of colour")).to_have_value("red")
    expect(page.get_by_test_id("filter-attribute")).to_have_attribute("title", "colour = red")

    # With the label person no red box is left (colour is a car's attribute): nothing matches.
    bar.get_by_role("combobox", name="Label").select_option("person")
    expect(page.get_by_role("heading", name="No items match")).to_be_visible()

    # "Clear filters" drops it all.
    bar.get_by_role("button", name="Clear filters").click()
    expect(count).to_have_text("5 items")
    expect(bar.get_by_role("combobox", name="Attribute", exact=True)).to_have_value("")
    expect(bar.get_by_role("combobox", name="Value of colour")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}$"))


def test_an_address_value_that_is_no_value_says_so_and_no_declarations_no_filter(page: Any, server: Server) -> None:
    pid, _ = _project(server, "Attribute filter from a link")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}?attribute=colour&attribute_value=green")
    expect(page.get_by_test_id("filter-notes")).to_have_text(
        "“green” is not one of colour's options (red, blue); ignored."
    )
    # The grid shows every item instead of a failed load (the filter is left out of its requests).
    expect(page.get_by_text("Loading more items failed")).to_have_count(0)
    expect(page.get_by_test_id("thumb")).not_to_have_count(0)

    # A number is typed: what is no number is said and not applied; a number is.
    page.goto(f"/#/projects/{pid}")
    bar = page.get_by_test_id("filters")
    bar.get_by_role("combobox", name="Attribute", exact=True).select_option("speed")
    speed = bar.get_by_role("textbox", name="Value of speed")
    speed.fill("fast")
    speed.press("Enter")
    expect(bar.get_by_role("alert")).to_have_text("speed is a number, not “fast”")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?attribute=speed$"))
    speed.fill("30.0")
    speed.press("Enter")
    expect(bar.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_test_id("shown-count")).to_have_text("1 item matches")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?attribute=speed&attribute_value=30.0$"))

    bare = server.create_project("No attributes", ["car"])
    page.goto(f"/#/projects/{bare['id']}")
    expect(page.get_by_test_id("shown-count")).to_have_text("0 items")
    expect(page.get_by_test_id("filters").get_by_role("combobox", name="Label")).to_be_visible()
    expect(page.get_by_test_id("filter-attribute")).to_have_count(0)
