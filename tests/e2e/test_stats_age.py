"""Kept counts say how old they are and offer a recount; counts just taken say nothing.

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


def _project(server: Server) -> int:
    source = server.files / "stats-age.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"s{i}", "text": f"note {i}", "label": "card"}) + "\n" for i in range(3))
    )
    pid = int(server.create_project("Stats age", ["card", "other"], item_kind="text")["id"])
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    return pid


def test_kept_counts_show_their_age_and_a_recount(page: Any, server: Server, shots: Shots) -> None:
    pid = _project(server)
    asked: list[str] = []

    def as_kept(route: Any) -> None:
        asked.append(route.request.url)
        if "fresh=true" in route.request.url:
            route.continue_()
            return
        body = route.fetch().json()
        assert body["cached"] is False  # a small project: counted on every call
        at = datetime.now(UTC) - timedelta(seconds=40)
        route.fulfill(json={**body, "cached": True, "counted_at": at.isoformat()})

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
