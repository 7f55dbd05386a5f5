"""Search by meaning in the browser: compute embeddings from the search page, type a query and get ranked
thumbnails, "more like this" from the item page (the item itself first), keep one of an exact-duplicate pair on
the duplicates page, and on the embedding map hover, click and lasso-select points, then tag them and send them
to labelling.

The embedder needs no download: a tiny randomly initialised open_clip model (one layer per tower, as
tests/search/test_openclip.py builds) is saved into the server's home and configured for the hub in
``HOME/embedders.json``, which makes ``open_clip`` the default space of image projects. Random weights rank
text queries arbitrarily, so the test checks what holds for any embedder: the results come ranked by score,
an item is its own nearest neighbour, and exact copies have a similarity of 1. Screenshots of the three pages go
to /tmp/shots/ besides the usual test artifacts.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    eventually,
    login,
    wait_for_thumbnails,
)

SHOTS = Path("/tmp/shots")
# 14 images: the map job lays fewer than 15 items out with PCA, which spares the test UMAP's first-call numba
# compilation (tens of seconds on a busy CI machine); the map page draws either the same way.
N_IMAGES = 14
# The map is fitted into its canvas with this margin (web/src/lib/search/view.ts fitView).
MAP_MARGIN = 24
VISION = {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16}
TINY = {"embed_dim": 32, "vision_cfg": VISION,
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}  # fmt: skip


@pytest.fixture
def tiny_clip(server: Server) -> Iterator[None]:
    """Save a tiny random open_clip model in the server's home and configure it; removed after the test."""
    import torch

    from labelhub.search._torch_compat import import_open_clip

    folder = server.home / "tiny-clip"
    folder.mkdir(exist_ok=True)
    config = folder / "tiny-clip-e2e.json"
    config.write_text(json.dumps(TINY))
    oc = import_open_clip()
    oc.add_model_config(config)
    torch.manual_seed(0)
    checkpoint = folder / "tiny-clip-e2e.pt"
    torch.save(oc.create_model("tiny-clip-e2e").state_dict(), checkpoint)
    settings = server.home / "embedders.json"
    settings.write_text(json.dumps({"open_clip": {"model": str(config), "pretrained": str(checkpoint)}}))
    yield
    settings.unlink(missing_ok=True)


def _shot(page: Any, shots: Shots, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shots(page, name), SHOTS / f"search-e2e-{name}.png")


def _project_with_images(server: Server) -> tuple[int, list[dict[str, Any]]]:
    """A project of COCO images plus an exact copy of the first, half of them labelled; returns its items."""
    images = sorted(data_path("captions_coco_mini_en_plus_xtd10", "images", "val2017").glob("*.jpg"))[:N_IMAGES]
    src = server.files / "search-e2e-images"
    src.mkdir()
    for p in images:
        shutil.copy(p, src / p.name)
    shutil.copy(images[0], src / f"copy-of-{images[0].name}")
    project = server.create_project("Street search", ["animal", "vehicle", "food"])
    pid = project["id"]
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "image_folder"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items: list[dict[str, Any]] = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 100}).json()["items"]
    assert len(items) == N_IMAGES + 1
    for n, it in enumerate(items[: N_IMAGES // 2]):
        anns = server.api.get(f"{API}/projects/{pid}/items/{it['id']}/annotations").json()
        body = {"version": anns["version"], "annotations": [
            {"kind": "class", "label": ["animal", "vehicle", "food"][n % 3], "geometry": {}}]}  # fmt: skip
        assert server.api.put(f"{API}/projects/{pid}/items/{it['id']}/annotations", json=body).status_code == 200
    return pid, items


def _scores(page: Any) -> list[float]:
    return [float(s) for s in page.get_by_test_id("hit").evaluate_all("els => els.map(e => e.dataset.score)")]


def _map_on_screen(page: Any, points: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Where the map page draws each point when fitted: the same transform as view.ts fitView, y pointing up."""
    box = page.get_by_test_id("map-canvas").bounding_box()
    xs = [p["x"] for p in points]
    ys = [p["y"] for p in points]
    x1, x2, y1, y2 = min(xs), max(xs), min(ys), max(ys)
    scale = min((box["width"] - 2 * MAP_MARGIN) / (x2 - x1), (box["height"] - 2 * MAP_MARGIN) / (y2 - y1))
    tx = box["width"] / 2 - (x1 + x2) / 2 * scale
    ty = box["height"] / 2 + (y1 + y2) / 2 * scale
    return [(box["x"] + p["x"] * scale + tx, box["y"] - p["y"] * scale + ty) for p in points]


def test_search_more_like_this_duplicates_and_the_map(page: Any, server: Server, shots: Shots, tiny_clip: None) -> None:
    pid, items = _project_with_images(server)
    copy = next(it for it in items if it["name"].startswith("copy-of-"))
    original = next(it for it in items if it["name"] == copy["name"].removeprefix("copy-of-"))
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    # The search page from the project's navigation: no embeddings yet, so it says what comes first.
    page.goto(f"/#/projects/{pid}")
    wait_for_thumbnails(page)
    _shot(page, shots, "project-links")
    page.get_by_test_id("search-link").click()
    # (The first request loads the embedder in the server: torch and open_clip take a while to import.)
    expect(page.get_by_test_id("no-embeddings")).to_contain_text("Compute embeddings first", timeout=60_000)
    page.get_by_test_id("compute-embeddings").click()
    expect(page.get_by_test_id("job-progress")).to_be_visible()
    status = page.get_by_test_id("embeddings-status")
    expect(status).to_contain_text(f"{N_IMAGES + 1} of {N_IMAGES + 1} items embedded", timeout=120_000)
    expect(status).to_contain_text("open_clip")

    # A query in German: ranked thumbnails, best first, each with its score.
    page.get_by_test_id("search-input").fill("ein Hund auf dem Sofa")
    page.get_by_test_id("search-lang").select_option("de")
    page.get_by_test_id("search-button").click()
    expect(page.get_by_test_id("hit")).to_have_count(N_IMAGES + 1)
    assert "q=ein+Hund+auf+dem+Sofa&lang=de" in page.url
    scores = _scores(page)
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    expect(page.get_by_test_id("hit").first.locator(".score")).to_have_text(f"{scores[0]:.3f}")
    wait_for_thumbnails(page)
    _shot(page, shots, "search")

    # Open a result, then "More like this" from the item page: the item itself comes first, at similarity 1.
    ranked = page.get_by_test_id("hit").evaluate_all("els => els.map(e => Number(e.dataset.itemId))")
    target_id = [i for i in ranked if i not in (copy["id"], original["id"])][3]
    page.locator(f'[data-testid="hit"][data-item-id="{target_id}"] a.open').click()
    expect(page).to_have_url(re.compile(rf"#/projects/\d+/items/{target_id}"))
    expect(page.get_by_test_id("more-like-this")).to_be_visible(timeout=15_000)
    page.get_by_test_id("editor").get_by_text("Loading image…").wait_for(state="detached")
    _shot(page, shots, "item-more-like-this")
    page.get_by_test_id("more-like-this").click()
    expect(page.get_by_test_id("similar-to")).to_be_visible()
    assert f"similar={target_id}" in page.url
    first = page.get_by_test_id("hit").first
    expect(first).to_have_attribute("data-item-id", str(target_id))
    expect(first.locator(".score")).to_have_text("1.000")
    # "More like this" on a result card: the original's exact copy is as similar to it as the original itself.
    card = page.locator(f'[data-testid="hit"][data-item-id="{original["id"]}"]')
    card.hover()
    card.get_by_test_id("hit-more-like-this").click()
    expect(page.get_by_test_id("similar-to")).to_contain_text(original["name"])
    expect(page.get_by_test_id("hit").nth(1).locator(".score")).to_have_text("1.000")
    top_two = page.get_by_test_id("hit").evaluate_all("els => els.slice(0, 2).map(e => Number(e.dataset.itemId))")
    assert sorted(top_two) == sorted([original["id"], copy["id"]])

    # Duplicates: the exact pair is a group; keeping the original deletes the copy after a confirmation.
    page.get_by_test_id("tab-duplicates").click()
    group = page.locator('[data-testid="dup-group"][data-kind="exact"]')
    expect(group).to_have_count(1)
    expect(group.get_by_test_id("dup-member")).to_have_count(2)
    wait_for_thumbnails(page)
    _shot(page, shots, "duplicates")
    group.locator(f'[data-testid="dup-member"][data-item-id="{original["id"]}"]').get_by_test_id("keep-this").click()
    dialog = page.get_by_test_id("confirm-drop")
    expect(dialog).to_contain_text(original["name"])
    dialog.get_by_test_id("confirm-keep").click()
    expect(page.locator('[data-testid="dup-group"][data-kind="exact"]')).to_have_count(0)
    assert server.api.get(f"{API}/projects/{pid}/items/{copy['id']}").status_code == 404
    assert server.api.get(f"{API}/projects/{pid}/items/{original['id']}").status_code == 200

    # The map: none yet; compute it, and every item is drawn.
    page.get_by_test_id("tab-map").click()
    expect(page.get_by_test_id("no-map")).to_be_visible()
    page.get_by_test_id("compute-map").click()
    canvas = page.get_by_test_id("map-canvas")
    expect(canvas).to_have_attribute("data-points", str(N_IMAGES), timeout=180_000)
    expect(canvas).to_have_attribute("data-drawn", str(N_IMAGES))
    points: list[dict[str, Any]] = server.api.get(f"{API}/projects/{pid}/map").json()["points"]
    where = _map_on_screen(page, points)

    # Hovering the most isolated point shows its thumbnail and name.
    def gap(i: int) -> float:
        return min(math.dist(where[i], where[j]) for j in range(len(where)) if j != i)

    lone = max(range(len(points)), key=gap)
    page.mouse.move(*where[lone])
    tip = page.get_by_test_id("map-tooltip")
    expect(tip).to_contain_text(points[lone]["name"])
    expect(tip.locator("img")).to_be_visible()
    _shot(page, shots, "map-hover")

    # A lasso (Shift+drag) around the left part of the map selects exactly the points inside it.
    box = canvas.bounding_box()
    xs = sorted(x for x, _ in where)
    split = (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    inside = sum(1 for x, _ in where if x < split)
    page.keyboard.down("Shift")
    page.mouse.move(split, box["y"] + box["height"] - 6)
    page.mouse.down()
    for x, y in ((box["x"] + 6, box["y"] + box["height"] - 6), (box["x"] + 6, box["y"] + 6), (split, box["y"] + 6)):
        page.mouse.move(x, y, steps=12)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.get_by_test_id("selection-count")).to_have_text(f"{inside} selected")
    _shot(page, shots, "map")

    # Tag the selection: every selected item gets the tag, no other item does.
    page.get_by_test_id("selection-bar").get_by_role("button", name="Tag…").click()
    page.get_by_test_id("tag-input").fill("left-cluster")
    page.get_by_test_id("tag-submit").click()
    expect(page.get_by_test_id("tag-dialog")).to_be_hidden()
    picked = {p["item_id"] for p, (x, _) in zip(points, where, strict=True) if x < split}

    def tagged() -> set[int]:
        listed = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 100}).json()["items"]
        return {it["id"] for it in listed if "left-cluster" in (it.get("meta") or {}).get("tags", [])}

    def check() -> None:
        assert tagged() == picked

    eventually(check)

    # Send the same selection to labelling: the queue takes those items first.
    page.get_by_test_id("send-to-labelling").click()

    def prioritised() -> None:
        listed = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 100}).json()["items"]
        assert {it["id"] for it in listed if (it.get("meta") or {}).get("priority") == 1} == picked

    eventually(prioritised)

    # The wheel zooms in at the pointer and a drag pans: points leave the view (and are not drawn); Fit brings
    # all of them back.
    page.get_by_role("button", name="Clear the selection").click()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    for _ in range(5):
        page.mouse.wheel(0, -300)
    expect(canvas).not_to_have_attribute("data-drawn", str(N_IMAGES))
    page.get_by_role("button", name="Fit").click()
    expect(canvas).to_have_attribute("data-drawn", str(N_IMAGES))
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 10, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    expect(canvas).not_to_have_attribute("data-drawn", str(N_IMAGES))
    page.get_by_role("button", name="Fit").click()
    expect(canvas).to_have_attribute("data-drawn", str(N_IMAGES))

    # Clicking a point opens its item (once the toasts of the steps above, which sit over the map's corner, are gone).
    expect(page.get_by_test_id("toast-success")).to_have_count(0)
    page.mouse.click(*where[lone])
    expect(page.get_by_test_id("item-page")).to_be_visible()
    assert page.url.endswith(f"/items/{points[lone]['item_id']}")


def test_text_duplicates_show_their_text(page: Any, server: Server, shots: Shots) -> None:
    """Text items have no thumbnail: the duplicates page shows each copy's text, in the group and in the
    confirmation, and the search box suggests a text query."""
    body = {"name": "Texts with copies", "item_kind": "text", "labels": [{"name": "refund"}], "kinds": ["class"]}
    texts = ["Where is my refund?", "Where is my refund?", "My card does not work abroad."]
    source = server.files / "text-copies.jsonl"
    source.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    pid = _imported_project(server, body, source, "text")

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/duplicates")
    group = page.locator('[data-testid="dup-group"][data-kind="exact"]')
    expect(group).to_have_count(1)
    expect(group.get_by_test_id("dup-text")).to_have_text(["Where is my refund?", "Where is my refund?"])
    expect(group.locator("img")).to_have_count(0)
    group.get_by_test_id("keep-this").first.click()
    dialog = page.get_by_test_id("confirm-drop")
    expect(dialog.get_by_text("Where is my refund?")).to_have_count(2)
    shots(page, "text-duplicates")
    dialog.get_by_role("button", name="Cancel").click()
    page.goto(f"/#/projects/{pid}/search")
    expect(page.get_by_test_id("search-input")).to_have_attribute("placeholder", re.compile("refund"))
    # The n-gram space matches words, not meanings: no query language to pick, and a note says why.
    expect(page.get_by_test_id("words-only")).to_have_text("Same-language words")
    expect(page.get_by_test_id("search-lang")).to_have_count(0)


def test_an_image_project_without_an_embedder_offers_to_train_one(page: Any, server: Server, shots: Shots) -> None:
    """No open_clip checkpoint on this server and no trained encoder: the search page says so and starts the
    training of the project's own image encoder instead of a "Compute embeddings" that can only fail."""
    src = server.files / "no-embedder-images"
    src.mkdir()
    for image in sorted(data_path("captions_coco_mini_en_plus_xtd10", "images", "val2017").glob("*.jpg"))[:4]:
        shutil.copy(image, src / image.name)
    pid = _imported_project(server, {"name": "Photos, no embedder", "item_kind": "image"}, src, "image_folder")

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/search")
    empty = page.get_by_test_id("no-embedder")
    expect(empty).to_contain_text("No image embedder yet", timeout=60_000)
    expect(page.get_by_test_id("compute-embeddings")).to_have_count(0)
    page.get_by_test_id("train-encoder").click()
    expect(empty.get_by_test_id("job-progress")).to_be_visible()
    shots(page, "no-embedder")

    def started() -> int:
        jobs = server.api.get(f"{API}/jobs").json()
        ids = [j["id"] for j in jobs if j["kind"] == "train_embedder" and j["project_id"] == pid]
        assert ids, jobs
        return int(ids[0])

    job_id = eventually(started)
    # The server is shared with the other browser tests: its worker should not spend their time training.
    assert server.api.post(f"{API}/jobs/{job_id}/cancel").status_code == 200


def _imported_project(server: Server, body: dict[str, Any], source: Path, fmt: str) -> int:
    """Create a project from ``body`` and import ``source`` in ``fmt`` into it; return its id."""
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = int(r.json()["id"])
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": fmt})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    return pid
