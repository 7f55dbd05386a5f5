"""Selecting search results and acting on the selection: the results' checkboxes work as the project grid's (click,
shift+click for a range, Space on a focused result, Esc), the assign button names what it acts on ("Assign the 12
results…" without a selection, "Assign the 2 selected…" with one), exactly the two results picked are assigned, and
another query drops the selection. A text project in the built-in ``ngram`` space: no model, embeddings at once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, add_member, login
from tests.e2e.test_search_spaces import _text_project

TEXTS = [f"my card {w} {n}" for n in range(3) for w in ("arrived late", "never came", "was declined", "got stolen")]


def _check(page: Any, item_id: int) -> Any:
    return page.locator(f'[data-testid="hit"][data-item-id="{item_id}"] [data-testid="thumb-check"]')


def test_a_manager_assigns_the_two_results_selected(page: Any, server: Server, shots: Shots) -> None:
    pid = _text_project(server, "Card selection", TEXTS)
    rita_id, _ = add_member(server, pid, "search-sel-rita", "annotator")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/search?q=card+never+came")
    hits = page.get_by_test_id("hit")
    expect(hits).to_have_count(len(TEXTS))
    ranked = [int(v) for v in hits.evaluate_all("els => els.map(e => e.dataset.itemId)")]
    bar = page.get_by_test_id("selection-bar")
    expect(page.get_by_test_id("assign-results")).to_have_text(f"Assign the {len(TEXTS)} results…")
    expect(bar).to_have_count(0)

    # Click and shift+click: the range between them; Esc clears.
    hits.nth(0).hover()
    _check(page, ranked[0]).click()
    _check(page, ranked[2]).click(modifiers=["Shift"])
    expect(page.get_by_test_id("selection-count")).to_have_text("3 selected")
    expect(page.get_by_test_id("assign-results")).to_have_count(0)  # the bar's button acts on the selection
    page.keyboard.press("Escape")
    expect(bar).to_have_count(0)

    # Space on a focused result, then ctrl+click on another's checkbox: two results, not next to each other.
    hits.nth(1).locator("a.open").focus()
    page.keyboard.press(" ")
    _check(page, ranked[3]).click(modifiers=["Control"])
    expect(page.get_by_test_id("selection-count")).to_have_text("2 selected")
    expect(page.get_by_test_id("hit-count")).to_contain_text(f"Select all {len(TEXTS)}")
    assert page.url.endswith("/search?q=card+never+came")  # nothing was opened
    assign = bar.get_by_test_id("assign-selected")
    expect(assign).to_have_text("Assign the 2 selected…")
    shots(page, "two-selected")
    assign.click()
    dialog = page.get_by_test_id("assign-dialog")
    dialog.get_by_test_id("assign-member").select_option(label="search-sel-rita (annotator; 0 open items)")
    dialog.get_by_test_id("assign-submit").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Assigned 2 items to search-sel-rita")).to_be_visible()
    mine = server.api.get(f"{API}/projects/{pid}/items", params={"assignee": str(rita_id)}).json()["items"]
    assert sorted(it["id"] for it in mine) == sorted([ranked[1], ranked[3]])

    # Another query drops the selection.
    page.get_by_test_id("search-input").fill("card got stolen")
    page.get_by_test_id("search-input").press("Enter")
    expect(page).to_have_url(f"{server.url}/#/projects/{pid}/search?q=card+got+stolen")
    expect(bar).to_have_count(0)
    expect(page.locator('[data-testid="thumb-check"]:checked')).to_have_count(0)
    expect(page.get_by_test_id("assign-results")).to_have_text(f"Assign the {len(TEXTS)} results…")
