"""The grid with more items than one page: it fetches keyset pages as the view nears the end of what is loaded,
and keeps only the rows in view in the page however far it scrolls. The score bounds of its filters narrow it."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login

N_ITEMS = 3_000


def test_the_grid_loads_pages_as_it_scrolls_and_keeps_the_dom_small(page: Any, server: Server, shots: Shots) -> None:
    source = server.files / "texts.jsonl"
    with source.open("w") as f:
        for i in range(N_ITEMS):
            f.write(json.dumps({"id": f"t{i:05d}", "text": f"support request number {i}", "label": "card"}) + "\n")
    project = server.create_project("Three thousand texts", ["card"], item_kind="text")
    r = server.api.post(f"{API}/projects/{project['id']}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"

    pages: list[str] = []

    def grid_page(req: Any) -> None:
        # The grid's pages; the project page also counts the items "Returned to me" (status=rejected&annotator=me)
        # and those waiting for review (status=labeled&limit=1&with_total=true).
        counting = "annotator=" in req.url or "limit=1&" in req.url or req.url.endswith("limit=1")
        if f"/projects/{project['id']}/items?" in req.url and not counting:
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
            // A frame, or 100 ms when the browser paints none (a page it thinks hidden): a bare
            // requestAnimationFrame then never resolves and the evaluate waited forever (seen once in CI).
            await new Promise(r => { requestAnimationFrame(r); setTimeout(r, 100); });
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


def test_the_score_bounds_narrow_the_grid(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Scored proposals", ["car"])
    pid = project["id"]
    ids = import_images(server, pid, "scored-proposals", 4, (200, 150))
    # A model's box on three items (scores 0.95, 0.4 and 0.7); the fourth has a human box, which has no score.
    for iid, score in zip(ids, (0.95, 0.4, 0.7, None), strict=True):
        version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["version"]
        box = {"kind": "box", "label": "car", "geometry": {"bbox": [10, 10, 60, 50]}}
        if score is not None:
            box |= {"source": "model", "model_version": "m@1", "score": score}
        r = server.api.put(
            f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": version, "annotations": [box]}
        )
        assert r.status_code == 200, r.text

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    shown = page.get_by_test_id("shown-count")
    expect(shown).to_have_text("4 items")
    lowest, highest = page.get_by_label("Lowest score"), page.get_by_label("Highest score")

    def bound(box: Any, value: str) -> None:
        # Typed, then Tab: the number box's change event applies the bounds.
        box.fill(value)
        box.press("Tab")

    bound(lowest, "0.5")
    expect(shown).to_have_text("2 items match")
    bound(highest, "0.8")
    expect(shown).to_have_text("1 item matches")
    expect(page.locator(f'[data-testid="thumb"][data-item-id="{ids[2]}"]')).to_be_visible()
    shots(page, "between-0.5-and-0.8")
    # A cleared box is no bound.
    bound(lowest, "")
    expect(shown).to_have_text("2 items match")
    # A reversed range is refused with a reason, and the grid keeps the last bounds that made sense.
    bound(lowest, "0.9")
    expect(page.get_by_role("alert")).to_have_text("The lowest score is above the highest.")
    expect(shown).to_have_text("2 items match")
    bound(highest, "")
    expect(shown).to_have_text("1 item matches")
    # The other filters still work beside a score bound, and "Clear filters" empties the boxes.
    page.get_by_label("Source").select_option("human")
    expect(shown).to_have_text("0 items match")
    page.get_by_role("button", name="Clear filters").click()
    expect(shown).to_have_text("4 items")
    expect(page.get_by_test_id("thumb")).to_have_count(4)
    expect(lowest).to_have_value("")
    expect(highest).to_have_value("")
