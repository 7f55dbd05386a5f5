"""The export dialog for a text project, and the grid's filter bar with many long class names.

A text project's Export dialog offers its two files, JSONL and CSV (the server writes CSV for a file name ending
in ``.csv``), and no "media files" box, as texts have none. With 80 long class names the filter bar keeps its
controls together at widths from 1024 to 1920 px: the Sort control does not drop alone to a line of its own.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

TEXTS = [("t1", "my card is lost", ["card"]), ("t2", "=SUM(A1) is not a formula here", ["billing", "urgent"]),
         ("t3", "hello there", [])]  # fmt: skip


def _text_project(server: Server, name: str) -> int:
    pid: int = server.create_project(name, ["card", "billing", "urgent"], item_kind="text")["id"]
    source = server.files / f"{name}.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t, "labels": lbs}) + "\n" for i, t, lbs in TEXTS))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    return pid


def test_a_text_project_exports_csv_from_the_dialog(page: Any, server: Server, shots: Shots) -> None:
    pid = _text_project(server, "tickets-csv")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("export-button").click()
    dialog = page.get_by_test_id("export-dialog")
    dialog.get_by_label("Format").select_option("text")

    # Texts have no media files to copy; the two files the text format writes are offered, JSONL first.
    expect(dialog.get_by_text("The media files")).to_have_count(0)
    expect(dialog.get_by_role("radio", name="JSONL (labels and spans)")).to_be_checked()
    dialog.get_by_role("radio", name="CSV (one row per item, its labels joined by |; no spans)").check()
    shots(page, "csv-chosen")
    dialog.get_by_test_id("start-export").click()
    expect(dialog.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    with page.expect_download() as download:
        dialog.get_by_test_id("download").click()
    assert download.value.suggested_filename == "tickets-csv-text-export.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["id", "text", "label"]
    assert sorted(rows[1:]) == [["t1", "my card is lost", "card"], ["t2", "=SUM(A1) is not a formula here",
                                "billing|urgent"], ["t3", "hello there", ""]]  # fmt: skip


LONG_CLASSES = [f"vehicle type {n:02d}: articulated lorry with a long trailer" for n in range(80)]


@pytest.mark.parametrize("width", [1024, 1440, 1920])
def test_the_filter_bar_keeps_sort_with_the_filters_with_80_long_classes(
    page: Any, server: Server, shots: Shots, width: int
) -> None:
    pid = server.create_project(f"long-classes-{width}", LONG_CLASSES, item_kind="image")["id"]
    page.set_viewport_size({"width": width, "height": 900})
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    filters = page.get_by_test_id("filters")
    expect(filters).to_be_visible()
    shots(page, f"filter-bar-{width}")

    def box(locator: Any) -> dict[str, float]:
        b: dict[str, float] = locator.bounding_box()
        return b

    label, state, sort = (
        box(page.get_by_test_id("filter-label")),
        box(page.get_by_label("State")),
        box(page.get_by_test_id("sort-items")),
    )
    search = box(page.get_by_role("searchbox", name="Search names and text"))
    count = box(page.get_by_test_id("shown-count"))
    # The label select does not grow with its longest class name.
    assert label["width"] <= 240, label
    # Sort sits on the line of the last filters (not alone on a line of its own) ...
    assert abs((sort["y"] + sort["height"] / 2) - (state["y"] + state["height"] / 2)) < 4, (state, sort)
    # ... and the whole bar is one line on a wide screen, with the count on it, right of the controls (the
    # assignee filter made it two lines at 1440 px).
    if width >= 1600:
        assert abs((search["y"] + search["height"] / 2) - (sort["y"] + sort["height"] / 2)) < 4, (search, sort)
        assert abs((count["y"] + count["height"] / 2) - (sort["y"] + sort["height"] / 2)) < 4, (count, sort)
    assert count["x"] >= sort["x"] + sort["width"], (count, sort)
    # Nothing spills out of the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # A filter applied adds "Clear filters", which goes with Sort (at 1024 px it may take the next line); Sort still
    # sits with the filters.
    page.get_by_test_id("filter-label").select_option(LONG_CLASSES[7])
    clear = page.get_by_role("button", name="Clear filters")
    expect(clear).to_be_visible()
    shots(page, f"filtered-{width}")
    state, sort, cleared = box(page.get_by_label("State")), box(page.get_by_test_id("sort-items")), box(clear)
    assert abs((sort["y"] + sort["height"] / 2) - (state["y"] + state["height"] / 2)) < 4, (state, sort)
    if width >= 1440:
        assert abs((cleared["y"] + cleared["height"] / 2) - (sort["y"] + sort["height"] / 2)) < 4, (sort, cleared)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
