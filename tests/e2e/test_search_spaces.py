"""The search pages' spaces and places (QA of the search workflow, defects 1-3, 7, 10-13 and 15-16).

- An image project whose default space is its own image encoder (``ssl``, images only) searches by words in the
  ``dual`` space: the page picks it for a text query, computes *its* embeddings, and says what to do when the user
  picks ``ssl`` (no query box). Both encoders are trained for one pass on 8 captioned COCO images (a few seconds).
- Search results keep their place: "Show more" is in the URL (``k``), Back from a result shows as many results
  scrolled where they were, and the item page walks the results and links back to them.
- The duplicates page names the space its near groups come from and shows the threshold the server chose.
- The map keeps its zoom over a reload (what Back from an item does), and the legend isolates a label.
- An empty project says to import items first; a query longer than the server takes is refused in words.

Text projects use the built-in ``ngram`` space: no model, embeddings in well under a second.
"""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

CAPTIONED = 8


def _run(server: Server, url: str, body: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    r = server.api.post(url, json=body)
    assert r.status_code == 202, r.text
    job = server.wait_for_job(r.json()["id"], timeout=timeout)
    assert job["status"] == "succeeded", job
    return job


def _captioned_images(server: Server) -> int:
    """An image project of COCO images with their English captions (what the dual encoder learns from)."""
    root = data_path("captions_coco_mini_en_plus_xtd10")
    data = json.loads((root / "annotations" / "captions_val2017.json").read_text())
    images = sorted(data["images"], key=lambda im: int(im["id"]))[:CAPTIONED]
    keep = {int(im["id"]) for im in images}
    folder = server.files / "spaces-e2e"
    (folder / "images").mkdir(parents=True)
    for im in images:
        shutil.copy(root / "images" / "val2017" / im["file_name"], folder / "images" / im["file_name"])
    subset = {**data, "images": images, "annotations": [a for a in data["annotations"] if int(a["image_id"]) in keep]}
    (folder / "captions.json").write_text(json.dumps(subset))
    pid = int(server.create_project("Captioned photos", ["dog", "street"])["id"])
    _run(server, f"{API}/projects/{pid}/imports", {"source": str(folder / "images"), "format": "image_folder"})
    _run(server, f"{API}/projects/{pid}/imports", {"source": str(folder / "captions.json"), "format": "coco_captions"})
    return pid


def _text_project(server: Server, name: str, texts: list[str], labels: list[str] | None = None) -> int:
    pid = int(server.create_project(name, labels or [], item_kind="text")["id"])
    src = server.files / f"{name.replace(' ', '-')}.jsonl"
    src.write_text("".join(json.dumps({"id": f"t{i:03d}", "text": t}) + "\n" for i, t in enumerate(texts)))
    _run(server, f"{API}/projects/{pid}/imports", {"source": str(src), "format": "text"})
    _run(server, f"{API}/projects/{pid}/embeddings", {"space": "ngram"})
    return pid


def _spaces(server: Server, pid: int) -> dict[str, dict[str, Any]]:
    return {s["space"]: s for s in server.api.get(f"{API}/projects/{pid}/embeddings").json()}


def test_a_text_query_searches_the_dual_space_of_an_ssl_project(page: Any, server: Server, shots: Shots) -> None:
    pid = _captioned_images(server)
    _run(server, f"{API}/projects/{pid}/embedders/train", {"kind": "ssl", "epochs": 1})
    _run(server, f"{API}/projects/{pid}/embeddings", {})  # the default space: ssl
    _run(server, f"{API}/projects/{pid}/embedders/train", {"kind": "dual", "epochs": 1})
    assert _spaces(server, pid)["ssl"]["default"] and "dual" not in _spaces(server, pid)

    # The default space, ssl, reads no text: the page says so, offers the dual training and the dual space (listed
    # before it has vectors), whose embeddings it then computes.
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/search")
    status = page.get_by_test_id("embeddings-status")
    expect(status).to_have_attribute("data-space", "ssl", timeout=60_000)
    expect(page.get_by_test_id("no-text-box")).to_be_visible()
    expect(page.get_by_test_id("no-text-search").get_by_test_id("train-dual")).to_be_visible()
    page.get_by_test_id("use-dual").click()
    expect(status).to_have_attribute("data-space", "dual")
    expect(page.get_by_test_id("space-select")).to_have_value("dual")
    expect(page.get_by_test_id("no-embeddings")).to_contain_text("dual space")
    shots(page, "dual-not-computed")
    page.get_by_test_id("compute-embeddings").click()
    expect(status).to_contain_text(f"{CAPTIONED} of {CAPTIONED} items embedded", timeout=120_000)
    assert _spaces(server, pid)["dual"]["count"] == CAPTIONED
    assert _spaces(server, pid)["ssl"]["count"] == CAPTIONED

    # Words find images in the dual space, which a text query now takes without being told.
    page.get_by_test_id("search-input").fill("a dog on a sofa")
    page.get_by_test_id("search-button").click()
    expect(page.get_by_test_id("hit")).to_have_count(CAPTIONED)
    expect(page.get_by_test_id("hit-count")).to_contain_text("dual space")
    shots(page, "dual-results")
    page.goto(f"/#/projects/{pid}/search?q=a+dog")
    expect(page.get_by_test_id("hit-count")).to_contain_text("dual space")
    expect(page.get_by_test_id("space-select")).to_have_value("dual")

    # The ssl space compares images only: no query box, and the page says what works instead.
    page.get_by_test_id("space-select").select_option("ssl")
    assert "space=ssl" in page.url
    expect(page.get_by_test_id("no-text-box")).to_contain_text("ssl")
    expect(page.get_by_test_id("search-input")).to_have_count(0)
    expect(page.get_by_test_id("no-text-search")).to_contain_text("More like this")
    expect(page.get_by_test_id("use-dual")).to_be_visible()
    shots(page, "ssl-no-text")

    # "More like this" works in the ssl space: the item itself first.
    items = server.api.get(f"{API}/projects/{pid}/items").json()["items"]
    page.goto(f"/#/projects/{pid}/search?similar={items[0]['id']}&space=ssl")
    expect(page.get_by_test_id("hit").first).to_have_attribute("data-item-id", str(items[0]["id"]))
    expect(page.get_by_test_id("hit-count")).to_contain_text("ssl space")


CARDS = [f"my card {w} {n}" for n in range(55) for w in ("arrived late", "never came", "was declined", "got stolen")]


def test_results_keep_their_place_after_opening_one(page: Any, server: Server, shots: Shots) -> None:
    pid = _text_project(server, "Card questions", CARDS)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/search?q=card+never+came")
    hits = page.get_by_test_id("hit")
    expect(hits).to_have_count(48)
    page.get_by_test_id("show-more").click()
    expect(hits).to_have_count(96)
    assert re.search(r"[?&]k=96\b", page.url), page.url
    ranked = hits.evaluate_all("els => els.map(e => Number(e.dataset.itemId))")

    # Open the 70th result from where it is on screen.
    target = hits.nth(69)
    target.scroll_into_view_if_needed()
    before = page.evaluate("document.querySelector('main').scrollTop")
    assert before > 0
    target.locator("a.open").click()
    expect(page.get_by_test_id("item-page")).to_be_visible()
    assert page.url.endswith(f"/items/{ranked[69]}?from=search")
    expect(page.get_by_test_id("item-position")).to_have_text("70 / 96 in the results")
    expect(page.get_by_test_id("back-to-results")).to_be_visible()
    shots(page, "item-from-results")

    # Back: as many results, scrolled as they were.
    page.go_back()
    expect(hits).to_have_count(96)
    page.wait_for_function(f"Math.abs(document.querySelector('main').scrollTop - {before}) < 2")
    shots(page, "back-at-the-same-place")

    # Next walks the results, not the project; "back to results" shows the item walked to.
    target.locator("a.open").click()
    page.get_by_test_id("next-item").click()
    expect(page).to_have_url(re.compile(rf"/items/{ranked[70]}\?from=search$"))
    expect(page.get_by_test_id("item-position")).to_have_text("71 / 96 in the results")
    page.get_by_test_id("back-to-results").click()
    expect(hits).to_have_count(96)
    walked = page.locator(f'[data-testid="hit"][data-item-id="{ranked[70]}"]')
    expect(walked).to_be_in_viewport()

    # At the server's maximum the page says the list is cut, instead of only dropping "Show more".
    page.goto(f"/#/projects/{pid}/search?q=card+never+came&k=200")
    expect(hits).to_have_count(200)
    expect(page.get_by_test_id("top-limit")).to_contain_text("top 200")
    expect(page.get_by_test_id("show-more")).to_have_count(0)

    # The box takes 1,000 characters; a longer query from a link is refused in words, without asking the server.
    expect(page.get_by_test_id("search-input")).to_have_attribute("maxlength", "1000")
    page.goto(f"/#/projects/{pid}/search?q={'card+' * 300}")
    expect(page.get_by_test_id("problem")).to_contain_text("The query is too long")


DUP_TEXTS = [
    "Where is my refund?", "Where is my refund?",
    "how do I change my pin", "how do I change my pin?", "how do i change my PIN",
    "exchange rate for euros", "top up failed with an error", "someone stole my phone",
]  # fmt: skip


def test_duplicates_name_their_space_and_the_servers_threshold(page: Any, server: Server, shots: Shots) -> None:
    pid = _text_project(server, "Texts with near copies", DUP_TEXTS)
    chosen = server.api.get(f"{API}/projects/{pid}/duplicates").json()
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/duplicates")
    expect(page.get_by_test_id("dup-space")).to_contain_text("ngram")
    shown = chosen["threshold"]
    expect(page.get_by_test_id("threshold-value")).to_have_text(f"{shown:.3f}" if 0.99 <= shown < 1 else f"{shown:.2f}")
    expect(page.get_by_test_id("threshold-origin")).to_be_visible()
    expect(page.get_by_test_id("space-name")).to_contain_text("ngram")
    shots(page, "duplicates-server-threshold")

    # The slider at its lowest: the user's threshold is asked for, and the way back to the server's is offered.
    slider = page.get_by_test_id("threshold")
    slider.focus()
    page.keyboard.press("Home")
    expect(page.get_by_test_id("threshold-value")).to_have_text("0.80")
    expect(page.get_by_test_id("threshold-reset")).to_be_visible()
    expect(page.get_by_test_id("dup-space")).to_contain_text("0.80 or more")
    near = page.locator('[data-testid="dup-group"][data-kind="near"]')
    expect(near.first).to_be_visible()

    # The confirmation names what is kept and each item deleted.
    group = near.first
    names = group.get_by_test_id("dup-name").all_inner_texts()
    group.get_by_test_id("keep-this").first.click()
    dialog = page.get_by_test_id("confirm-drop")
    expect(dialog.get_by_test_id("keep-name")).to_have_text(names[0])
    expect(dialog.get_by_test_id("drop-list").locator("li")).to_have_count(len(names) - 1)
    expect(dialog.get_by_test_id("near-warning")).to_be_visible()
    shots(page, "keep-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_test_id("threshold-reset").click()
    expect(page.get_by_test_id("threshold-origin")).to_be_visible()


def test_the_map_keeps_its_zoom_and_isolates_a_label(page: Any, server: Server, shots: Shots) -> None:
    texts = [f"{w} {n}" for n in range(6) for w in ("card arrived", "refund please", "pin change")]
    pid = _text_project(server, "Map memory", texts, ["cards", "refunds"])
    items = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 100}).json()["items"]
    for it in items[:6]:
        anns = server.api.get(f"{API}/projects/{pid}/items/{it['id']}/annotations").json()
        body = {"version": anns["version"], "annotations": [{"kind": "class", "label": "cards", "geometry": {}}]}
        assert server.api.put(f"{API}/projects/{pid}/items/{it['id']}/annotations", json=body).status_code == 200
    _run(server, f"{API}/projects/{pid}/map", {"space": "ngram"})
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/map")
    canvas = page.get_by_test_id("map-canvas")
    expect(canvas).to_have_attribute("data-drawn", str(len(texts)))
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    for _ in range(6):
        page.mouse.wheel(0, -300)
    expect(canvas).not_to_have_attribute("data-drawn", str(len(texts)))
    # The last wheel's view is painted in the next frame (the page keeps the view when it is reloaded).
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    drawn = canvas.get_attribute("data-drawn")
    page.reload()
    expect(canvas).to_have_attribute("data-drawn", drawn or "")
    page.get_by_role("button", name="Fit").click()
    expect(canvas).to_have_attribute("data-drawn", str(len(texts)))

    entry = page.get_by_test_id("legend-entry").filter(has_text="cards")
    entry.click()
    expect(entry).to_have_attribute("aria-pressed", "true")
    shots(page, "map-isolated")
    entry.click()
    expect(entry).to_have_attribute("aria-pressed", "false")


def test_an_empty_project_says_to_import_first(page: Any, server: Server) -> None:
    pid = int(server.create_project("Nothing yet", [])["id"])
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/search")
    expect(page.get_by_test_id("no-items")).to_contain_text("import some first")
    expect(page.get_by_test_id("train-encoder")).to_have_count(0)
    expect(page.get_by_test_id("compute-embeddings")).to_have_count(0)
    page.get_by_test_id("tab-map").click()
    expect(page.get_by_test_id("map-needs-embeddings")).to_be_visible()
    expect(page.get_by_test_id("compute-map")).to_have_count(0)
