"""Sorting the grid: the Sort menu puts the items in name order Z to A, the address keeps the sort (a reload shows
it again), and an item opened from the sorted grid walks on in that order with N, not in id order."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

# Imported in this order, so the ids follow it; by name Z to A: mango, kiwi, fig, cherry, banana, apple.
NAMES = ["kiwi", "apple", "mango", "banana", "cherry", "fig"]


def _project(server: Server, names: list[str] = NAMES, title: str = "Sorted grid") -> tuple[int, dict[str, int]]:
    pid: int = server.create_project(title, ["fruit"], item_kind="text")["id"]
    src = server.files / f"{title}.jsonl"
    src.write_text("".join(json.dumps({"id": n, "text": f"a note about {n}"}) + "\n" for n in names))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    assert [it["name"] for it in items] == names
    return pid, {it["name"]: it["id"] for it in items}


def test_a_grid_sorted_by_name_descending_and_next_in_that_order(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _project(server)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    thumbs = page.get_by_test_id("thumb")
    expect(thumbs).to_have_count(6)
    expect(thumbs.first).to_have_attribute("title", "kiwi")

    sort = page.get_by_test_id("sort-items")
    sort.select_option("-name")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?order=-name$"))
    expect(thumbs.first).to_have_attribute("title", "mango")
    shown = thumbs.evaluate_all("els => els.map((e) => e.title)")
    assert shown == sorted(NAMES, reverse=True)
    expect(page.get_by_test_id("shown-count")).to_have_text("6 items")  # a sort filters nothing
    shots(page, "sorted-z-to-a")

    # A reload keeps the sort.
    page.reload()
    expect(sort).to_have_value("-name")
    expect(thumbs.first).to_have_attribute("title", "mango")

    # The first item, then N: the next by name (kiwi), not the next by id (banana).
    thumbs.first.click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids['mango']}\?order=-name$"))
    expect(page.get_by_test_id("text-body")).to_have_text("a note about mango")
    expect(page.get_by_test_id("next-item")).to_be_enabled()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids['kiwi']}\?order=-name$"))
    expect(page.get_by_test_id("text-body")).to_have_text("a note about kiwi")
    expect(page.get_by_test_id("text-editor")).to_contain_text("2 / 6")
    shots(page, "next-by-name")

    # Back on the grid, it is still sorted.
    page.get_by_test_id("back-to-grid").click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?order=-name$"))
    expect(sort).to_have_value("-name")
    expect(thumbs.first).to_have_attribute("title", "mango")


def test_name_a_to_z_is_natural_and_ignores_case(page: Any, server: Server, shots: Shots) -> None:
    """Numbers in names sort as numbers and case does not count: img2 before img10, a before B before img1."""
    pid, ids = _project(server, ["img10", "img2", "img1", "B", "a", "Img3"], "Natural order")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    thumbs = page.get_by_test_id("thumb")
    expect(thumbs).to_have_count(6)
    page.get_by_test_id("sort-items").select_option(label="Name A\u2013Z")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?order=name$"))
    expect(thumbs.first).to_have_attribute("title", "a")
    assert thumbs.evaluate_all("els => els.map((e) => e.title)") == ["a", "B", "img1", "img2", "Img3", "img10"]
    shots(page, "sorted-naturally")

    # Opened from the sorted grid, N after img2 is Img3, then img10.
    thumbs.nth(3).click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids['img2']}\?order=name$"))
    expect(page.get_by_test_id("text-body")).to_have_text("a note about img2")
    expect(page.get_by_test_id("next-item")).to_be_enabled()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids['Img3']}\?order=name$"))
    expect(page.get_by_test_id("text-editor")).to_contain_text("5 / 6")
    expect(page.get_by_test_id("next-item")).to_be_enabled()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids['img10']}\?order=name$"))
