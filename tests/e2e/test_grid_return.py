"""Coming back from an item to a long grid, walking items with the keyboard, and items imported without media.

* The grid comes back where it was left (the same first item in view), by the item page's "← project" link and by
  the browser's Back, without loading the list again page by page; after walking on with N, the item the user was
  on is in view and marked.
* A reload keeps the place too: the grid loads its pages down to where it was, and after a reload on an item page
  the way back still marks the item the user was on.
* N pressed the moment an item is drawn, while its neighbours are still being looked up, is carried out when they
  arrive, not dropped.
* A metadata-only image (no stored media) opens without asking for its media and with a neutral notice, not the
  red "could not be loaded" error; its grid cell shows its "No media" placeholder without the text over the icon.
* Quick item-to-item navigation leaves no Svelte warning in the console.
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, eventually, login

N_TEXTS = 2_500
N_IMAGES = 300

# The item page looks its neighbours up with small keyset requests (`/items?after=…&limit=…`); on a slow network
# they come after the item is drawn. `window.__navDelay` (ms) holds them back that long, on item pages only.
SLOW_NEIGHBOURS = """
  (() => {
    window.__navDelay = 0;
    const plain = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input.url;
      if (window.__navDelay && location.hash.includes('/items/') && /\\/items\\?/.test(url)) {
        await new Promise((r) => setTimeout(r, window.__navDelay));
      }
      return plain(input, init);
    };
  })();
"""

FIRST_VISIBLE = """(el) => {
  const top = el.getBoundingClientRect().top;
  const ids = [...el.querySelectorAll('[data-testid=thumb]')]
    .filter((c) => c.getBoundingClientRect().bottom > top + 1)
    .map((c) => Number(c.dataset.itemId));
  return ids.length ? Math.min(...ids) : null;
}"""

IN_VIEW = """([el, id]) => {
  const cell = el.querySelector(`[data-item-id="${id}"]`);
  if (!cell) return false;
  const g = el.getBoundingClientRect(), c = cell.getBoundingClientRect();
  return c.top >= g.top - 1 && c.bottom <= g.bottom + 1;
}"""


def _texts(server: Server, name: str) -> tuple[int, list[int]]:
    source = server.files / f"{name}.jsonl"
    with source.open("w") as f:
        for i in range(N_TEXTS):
            f.write(json.dumps({"id": f"t{i:05d}", "text": f"support request number {i}"}) + "\n")
    pid: int = server.create_project(name, ["card"], item_kind="text")["id"]
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    ids: list[int] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 1000} | ({"after": after} if after else {})
        page = server.api.get(f"{API}/projects/{pid}/items", params=params).raise_for_status().json()
        ids += [it["id"] for it in page["items"]]
        after = page["next_after"]
        if after is None:
            return pid, ids


def _metadata_only_images(server: Server) -> tuple[int, list[int]]:
    """A project of images imported from a COCO file without their media (`media: none`)."""
    pid: int = server.create_project("Metadata only", ["car"])["id"]
    doc = {
        "images": [
            {"id": i, "file_name": f"cam-{i:04d}.jpg", "width": 640, "height": 480} for i in range(1, N_IMAGES + 1)
        ],
        "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [40, 40, 200, 120], "iscrowd": 0}],
        "categories": [{"id": 1, "name": "car"}],
    }
    path = server.files / "metadata-only.json"
    path.write_text(json.dumps(doc))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(path), "format": "coco", "media": "none"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 1000}).raise_for_status().json()["items"]
    assert len(items) == N_IMAGES and all(it["media_key"] is None for it in items)
    return pid, [it["id"] for it in items]


def _scroll_screens(grid: Any, screens: int) -> None:
    """Scroll the grid down a screen at a time, waiting for pages to load when the end of what is loaded is near."""
    grid.evaluate(
        """async (el, screens) => {
          for (let i = 0; i < screens; i++) {
            const want = el.scrollTop + el.clientHeight;
            for (let t = 0; t < 250 && el.scrollTop < want - 1; t++) {
              el.scrollTop = want;
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        }""",
        screens,
    )


def _grid_requests(page: Any, pid: int) -> list[str]:
    urls: list[str] = []

    def on_request(req: Any) -> None:
        # The item page's own lookups (its counts, its position) may still be on their way when it is left.
        ours = "annotator=" not in req.url and "with_total" not in req.url and "position_of=" not in req.url
        if f"/projects/{pid}/items?" in req.url and ours:
            urls.append(req.url)

    page.on("request", on_request)
    return urls


def _first_visible(page: Any) -> int:
    first: int = page.get_by_test_id("grid").evaluate(FIRST_VISIBLE)
    return first


def _shows_first(page: Any, first: int) -> None:
    def check() -> None:
        got = _first_visible(page)
        assert got == first, f"the first item in view is {got}, not {first}"

    eventually(check, timeout=5)


def _fifty_screens_down(page: Any, pid: int, ids: list[int]) -> tuple[Any, int]:
    """Log in, open the project's grid and scroll it 50 screens down; return the grid and its first item in view."""
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    grid = page.get_by_test_id("grid")
    expect(page.get_by_test_id("thumb").first).to_contain_text("support request number 0")
    _scroll_screens(grid, 50)
    # Line the first row in view up with the grid's top: an item cut by the edge is scrolled fully into view when
    # it is opened and left (as it should), and whether 50 screens end on a cut row depends on the window's height.
    grid.evaluate(
        """(el) => {
          const top = el.getBoundingClientRect().top;
          const cell = [...el.querySelectorAll('[data-testid=thumb]')]
            .find((c) => c.getBoundingClientRect().bottom > top + 1);
          if (cell) el.scrollTop += cell.getBoundingClientRect().top - top;
        }"""
    )
    first = _first_visible(page)
    assert ids.index(first) > 900, f"50 screens down should be past item 900, the first in view is #{ids.index(first)}"
    return grid, first


def _open_and_walk(page: Any, ids: list[int], first: int, steps: int) -> int:
    """Open item ``first`` from the grid and press N ``steps`` times; return its place in ``ids``."""
    page.locator(f'[data-testid="thumb"][data-item-id="{first}"]').click()
    at = ids.index(first)
    for step in range(1, steps + 1):
        expect(page.get_by_test_id("text-body")).to_have_text(f"support request number {at + step - 1}")
        expect(page.get_by_test_id("next-item")).to_be_enabled()
        page.keyboard.press("n")
        expect(page).to_have_url(re.compile(rf"/items/{ids[at + step]}$"))
    return at


def test_the_grid_comes_back_where_it_was_by_the_link_and_by_back(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _texts(server, "Long grid")
    grid, first = _fifty_screens_down(page, pid, ids)
    shots(page, "fifty-screens-down")

    # Open the first item in view, then come back by the page's own link.
    page.locator(f'[data-testid="thumb"][data-item-id="{first}"]').click()
    expect(page.get_by_test_id("text-body")).to_have_text(f"support request number {ids.index(first)}")
    requests = _grid_requests(page, pid)
    page.get_by_test_id("back-to-grid").click()
    expect(page.get_by_test_id("thumb").first).to_be_visible()
    _shows_first(page, first)
    opened = page.locator(f'[data-testid="thumb"][data-item-id="{first}"]')
    expect(opened).to_have_attribute("aria-current", "true")
    shots(page, "back-by-the-link")
    # The loaded items were kept: at most the rows in view are read again, never the list from its start.
    page.wait_for_timeout(300)
    assert len(requests) <= 1, requests
    assert all("after=" in u for u in requests), f"the grid started over from the first page: {requests}"

    # The same by the browser's Back.
    second = ids[ids.index(first) + 2]
    page.locator(f'[data-testid="thumb"][data-item-id="{second}"]').click()
    expect(page.get_by_test_id("text-body")).to_have_text(f"support request number {ids.index(second)}")
    page.go_back()
    _shows_first(page, first)
    expect(page.locator(f'[data-testid="thumb"][data-item-id="{second}"]')).to_have_attribute("aria-current", "true")
    shots(page, "back-by-the-browser")

    # Walk on with N past the end of the screen: back on the grid, the item the user was on is in view and marked.
    at = _open_and_walk(page, ids, first, 40)
    last = ids[at + 40]
    expect(page.get_by_test_id("text-body")).to_have_text(f"support request number {at + 40}")
    page.get_by_test_id("back-to-grid").click()
    page.wait_for_function(IN_VIEW, arg=[grid.element_handle(), last])
    walked = page.locator(f'[data-testid="thumb"][data-item-id="{last}"]')
    expect(walked).to_have_attribute("aria-current", "true")
    expect(walked).to_be_focused()
    assert _first_visible(page) > first
    shots(page, "back-after-walking")


def test_a_reload_keeps_the_place_in_the_grid_and_on_the_way_back(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _texts(server, "Reloaded grid")
    grid, first = _fifty_screens_down(page, pid, ids)

    page.reload()
    expect(page.get_by_test_id("thumb").first).to_be_visible()
    _shows_first(page, first)
    shots(page, "after-a-reload")

    # Open an item, walk on with N, reload on the item page: the way back still marks the item the user was on.
    at = _open_and_walk(page, ids, first, 3)
    page.reload()
    expect(page.get_by_test_id("text-body")).to_have_text(f"support request number {at + 3}")
    page.get_by_test_id("back-to-grid").click()
    walked = page.locator(f'[data-testid="thumb"][data-item-id="{ids[at + 3]}"]')
    expect(walked).to_have_attribute("aria-current", "true")
    page.wait_for_function(IN_VIEW, arg=[grid.element_handle(), ids[at + 3]])
    _shows_first(page, first)
    shots(page, "back-after-a-reload-on-the-item")


def test_n_pressed_while_the_neighbours_load_is_carried_out(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _texts(server, "Quick keys")
    page.add_init_script(SLOW_NEIGHBOURS)
    warnings: list[str] = []
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type in ("warning", "error") else None)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("text-body")).to_have_text("support request number 0")
    page.evaluate("window.__navDelay = 600")
    for k in range(1, 6):
        # Pressed as soon as the item is drawn: its neighbours are still on their way (600 ms).
        page.keyboard.press("n")
        expect(page).to_have_url(re.compile(rf"/items/{ids[k]}$"), timeout=3_000)
        expect(page.get_by_test_id("text-body")).to_have_text(f"support request number {k}")
    # P as well, at once.
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile(rf"/items/{ids[4]}$"), timeout=3_000)
    shots(page, "walked-with-quick-keys")

    # Rapid presses without waiting, as a user holding N: no Svelte warning on the way (svelte.dev/e/derived_inert).
    page.evaluate("window.__navDelay = 0")
    expect(page.get_by_test_id("text-body")).to_have_text("support request number 4")
    for _ in range(12):
        page.keyboard.press("n")
        page.wait_for_timeout(40)
    page.wait_for_timeout(1_000)
    assert not [w for w in warnings if "svelte" in w.lower() or "derived_inert" in w], warnings


def test_a_metadata_only_image_asks_for_no_media_and_shows_a_neutral_notice(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, ids = _metadata_only_images(server)
    media: list[str] = []
    wanted = re.compile(r"/items/\d+/(media|thumbnail)")
    page.on("request", lambda req: media.append(req.url) if wanted.search(req.url) else None)
    page.add_init_script(SLOW_NEIGHBOURS)
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    # The grid: each cell says "No media" under its own icon, not over the picture icon of a loading thumbnail.
    page.goto(f"/#/projects/{pid}")
    cell = page.locator(f'[data-testid="thumb"][data-item-id="{ids[0]}"]')
    placeholder = cell.get_by_test_id("no-media")
    expect(placeholder).to_have_text("No media")
    layout = cell.evaluate(
        """(c) => {
          const box = c.querySelector('.img'), icon = c.querySelector('[data-testid=no-media] svg');
          const text = document.createRange();
          text.selectNodeContents(c.querySelector('[data-testid=no-media]'));
          text.setStartAfter(icon);
          const t = text.getBoundingClientRect(), i = icon.getBoundingClientRect();
          return { background: getComputedStyle(box).backgroundImage, iconBottom: i.bottom, textTop: t.top,
                   iconH: i.height, boxTop: box.getBoundingClientRect().top,
                   boxBottom: box.getBoundingClientRect().bottom, textBottom: t.bottom };
        }"""
    )
    assert layout["background"] == "none", "the loading picture icon is still drawn behind the placeholder"
    assert layout["iconH"] > 0 and layout["iconBottom"] <= layout["textTop"], layout
    assert layout["boxTop"] <= layout["iconBottom"] - layout["iconH"] and layout["textBottom"] <= layout["boxBottom"]
    shots(page, "no-media-cells")

    # The item: a neutral notice, no red error, no request for media it does not have.
    cell.click()
    editor = page.get_by_test_id("editor")
    notice = page.get_by_test_id("no-media-notice")
    expect(notice).to_have_text("No image stored for this item (imported without media); shapes can still be edited")
    expect(editor.get_by_text("Loading image…")).to_have_count(0)
    page.wait_for_timeout(500)
    expect(page.get_by_text("could not be loaded")).to_have_count(0)
    expect(editor.locator(".toast.error")).to_have_count(0)
    shots(page, "metadata-only-item")

    # N the moment the next item is drawn, while its neighbours load: it goes on; still no media asked for.
    page.evaluate("window.__navDelay = 600")
    for k in range(1, 4):
        page.keyboard.press("n")
        expect(page).to_have_url(re.compile(rf"/items/{ids[k]}$"), timeout=3_000)
        expect(notice).to_be_visible()
    page.wait_for_timeout(300)
    assert media == [], f"media was asked for items that have none: {media}"
