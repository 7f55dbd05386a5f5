"""A project of more than one grid page (QA, three findings): items deleted from the grid leave it at once, an item
deep in a filtered, sorted list shows its position ("150 / 248"), and Next to an item deleted since goes on to the
next item that exists instead of a "Not found" page."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

N_ITEMS = 250  # more than the grid's first page (200)


def _project(server: Server) -> tuple[int, list[int]]:
    """A text project of N_ITEMS items named t000..t249, in that (id) order; returns it and the ids."""
    pid: int = server.create_project("Deep list", ["refund"], item_kind="text")["id"]
    src = server.files / "deep-list"
    src.mkdir()
    rows = [{"id": f"t{i:03d}", "text": f"request number {i}"} for i in range(N_ITEMS)]
    (src / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "requests.jsonl"), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 1000}).raise_for_status().json()["items"]
    assert [it["name"] for it in items] == [row["id"] for row in rows]
    return pid, [it["id"] for it in items]


def _thumb(page: Any, item_id: int) -> Any:
    return page.locator(f'[data-testid="thumb"][data-item-id="{item_id}"]')


def test_delete_from_a_long_grid_then_walk_deep_past_a_deleted_item(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _project(server)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS} items")
    expect(page.get_by_test_id("grid")).to_have_attribute("data-loaded", "200")

    # Delete two tiles: they leave the grid at once (the refreshed first page is as long as before).
    for i in (1, 2):
        _thumb(page, ids[i]).hover()
        page.locator(f'[data-testid="thumb-check"][data-check-id="{ids[i]}"]').click()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 selected")
    page.get_by_test_id("delete-selected").click()
    page.get_by_test_id("delete-confirm").click()
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS - 2} items")
    expect(_thumb(page, ids[1])).to_have_count(0)
    expect(_thumb(page, ids[2])).to_have_count(0)
    expect(_thumb(page, ids[0])).to_be_visible()
    expect(_thumb(page, ids[3])).to_be_visible()
    shots(page, "deleted-from-a-long-grid")

    # An item deep in a filtered list sorted Z to A: t100 has 149 items after it by name, so it is 150th of 248.
    query = "status=new&order=-name"
    page.goto(f"/#/projects/{pid}/items/{ids[100]}?{query}")
    expect(page.get_by_test_id("text-body")).to_have_text("request number 100")
    position = page.get_by_test_id("item-position")
    expect(position).to_have_text("150 / 248 in the filtered list")
    shots(page, "deep-position")

    # Someone else deletes the next item (t099); Next goes on to t098, and it knows its place.
    server.api.post(f"{API}/projects/{pid}/items/delete", json={"item_ids": [ids[99]]}).raise_for_status()
    page.get_by_test_id("next-item").click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids[98]}\?{re.escape(query)}$"))
    expect(page.get_by_test_id("text-body")).to_have_text("request number 98")
    expect(position).to_have_text("151 / 247 in the filtered list")
    page.get_by_test_id("prev-item").click()
    expect(page.get_by_test_id("text-body")).to_have_text("request number 100")
    expect(position).to_have_text("150 / 247 in the filtered list")
