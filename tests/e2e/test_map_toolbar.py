"""The embedding map's tools do not cover its points: a point in the map's top-left corner (where the fitted view
puts the topmost, leftmost item) is drawn clear of the Pan / Lasso / Fit buttons, and hovering and clicking it
reach the point, not a button.

The map is computed for real (a text project, the built-in ``ngram`` space: no model to download), then its
stored coordinates are replaced by a layout with the canvas's own proportions, so the fitted view puts one point
exactly in the canvas's top-left corner, 24 px in from both edges (web/src/lib/search/view.ts fitView)."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

MARGIN = 24  # fitView's margin around the data
REACH = 8  # the map's hover radius (MapPage HOVER_PX): a dot and the area that picks it
TEXTS = ["open an account", "close my account", "card swallowed by the machine", "card declined abroad",
         "refund a double payment", "exchange rate to yen"]  # fmt: skip


def _project_with_a_map(server: Server) -> tuple[int, list[dict[str, Any]]]:
    project = server.create_project("Map corners", [], item_kind="text")
    pid: int = project["id"]
    src = server.files / "map-corners.jsonl"
    src.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    for url, body in ((f"{API}/projects/{pid}/imports", {"source": str(src), "format": "text"}),
                      (f"{API}/projects/{pid}/embeddings", {"space": "ngram"}),
                      (f"{API}/projects/{pid}/map", {"space": "ngram"})):  # fmt: skip
        r = server.api.post(url, json=body)
        assert r.status_code == 202, r.text
        job = server.wait_for_job(r.json()["id"])
        assert job["status"] == "succeeded", job
    items: list[dict[str, Any]] = server.api.get(f"{API}/projects/{pid}/items").json()["items"]
    assert len(items) == len(TEXTS)
    return pid, items


def _lay_out(server: Server, pid: int, aspect: float) -> None:
    """Give the stored map a layout ``aspect`` (height / width) tall: the first item in the top-left corner, the
    second in the bottom-right one, the others inside. It is a new layout, as a recomputed map is: a view the page
    kept of the old one (a moment after it was drawn: on a busy machine before the reload) does not apply to it."""
    path = server.home / "maps" / str(pid) / "ngram.json"
    doc = json.loads(path.read_text())
    doc["computed_at"] = f"{doc['computed_at']} (laid out by the test)"
    spots = [(0.0, 1.0), (1.0, 0.0), (0.5, 0.5), (0.3, 0.2), (0.7, 0.8), (0.9, 0.4)]
    by_id = sorted(doc["points"], key=lambda p: p["item_id"])
    for p, (x, y) in zip(by_id, spots, strict=True):
        p["x"], p["y"] = x, y * aspect
    path.write_text(json.dumps(doc))


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and (
        b["y"] < a["y"] + a["height"])  # fmt: skip


def test_the_top_corner_point_is_clear_of_the_map_tools_and_can_be_clicked(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, items = _project_with_a_map(server)
    corner = min(items, key=lambda it: it["id"])
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/map")
    canvas = page.get_by_test_id("map-canvas")
    expect(canvas).to_have_attribute("data-drawn", str(len(TEXTS)))
    box = canvas.bounding_box()
    _lay_out(server, pid, (box["height"] - 2 * MARGIN) / (box["width"] - 2 * MARGIN))
    page.reload()
    expect(canvas).to_have_attribute("data-drawn", str(len(TEXTS)))
    box = canvas.bounding_box()

    # Where the fitted view draws the corner point, and the area around it that picks it.
    x, y = box["x"] + MARGIN, box["y"] + MARGIN
    dot = {"x": x - REACH, "y": y - REACH, "width": 2 * REACH, "height": 2 * REACH}
    tools = page.get_by_role("toolbar", name="Map tools")
    for button in [tools, *tools.get_by_role("button").all()]:
        assert not _overlap(dot, button.bounding_box()), f"{button} covers the point at ({x:.0f}, {y:.0f})"
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.dataset.testid ?? null", [x, y])
    assert on_top == "map-canvas", f"the point at ({x:.0f}, {y:.0f}) is under {on_top!r}"
    shots(page, "map-with-a-corner-point")

    # The person sees it, hovers it and opens it.
    page.mouse.move(x, y)
    expect(page.get_by_test_id("map-tooltip")).to_contain_text(corner["name"])
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{corner['id']}$"))
    expect(page.get_by_test_id("text-body")).to_have_text(corner["text"])
