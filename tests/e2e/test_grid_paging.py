"""The grid with more items than one page: it fetches keyset pages as the view nears the end of what is loaded,
and keeps only the rows in view in the page however far it scrolls."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

N_ITEMS = 3_000


def test_the_grid_loads_pages_as_it_scrolls_and_keeps_the_dom_small(page: Any, server: Server, shots: Shots) -> None:
    source = server.home / "texts.jsonl"
    with source.open("w") as f:
        for i in range(N_ITEMS):
            f.write(json.dumps({"id": f"t{i:05d}", "text": f"support request number {i}", "label": "card"}) + "\n")
    project = server.create_project("Three thousand texts", ["card"], item_kind="text")
    r = server.api.post(f"{API}/projects/{project['id']}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"

    pages: list[str] = []

    def grid_page(req: Any) -> None:
        # The grid's pages; the project page also counts the items "Returned to me" (status=rejected&annotator=me).
        if f"/projects/{project['id']}/items?" in req.url and "annotator=" not in req.url:
            pages.append(req.url)

    page.on("request", grid_page)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{project['id']}")
    grid = page.get_by_test_id("grid")
    expect(page.get_by_test_id("thumb").first).to_contain_text("support request number 0")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS:,} items")
    assert len(pages) == 1, "the first page should be enough until the user scrolls"

    # Scroll to the end a screen at a time, as a person dragging the scrollbar would, and watch the DOM.
    most = grid.evaluate(
        """async (el) => {
          let most = 0;
          for (let i = 0; i < 2000 && el.dataset.done !== 'true'; i++) {
            el.scrollTop += el.clientHeight;
            await new Promise(r => requestAnimationFrame(r));
            most = Math.max(most, el.querySelectorAll('[data-testid=thumb]').length);
          }
          return most;
        }"""
    )
    expect(grid).to_have_attribute("data-loaded", str(N_ITEMS))
    assert most < 120, f"{most} cells were in the page at once: the grid renders rows out of view"
    assert 3 <= len(pages) <= 6, f"{len(pages)} page requests for {N_ITEMS} items"
    assert all("after=" in url for url in pages[1:]), "later pages must continue from the last id (keyset)"
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(page.locator('[data-testid="thumb"]').last).to_contain_text(f"support request number {N_ITEMS - 1}")
    shots(page, "grid-end")
