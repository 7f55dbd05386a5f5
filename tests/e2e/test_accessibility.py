"""Accessibility behaviours the app promises, checked in the browser (no axe here: that runs by hand, see the QA
notes): every route has a title "<page> · <project> · labelhub"; the editor's save state is a polite live region
and opening an item says which item it is and where in the list; the editor's label list is a valid listbox (only
options inside, arrow keys between the rows) with the show/hide buttons in a list of their own; the
shortcut sheet's close button is named by what it shows; the reject popover keeps Tab inside and gives focus back
to Reject on Esc; no empty table headers; fields and grid checkboxes show a solid focus ring."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    focused,
    import_images,
    login,
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
    # of it. (Every row is still a Tab stop: test_editor_keyboard.py counts them.)
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
