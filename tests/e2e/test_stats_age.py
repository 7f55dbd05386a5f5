"""Kept counts (the project's, the grid's total) say how old they are and offer a recount; counts just taken say
nothing.

A big project's counts are kept by the server until the project changes (``cached`` in ``GET .../stats``). A
project big enough for that takes minutes to import, so the test's project is small and the first answer is
rewritten on its way to the page as the server would send kept counts: ``cached`` and counted 40 s ago.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login


def _project(server: Server, name: str, n: int, labels: list[str]) -> int:
    """A text project of ``n`` notes, all labelled ``card``, imported through the API."""
    source = server.files / f"{name.lower().replace(' ', '-')}.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"t{i:03d}", "text": f"note {i}", "label": "card"}) + "\n" for i in range(n))
    )
    pid = int(server.create_project(name, labels, item_kind="text")["id"])
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    return pid


def _as_kept(asked: list[str], fresh: str, cached: str, counted_at: str, age: timedelta) -> Any:
    """A route handler that rewrites the server's first answer as a kept one (``cached`` true, counted ``age``
    ago) and lets a recount (``fresh`` in the URL) through; every URL asked is added to ``asked``."""

    def handle(route: Any) -> None:
        asked.append(route.request.url)
        if fresh in route.request.url:
            route.continue_()
            return
        body = route.fetch().json()
        assert body[cached] is False  # a small project: counted on every call
        route.fulfill(json={**body, cached: True, counted_at: (datetime.now(UTC) - age).isoformat()})

    return handle


def test_kept_counts_show_their_age_and_a_recount(page: Any, server: Server, shots: Shots) -> None:
    pid = _project(server, "Stats age", 3, ["card", "other"])
    asked: list[str] = []

    as_kept = _as_kept(asked, "fresh=true", "cached", "counted_at", timedelta(seconds=40))

    page.route(re.compile(r"/stats(\?|$)"), as_kept)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    counts = page.get_by_test_id("stats")
    expect(counts.locator('button[data-label="card"] [data-testid="label-count"]')).to_have_text("3")
    age = page.get_by_test_id("stats-age")
    expect(age).to_contain_text(re.compile(r"counted 4\d s ago"))
    recount = page.get_by_role("button", name="Recount")
    expect(recount).to_be_visible()
    shots(page, "kept-counts")

    recount.click()
    expect(age).to_have_count(0)  # counted just now: no age, no button
    assert any("fresh=true" in url for url in asked), asked
    expect(counts.locator('button[data-label="card"] [data-testid="label-count"]')).to_have_text("3")
    shots(page, "recounted")
    page.unroute(re.compile(r"/stats(\?|$)"))


def test_a_kept_grid_total_shows_its_age_and_a_recount(page: Any, server: Server, shots: Shots) -> None:
    """The same for the grid's total (``with_total``, kept by the server for a big list): more items than the
    first page, so the total is the server's count and not the rows loaded."""
    pid = _project(server, "Total age", 250, ["card"])
    asked: list[str] = []
    items = re.compile(rf"/projects/{pid}/items\?.*with_total=true")

    as_kept = _as_kept(asked, "fresh_total=true", "total_cached", "total_counted_at", timedelta(minutes=2))

    page.route(items, as_kept)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text("250 items")
    age = page.get_by_test_id("total-age")
    expect(age).to_contain_text("counted 2 min ago")
    shots(page, "kept-total")

    page.get_by_test_id("total-recount").click()
    expect(age).to_have_count(0)  # counted just now: no age, no button
    assert any("fresh_total=true" in url for url in asked), asked
    expect(page.get_by_test_id("shown-count")).to_have_text("250 items")
    shots(page, "recounted-total")
    page.unroute(items)
