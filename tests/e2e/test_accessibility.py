"""Accessibility behaviours the app promises, checked in the browser: every route has a title "<page> · <project> ·
labelhub"; every page and state has one h1 and headings that skip no level (axe's page-has-heading-one,
heading-order and empty-heading rules; axe itself runs by hand, see docs/web.md); the editor's save state is a
polite live region and opening an item says which item it is and where in the list; the editor's label list is a
valid listbox (only options inside, arrow keys between the rows) with the show/hide buttons in a list of their own;
the shortcut sheet's close button is named by what it shows; the reject popover keeps Tab inside and gives focus
back to Reject on Esc; no empty table headers; fields and grid checkboxes show a solid focus ring; a link in a
sentence is underlined, not told apart by its colour alone (axe's link-in-text-block), and "More like this" on a
result is named by the text it shows (label-content-name-mismatch)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e._video_page import import_clip, open_item
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    add_member,
    focused,
    import_images,
    login,
    logout,
    wait_for_editor,
)

SIZE = (800, 600)


def _project_with_labelled_items(server: Server, name: str, n: int = 3) -> tuple[int, list[int], str]:
    """A project of ``n`` images, the first with two accepted boxes; return its id, the item ids and its name."""
    project = server.create_project(name, ["car", "person", "bike"])
    pid: int = project["id"]
    ids = import_images(server, pid, re.sub(r"\W+", "-", name.lower()), n, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}/annotations").raise_for_status().json()["version"]
    body = {
        "version": version,
        "annotations": [
            {"kind": "box", "label": label, "geometry": {"bbox": bbox}, "source": "human", "state": "accepted"}
            for label, bbox in (("car", [100, 100, 300, 250]), ("person", [400, 200, 550, 500]))
        ],
    }
    server.api.put(f"{API}/projects/{pid}/items/{ids[0]}/annotations", json=body).raise_for_status()
    return pid, ids, name


def test_titles_live_regions_and_the_label_listbox(page: Any, server: Server, shots: Shots) -> None:
    pid, ids, name = _project_with_labelled_items(server, "A11y titles")
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    # A title per route, with the project's name once known.
    expect(page).to_have_title("Projects · labelhub")
    page.goto(f"/#/projects/{pid}")
    expect(page).to_have_title(f"Items · {name} · labelhub")
    page.goto(f"/#/projects/{pid}/settings")
    expect(page).to_have_title(f"Settings · {name} · labelhub")
    # No empty table header: the members table's actions column is named (for screen readers only).
    for th in page.locator("th").all():
        assert th.inner_text().strip() or th.text_content().strip(), th.evaluate("e => e.outerHTML")
    page.goto("/#/jobs")
    expect(page).to_have_title("Jobs · labelhub")
    for th in page.locator("th").all():
        assert th.text_content().strip(), th.evaluate("e => e.outerHTML")
    page.goto("/#/no-such-page")
    expect(page).to_have_title("Page not found · labelhub")

    # The item page: the item's name in the title, and a polite announcement of which item and where.
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    wait_for_editor(page, SIZE)
    expect(page).to_have_title(f"scene-01.png · {name} · labelhub")
    announcer = page.get_by_test_id("announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text(re.compile(r"^scene-01\.png, item 1 of 3\s*$"))
    save = page.get_by_test_id("editor").get_by_test_id("save-status")
    expect(save).to_have_attribute("aria-live", "polite")
    expect(save).to_have_attribute("role", "status")
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("n")
    expect(page).to_have_title(f"scene-02.png · {name} · labelhub")
    expect(announcer).to_have_text(re.compile(r"^scene-02\.png, item 2 of 3\s*$"))
    page.keyboard.press("p")
    expect(page).to_have_title(f"scene-01.png · {name} · labelhub")

    # The label list: a listbox whose every child is an option (the rows' list items are presentational), the
    # show/hide buttons in a list of their own, named by class.
    panel = page.get_by_role("complementary", name="Labels and properties")
    listbox = panel.get_by_role("listbox", name="Label for new shapes")
    structure = listbox.evaluate(
        """ul => [...ul.children].map(li => [li.tagName, li.getAttribute('role'),
                   [...li.querySelectorAll('button, input, a, select')]
                     .map(c => c.getAttribute('role') || c.tagName)])"""
    )
    assert structure == [["LI", "none", ["option"]]] * 3, structure
    options = listbox.get_by_role("option")
    expect(options).to_have_count(3)
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    eyes = panel.get_by_role("list", name="Show or hide classes")
    expect(eyes.get_by_role("button", name="Hide person")).to_be_visible()
    # ↓/↑/End/Home move focus between the rows; Enter chooses; the editor's arrow keys (next item, nudge) stay out
    # of it. (The list is one Tab stop: test_editor_keyboard.py walks the Tab order.)
    options.nth(0).focus()
    url = page.url
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(options.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(options.nth(1)).to_be_focused()
    page.keyboard.press("Home")
    expect(options.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    assert page.url == url
    shots(page, "label-listbox")
    # Past the last row, Tab goes on to the show/hide buttons.
    options.nth(2).focus()
    page.keyboard.press("Tab")
    assert focused(page) == "BUTTON Hide car", focused(page)

    # The shortcut sheet's close button: its name has the text it shows.
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    close = page.get_by_role("dialog", name="Keyboard shortcuts").get_by_role("button", name=re.compile(r"^Esc\b"))
    expect(close).to_have_text("Esc")
    page.keyboard.press("Escape")


def test_reject_popover_keeps_tab_inside_and_esc_returns_to_reject(page: Any, server: Server, shots: Shots) -> None:
    pid, ids, _ = _project_with_labelled_items(server, "A11y reject", n=1)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}?queue=review")
    wait_for_editor(page, SIZE)
    reject = page.get_by_test_id("reject-item")
    expect(reject).to_be_enabled()
    reject.focus()
    page.keyboard.press("Enter")
    comment = page.get_by_test_id("reject-comment")
    expect(comment).to_be_focused()
    dialog = page.get_by_role("dialog", name="Reject the item")
    inside = "() => !!document.activeElement?.closest('[role=dialog][aria-label=\"Reject the item\"]')"
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        page.keyboard.press(key)
        assert page.evaluate(inside), f"{key} left the popover for {focused(page)}"
    shots(page, "reject-popover")
    # Esc from a button in it (not only from the comment box): closed, and focus back on Reject.
    dialog.get_by_role("button", name=re.compile("^Cancel")).focus()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(reject).to_be_focused()
    # And from the comment box.
    page.keyboard.press("Enter")
    expect(comment).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(reject).to_be_focused()


def test_fields_and_grid_checkboxes_show_a_solid_focus_ring(page: Any, server: Server, shots: Shots) -> None:
    pid, _, _ = _project_with_labelled_items(server, "A11y focus", n=2)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    check = page.locator("input.check").first
    check.wait_for(state="attached")
    cell = page.locator("a.cell").first
    cell.focus()
    page.keyboard.press("Tab")
    expect(check).to_be_focused()
    ring = check.evaluate("e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth, s.opacity]; }")
    assert ring == ["solid", "2px", "1"], ring
    search = page.get_by_role("searchbox").first
    if search.count() == 0:
        search = page.locator("input[type=search], input[type=text]").first
    search.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
                   return [e.tagName, s.outlineStyle, s.outlineWidth]; }"""
    )
    assert outline[0] in ("INPUT", "SELECT") and outline[1:] == ["solid", "2px"], outline
    shots(page, "focus-rings")


def test_skip_to_items_and_arrow_keys_between_grid_cells(page: Any, server: Server, shots: Shots) -> None:
    pid, _, _ = _project_with_labelled_items(server, "A11y grid", n=6)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    cells = page.get_by_test_id("thumb")
    expect(cells).to_have_count(6)
    # "Skip to items": the first Tab stop of the page's content, shown when focused; Enter lands on the first cell.
    skip = page.get_by_role("button", name="Skip to items")
    page.get_by_role("link", name="Projects", exact=True).last.focus()
    page.keyboard.press("Shift+Tab")
    expect(skip).to_be_focused()
    assert skip.is_visible()
    page.keyboard.press("Enter")
    expect(cells.nth(0)).to_be_focused()
    # → and ← go along the items, ↓ and ↑ a row (of however many columns the grid has now).
    page.keyboard.press("ArrowRight")
    expect(cells.nth(1)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(cells.nth(0)).to_be_focused()
    columns: int = page.evaluate(
        """() => { const c = [...document.querySelectorAll('[data-testid=thumb]')]
                     .map(e => e.getBoundingClientRect().top);
                   return c.filter(t => t === c[0]).length; }"""
    )
    page.keyboard.press("ArrowDown")
    expect(cells.nth(min(columns, 5))).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(cells.nth(0) if columns < 6 else cells.nth(5)).to_be_focused()
    shots(page, "grid-arrows")
    # The page stayed where it was (arrows move focus, they open nothing).
    assert page.url.endswith(f"#/projects/{pid}"), page.url


# The headings a screen reader lists: <h1>-<h6> and role=heading, less those hidden from it (visually hidden ones,
# .sr-only, count).
_OUTLINE = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')]
  .filter(h => h.checkVisibility({visibilityProperty: true}) && !h.closest('[aria-hidden=true]'))
  .map(h => [Number(h.getAttribute('aria-level') || h.tagName.slice(1)) || 2, h.textContent.trim()])"""


def _outline_problems(page: Any) -> list[str]:
    """What is wrong with the page's heading outline: not exactly one h1, a level skipped on the way down (an h3
    under an h1), an empty heading; [] for none."""
    outline: list[tuple[int, str]] = [(level, text) for level, text in page.evaluate(_OUTLINE)]
    problems: list[str] = []
    if [level for level, _ in outline].count(1) != 1:
        problems.append("not exactly one h1")
    previous = 0
    for level, text in outline:
        if level > previous + 1:
            problems.append(f"h{level} {text!r} after h{previous}")
        if not text:
            problems.append(f"an empty h{level}")
        previous = level
    return [f"{page.url}: {p} in {outline}" for p in problems]


def _check_outline(page: Any, path: str, h1: str | re.Pattern[str], shown: str | None = None) -> None:
    """Open ``path``, wait for its h1 (and for what the selector ``shown`` finds: the state meant), and check its
    heading outline."""
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(h1)
    if shown:
        page.locator(shown).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert _outline_problems(page) == []


def _text_project_with_a_map(server: Server, name: str) -> int:
    """A text project with class labels, its ngram embeddings and its map: the search results and the map's legend."""
    pid = int(server.create_project(name, ["cards", "refunds"], item_kind="text")["id"])
    src = server.files / (re.sub(r"\W+", "-", name.lower()) + ".jsonl")
    texts = [f"{w} {n}" for n in range(4) for w in ("card arrived", "refund please", "pin change")]
    src.write_text("".join(json.dumps({"id": f"t{i:02d}", "text": t}) + "\n" for i, t in enumerate(texts)))
    for url, body in (
        (f"{API}/projects/{pid}/imports", {"source": str(src), "format": "text"}),
        (f"{API}/projects/{pid}/embeddings", {"space": "ngram"}),
        (f"{API}/projects/{pid}/map", {"space": "ngram"}),
    ):
        r = server.api.post(url, json=body)
        assert r.status_code == 202, r.text
        assert server.wait_for_job(r.json()["id"], timeout=120)["status"] == "succeeded"
    return pid


def test_every_page_has_one_h1_and_no_skipped_heading_levels(page: Any, server: Server, shots: Shots) -> None:
    pid, _, name = _project_with_labelled_items(server, "A11y outline", n=2)
    empty = server.create_project("A11y outline empty", ["car"])["id"]
    tid = _text_project_with_a_map(server, "A11y outline texts")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to labelhub")
    assert _outline_problems(page) == []
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    for path, h1, shown in [
        ("/#/projects", "Projects", None),
        ("/#/projects/new", "New project", None),
        (f"/#/projects/{pid}", name, "[data-testid=thumb]"),  # the counts beside the grid: h2 under the project's h1
        (f"/#/projects/{pid}?status=rejected", name, "role=heading[name='No items match']"),
        (f"/#/projects/{empty}", "A11y outline empty", "role=heading[name='This project is empty']"),
        (f"/#/projects/{pid}/settings", "Project settings", None),
        (f"/#/projects/{pid}/activity", "Activity", None),
        (f"/#/projects/{pid}/workload", "Workload", "[data-testid=workload]"),
        (f"/#/projects/{pid}/review", "Review queue", None),
        (f"/#/projects/{pid}/search", "Search", None),
        (f"/#/projects/{tid}/search?q=card", "Search", "[data-testid=hit-more-like-this]"),
        (f"/#/projects/{tid}/duplicates", "Duplicates", None),
        (f"/#/projects/{pid}/map", "Embedding map", "[data-testid=map-needs-embeddings]"),
        (f"/#/projects/{tid}/map", "Embedding map", "[data-testid=legend-entry]"),  # the legend: an h2
        (f"/#/projects/{pid}/models", "Models", None),
        (f"/#/projects/{pid}/webhooks", "Webhooks", "role=heading[name='No webhooks yet']"),
        ("/#/jobs", "Jobs", None),
        ("/#/no-such-page", "Nothing here", None),
    ]:
        _check_outline(page, path, h1, shown)
    # A dialog's title is an h2 under the page's h1.
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("thumb").first.wait_for()
    page.get_by_role("button", name=re.compile("^Import")).first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert _outline_problems(page) == []
    shots(page, "outline-import-dialog")
    page.keyboard.press("Escape")
    # A viewer is refused the activity page: the refusal is its h1.
    _, password = add_member(server, pid, "a11y-outline-viewer", "viewer")
    logout(page)
    login(page, "a11y-outline-viewer", password)
    _check_outline(page, f"/#/projects/{pid}/activity", "Managers only")


def test_the_item_page_has_one_h1_and_its_panels_are_h2(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid, ids, _ = _project_with_labelled_items(server, "A11y item outline", n=1)
    tid = _text_project_with_a_map(server, "A11y item outline texts")
    vid_project = server.create_project("A11y video outline", ["person"], item_kind="video")["id"]
    vid = import_clip(server, vid_project, tmp_path)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    # The item's name is the page's h1 (for screen readers only: the editor shows it where it has room).
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_role("heading", level=1)).to_have_text("scene-01.png")
    assert _outline_problems(page) == []
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert _outline_problems(page) == []
    page.keyboard.press("Escape")
    page.goto(f"/#/projects/{tid}/items/{server.api.get(f'{API}/projects/{tid}/items').json()['items'][0]['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("t00")
    expect(page.get_by_role("heading", name="Whole-text classes")).to_be_visible()
    assert _outline_problems(page) == []
    open_item(page, vid_project, vid)
    expect(page.get_by_role("heading", level=1)).to_have_text("crossing.zip")
    assert _outline_problems(page) == []
    shots(page, "outline-video-editor")


# A link's own text decoration (not the one a parent draws): what tells it from the words around it.
_DECORATION = "a => getComputedStyle(a).textDecorationLine"


def test_links_in_sentences_are_underlined_and_more_like_this_reads_as_named(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, ids, _ = _project_with_labelled_items(server, "A11y links", n=1)
    empty = server.create_project("A11y links empty", ["car"])["id"]
    tid = _text_project_with_a_map(server, "A11y links texts")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    # The activity page: a change names its item in the sentence ("… item N"): that link is underlined.
    page.goto(f"/#/projects/{pid}/activity")
    item = page.get_by_test_id("activity-row").get_by_role("link", name=f"item {ids[0]}").first
    expect(item).to_be_visible()
    assert item.evaluate(_DECORATION) == "underline"
    shots(page, "activity-item-link")
    # The empty map (no embeddings yet): "compute them on the search page".
    page.goto(f"/#/projects/{pid}/map")
    link = page.get_by_test_id("map-needs-embeddings").get_by_role("link", name="search page")
    expect(link).to_be_visible()
    assert link.evaluate(_DECORATION) == "underline"
    # Search with no items: "import some first, from the project page".
    page.goto(f"/#/projects/{empty}/search")
    link = page.get_by_test_id("no-items").get_by_role("link", name="project page")
    expect(link).to_be_visible()
    assert link.evaluate(_DECORATION) == "underline"

    # A result's "More like this": its name starts with what it shows, then says which result.
    page.goto(f"/#/projects/{tid}/search?q=card")
    hits = page.get_by_test_id("hit")
    expect(hits.first).to_be_attached()
    for hit in hits.all():
        like = hit.get_by_test_id("hit-more-like-this")
        expect(like).to_have_text("More like this")
        expect(like).to_have_attribute("aria-label", f"More like this: {hit.locator('.name').inner_text()}")
    # It leads to the items like the first result, whose name (a link in "Items like t01") is underlined too.
    first = hits.first.locator(".name").inner_text()
    hits.first.get_by_test_id("hit-more-like-this").click()
    similar = page.get_by_test_id("similar-to").get_by_role("link", name=first)
    expect(similar).to_be_visible()
    assert similar.evaluate(_DECORATION) == "underline"
    shots(page, "items-like")
