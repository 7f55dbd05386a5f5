"""The counts a user reads while the project's statistics are still on their way.

On a big project ``GET /projects/{id}/stats`` takes seconds. Until it answers, the label panel shows a placeholder
where a count is not known (never a 0 that is not true), and the item counts (the grid's toolbar, the review
queue) come from the list API's own count (``with_total``), for any filter, without scrolling. The stats request
is held here until the test lets it go, and every text the counts ever showed is recorded in the page, so a
wrong number shown for a moment fails the test too.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

N_CARD, N_OTHER, N_NEW = 350, 250, 50  # labelled "card", labelled "other", not labelled (status new)
N_ITEMS = N_CARD + N_OTHER + N_NEW
FIRST_PAGE = 200  # the grid's first page (web/src/lib/items.svelte.ts FIRST_PAGE)

# Records every text each count showed, as the page rendered it (a MutationObserver sees every update).
RECORDER = """
window.__seen = {};
const note = (key, text) => {
  const seen = (window.__seen[key] ??= []);
  if (!seen.includes(text)) seen.push(text);
};
new MutationObserver(() => {
  for (const b of document.querySelectorAll('[data-testid="label-counts"] button')) {
    note('label:' + b.dataset.label, b.querySelector('[data-testid="label-count"]')?.textContent.trim());
  }
  for (const id of ['shown-count', 'queue-count', 'item-total']) {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (el) note(id, el.textContent.trim());
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


@pytest.fixture(scope="module")
def project(server: Server) -> dict[str, Any]:
    """A text project with more items than a grid page and than a review-queue page, and a class without any."""
    source = server.files / "honest-counts.jsonl"
    with source.open("w") as f:
        for i in range(N_ITEMS):
            row: dict[str, Any] = {"id": f"h{i:04d}", "text": f"request {i}"}
            if i < N_CARD + N_OTHER:
                row["label"] = "card" if i < N_CARD else "other"
            f.write(json.dumps(row) + "\n")
    created = server.create_project("Honest counts", ["card", "other", "refund"], item_kind="text")
    r = server.api.post(f"{API}/projects/{created['id']}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    return created


@pytest.fixture
def held_stats(page: Any) -> Iterator[list[Any]]:
    """Holds the project's stats requests (a big project's slow request) until the test releases them."""
    held: list[Any] = []
    page.route("**/stats", lambda route: held.append(route))
    yield held
    page.unroute("**/stats")


def _api_total(server: Server, pid: int, **query: Any) -> int:
    page = server.api.get(f"{API}/projects/{pid}/items", params={**query, "limit": 1, "with_total": "true"})
    total: int = page.raise_for_status().json()["total"]
    return total


def _seen(page: Any, key: str) -> list[str]:
    seen: list[str] = page.evaluate("k => window.__seen[k] ?? []", key)
    return seen


def _open_project(page: Any, project: dict[str, Any]) -> int:
    """Log in with the count recorder installed and open the project's grid; return its id."""
    page.add_init_script(RECORDER)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{project['id']}")
    return int(project["id"])


def _release(held: list[Any]) -> None:
    while held:
        held.pop().continue_()


def test_the_label_panel_shows_placeholders_not_zeros_until_the_stats_arrive(
    page: Any, server: Server, shots: Shots, project: dict[str, Any], held_stats: list[Any]
) -> None:
    _open_project(page, project)
    # The item counts do not wait for the stats: the grid's first page counted them.
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS} items")
    expect(page.get_by_test_id("item-total")).to_have_text(str(N_ITEMS))
    assert held_stats, "the stats request should still be on its way"
    counts = page.get_by_test_id("label-counts")
    expect(counts.locator("button")).to_have_count(3)
    for name in ("card", "other", "refund"):
        expect(counts.locator(f'button[data-label="{name}"] [data-testid="label-count"]')).to_have_text("…")
    # So does the review queue's button: the list API counts the labelled items.
    expect(page.get_by_test_id("review-queue-link")).to_have_text(f"Review ({N_ITEMS - N_NEW:,})")
    shots(page, "stats-on-their-way")

    _release(held_stats)
    expect(counts.locator('button[data-label="card"] [data-testid="label-count"]')).to_have_text(str(N_CARD))
    expect(counts.locator('button[data-label="other"] [data-testid="label-count"]')).to_have_text(str(N_OTHER))
    # A class without annotations does count 0, once that is known.
    expect(counts.locator('button[data-label="refund"] [data-testid="label-count"]')).to_have_text("0")
    shots(page, "stats-in")
    # Nothing else was ever shown: no 0 for a class that has labels, no "200+" for the items.
    assert set(_seen(page, "label:card")) <= {"…", str(N_CARD)}, _seen(page, "label:card")
    assert set(_seen(page, "label:other")) <= {"…", str(N_OTHER)}, _seen(page, "label:other")
    assert set(_seen(page, "shown-count")) <= {"… items", f"{N_ITEMS} items"}, _seen(page, "shown-count")
    assert set(_seen(page, "item-total")) <= {"…", str(N_ITEMS)}, _seen(page, "item-total")


def test_a_filtered_grid_tells_the_api_total_without_scrolling(
    page: Any, server: Server, shots: Shots, project: dict[str, Any], held_stats: list[Any]
) -> None:
    pid = _open_project(page, project)
    shown, grid = page.get_by_test_id("shown-count"), page.get_by_test_id("grid")
    expect(shown).to_have_text(f"{N_ITEMS} items")

    # More items match than the first page holds: the count is the API's, not what is loaded.
    cards = _api_total(server, pid, label="card")
    assert cards == N_CARD > FIRST_PAGE
    page.get_by_test_id("filter-label").select_option("card")
    expect(shown).to_have_text(f"{cards} items match")
    expect(grid).to_have_attribute("data-loaded", str(FIRST_PAGE))
    expect(grid).to_have_attribute("data-done", "false")
    shots(page, "filtered-not-scrolled")

    # Switching fast: the count of a filter left behind, arriving late, does not replace the newer one's.
    late: list[Any] = []

    def is_other_count(url: str) -> bool:
        return "with_total=true" in url and "label=other" in url

    page.route(is_other_count, lambda route: late.append(route))
    page.get_by_test_id("filter-label").select_option("other")
    expect(shown).to_have_text("… items match")
    for _ in range(100):  # the route's handler runs while Playwright waits
        if late:
            break
        page.wait_for_timeout(50)
    assert late, "the count for label=other should be held"
    page.get_by_test_id("filter-label").select_option("card")
    expect(shown).to_have_text(f"{cards} items match")
    page.unroute(is_other_count)
    for route in late:
        # The page may have dropped (aborted) the request already: that is fine too.
        with contextlib.suppress(Exception):
            route.continue_()
    page.wait_for_timeout(500)
    expect(shown).to_have_text(f"{cards} items match")
    assert f"{N_OTHER} items match" not in _seen(page, "shown-count"), _seen(page, "shown-count")

    # The status filter too; and no filter counts the whole project again, the stats still held.
    new = _api_total(server, pid, status="new")
    page.get_by_test_id("filter-label").select_option("")
    page.get_by_label("Status").select_option("new")
    expect(shown).to_have_text(f"{new} items match")
    page.get_by_role("button", name="Clear filters").click()
    expect(shown).to_have_text(f"{N_ITEMS} items")
    assert held_stats, "the stats request should still be on its way"
    # Every text the toolbar showed was a placeholder or a true count.
    allowed = {"… items", "… items match", f"{N_ITEMS} items", f"{cards} items match", f"{new} items match"}
    assert set(_seen(page, "shown-count")) <= allowed, _seen(page, "shown-count")
    _release(held_stats)


def test_the_review_queue_counts_its_items_without_the_stats(
    page: Any, server: Server, shots: Shots, project: dict[str, Any], held_stats: list[Any]
) -> None:
    pid = project["id"]
    labelled = _api_total(server, pid, status="labeled")
    assert labelled == N_CARD + N_OTHER > 100  # more than the queue's first page
    page.add_init_script(RECORDER)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/review")
    count = page.get_by_test_id("queue-count")
    expect(count).to_have_text(f"{labelled} items")
    expect(page.get_by_test_id("review-queue")).to_have_attribute("data-loaded", "100")
    expect(page.get_by_role("link", name=f"To review ({labelled})")).to_be_visible()
    shots(page, "queue-count")
    assert set(_seen(page, "queue-count")) <= {"… items", f"{labelled} items"}, _seen(page, "queue-count")
    _release(held_stats)
