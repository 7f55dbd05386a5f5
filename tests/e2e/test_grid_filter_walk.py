"""An item opened from a filtered grid walks the grid's filtered list: next and previous skip the items the filter
hides, the position counts the filtered items ("2 / 4"), a reload keeps it (the item URL carries the filter),
and the way back shows the grid with the filter still applied."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, expect_item_ids, login

TEXTS = [f"request {i}: {t}" for i, t in enumerate([
    "card never arrived", "refund my double payment", "exchange rate to yen", "charged twice at the shop",
    "refund for a cancelled order", "how do I top up", "refund of a returned jacket", "pin is blocked"])]  # fmt: skip
LABELLED = [1, 3, 4, 6]  # imported with a label: status "labeled"; the others are "new"


def _project(server: Server) -> tuple[int, list[int]]:
    project = server.create_project("Filtered walk", ["refund"], item_kind="text")
    pid: int = project["id"]
    src = server.files / "filtered-walk"
    src.mkdir()
    rows = [{"id": f"req-{i}", "text": t} | ({"label": "refund"} if i in LABELLED else {}) for i, t in enumerate(TEXTS)]
    (src / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "requests.jsonl"), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    assert [it["status"] for it in items] == ["labeled" if i in LABELLED else "new" for i in range(len(TEXTS))]
    return pid, [it["id"] for it in items]


def _shows(page: Any, index: int) -> None:
    """The item page shows the text of ``TEXTS[index]``."""
    expect(page.get_by_test_id("text-body")).to_have_text(TEXTS[index])


def test_next_and_previous_walk_the_filtered_grid_and_back_keeps_the_filter(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, ids = _project(server)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text("8 items")

    # Filter the grid by a status: the four labelled items.
    page.get_by_test_id("filters").get_by_role("combobox", name="Status").select_option("labeled")
    expect(page.get_by_test_id("shown-count")).to_have_text("4 items match")
    thumbs = page.get_by_test_id("thumb")
    expect(thumbs).to_have_count(4)
    expect_item_ids(thumbs, [ids[i] for i in LABELLED])
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?status=labeled$"))
    shots(page, "filtered-grid")

    # Open the first: it is first of the four.
    thumbs.first.click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids[1]}\?status=labeled$"))
    _shows(page, 1)
    position = page.get_by_test_id("item-position")
    expect(position).to_have_text("1 / 4 in the filtered list")
    expect(page.get_by_test_id("prev-item")).to_be_disabled()

    # Next: the second labelled item (not the next item of the project), "2 / 4" in the header and the editor.
    page.get_by_test_id("next-item").click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{ids[3]}\?status=labeled$"))
    _shows(page, 3)
    expect(position).to_have_text("2 / 4 in the filtered list")
    expect(page.get_by_test_id("text-editor")).to_contain_text("2 / 4")
    shots(page, "second-of-the-filtered-list")

    # A reload (or the link sent to a colleague) keeps the list.
    page.reload()
    _shows(page, 3)
    expect(position).to_have_text("2 / 4 in the filtered list")

    # To the last, where next stops, and back one.
    page.get_by_test_id("next-item").click()
    _shows(page, 4)
    page.get_by_test_id("next-item").click()
    _shows(page, 6)
    expect(position).to_have_text("4 / 4 in the filtered list")
    expect(page.get_by_test_id("next-item")).to_be_disabled()
    page.get_by_test_id("prev-item").click()
    _shows(page, 4)
    expect(position).to_have_text("3 / 4 in the filtered list")

    # Back to the project: the grid is still filtered.
    page.get_by_test_id("back-to-grid").click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}\?status=labeled$"))
    expect(page.get_by_test_id("filters").get_by_role("combobox", name="Status")).to_have_value("labeled")
    expect(page.get_by_test_id("shown-count")).to_have_text("4 items match")
    expect(thumbs).to_have_count(4)
    shots(page, "back-on-the-filtered-grid")
