"""F6 and Shift+F6 go round an editor's regions (the canvas or the text, the toolbar, each side panel section that
has a control, the page's top bar, then the canvas again), in the image and the text editor (the video editor's
ring: ``test_video_editor_keyboard.py``); the tag chips are one Tab stop with the arrow keys inside and Space or
Enter toggling the focused chip; the text editor's list of spans is one Tab stop with ↑/↓ inside."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    add_member,
    eventually,
    focused,
    import_images,
    login,
    wait_for_editor,
)
from tests.e2e.test_text_editor import TEXTS, _text_project

SIZE = (640, 480)
BACK = "A Back to the project"


def _presses(page: Any, key: str, n: int) -> list[str]:
    """Press ``key`` ``n`` times; what had focus after each press."""
    seen = []
    for _ in range(n):
        page.keyboard.press(key)
        seen.append(focused(page))
    return seen


def test_f6_goes_round_the_image_editor_and_the_tags_are_one_tab_stop(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Regions image", ["car", "person"])["id"]
    [iid] = import_images(server, pid, "regions-image", 1, SIZE)
    _, password = add_member(server, pid, "regions-image", "annotator")
    login(page, "regions-image", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    canvas = page.get_by_test_id("editor-canvas")
    url = page.url

    # From the canvas: the toolbar (its tool in use), the label list (its row in use), the image tags (the
    # "Selection" section has no control with nothing selected: skipped), the top bar, the canvas again.
    canvas.focus()
    ring = ["BUTTON Select (V)", "BUTTON Draw car", "BUTTON Add the tag car", BACK]
    assert _presses(page, "F6", 4) == ring
    shots(page, "f6-on-the-top-bar")
    page.keyboard.press("F6")
    expect(canvas).to_be_focused()
    # Shift+F6 goes the other way round.
    assert _presses(page, "Shift+F6", 4) == ring[::-1]
    page.keyboard.press("Shift+F6")
    expect(canvas).to_be_focused()
    # With nothing focused (the page body, where Tab steps through shapes) F6 starts from the canvas too.
    page.evaluate("() => document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("F6")
    assert focused(page) == ring[0], focused(page)

    # The tags: → goes to the next chip (not to the next item), Space and Enter toggle the focused chip as a click.
    page.get_by_test_id("class-tag-car").focus()
    page.keyboard.press("ArrowRight")
    person = page.get_by_test_id("class-tag-person")
    expect(person).to_be_focused()
    page.keyboard.press("Space")
    expect(person).to_have_attribute("aria-pressed", "true")
    expect(person).to_be_focused()
    shots(page, "tag-toggled-by-space")
    page.keyboard.press("Enter")
    expect(person).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Home")
    expect(page.get_by_test_id("class-tag-car")).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.press("Space")
    expect(person).to_have_attribute("aria-pressed", "true")
    assert page.url == url
    # One Tab stop: Tab leaves the chips (the page's last control: round to the top bar), Shift+Tab comes back to
    # the chip that is on.
    page.keyboard.press("Tab")
    assert focused(page) == BACK, focused(page)
    page.keyboard.press("Shift+Tab")
    expect(person).to_be_focused()
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved", timeout=10_000)
    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["annotations"]
    assert [(a["kind"], a["label"]) for a in anns] == [("class", "person")], anns


def test_f6_goes_round_the_text_editor_and_its_chips_and_spans_are_one_tab_stop_each(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, ids = _text_project(server, "Regions text", "regions-text")
    text = TEXTS[0]
    url = f"{API}/projects/{pid}/items/{ids[0]}/annotations"
    version = server.api.get(url).json()["version"]
    spans = [("city", "Berlin"), ("event", "yesterday")]
    body = [{"kind": "span", "label": label, "geometry": {"start": text.index(w), "end": text.index(w) + len(w)},
             "source": "human", "state": "accepted"} for label, w in spans]  # fmt: skip
    server.api.put(url, json={"version": version, "annotations": body}).raise_for_status()
    _, password = add_member(server, pid, "regions-text", "annotator")
    login(page, "regions-text", password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    editor = page.get_by_test_id("text-editor")
    expect(page.get_by_test_id("span")).to_have_count(2)
    rows = page.get_by_test_id("span-row")
    address = page.url

    # Tab from the toolbar's last button: the span labels, the 4 whole-text classes and the 2 spans are one stop
    # each (they were 1 + 4 + 2 = 7 presses apart), then round to the top bar.
    editor.get_by_role("button", name="Keyboard shortcuts").focus()
    page.keyboard.press("Tab")
    assert focused(page) == "BUTTON Label every selection lost_or_stolen at once", focused(page)
    page.keyboard.press("Tab")
    assert focused(page) == "BUTTON Add the class lost_or_stolen", focused(page)
    page.keyboard.press("Tab")
    expect(rows.first).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == BACK, focused(page)

    # The chips: the arrows move (→ goes to the next class, not to the next item), Space toggles the class.
    page.get_by_test_id("class-tag-lost_or_stolen").focus()
    page.keyboard.press("ArrowRight")
    refund = page.get_by_test_id("class-tag-refund")
    expect(refund).to_be_focused()
    page.keyboard.press("Space")
    expect(refund).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("End")
    expect(page.get_by_test_id("class-tag-event")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("class-tag-event")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("class-tag-event")).to_have_attribute("aria-pressed", "false")
    assert page.url == address
    expect(page.get_by_test_id("pending-selection")).to_have_count(0)

    # The spans: ↓ goes to the next, Enter selects it; Tab leaves the list and Shift+Tab comes back to the
    # selected span.
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("span-selection")).to_contain_text("yesterday")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("Tab")
    assert focused(page) == BACK, focused(page)
    page.keyboard.press("Shift+Tab")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("span-selection")).to_have_count(0)

    # F6 with nothing focused (the text's keys work there): the toolbar (its first enabled button: Undo, after the
    # toggles), the span labels, the whole-text classes (the class that is on), the spans, the top bar, then the
    # text again.
    page.evaluate("() => document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    ring = ["BUTTON Undo", "BUTTON Label every selection lost_or_stolen at once", "BUTTON Remove the class refund"]
    assert _presses(page, "F6", 3) == ring
    page.keyboard.press("F6")
    expect(rows.first).to_be_focused()
    page.keyboard.press("F6")
    assert focused(page) == BACK, focused(page)
    shots(page, "text-f6-on-the-top-bar")
    page.keyboard.press("F6")
    assert focused(page).startswith("BODY"), focused(page)
    # Shift+F6 the other way round; from the top bar back to the text, where Shift+→ selects a word again.
    page.keyboard.press("Shift+F6")
    assert focused(page) == BACK, focused(page)
    page.keyboard.press("Shift+F6")
    expect(rows.first).to_be_focused()
    assert _presses(page, "Shift+F6", 3) == ring[::-1]
    page.keyboard.press("Shift+F6")
    assert focused(page).startswith("BODY"), focused(page)
    page.keyboard.press("Shift+ArrowRight")
    expect(page.get_by_test_id("pending-selection")).to_have_text("My")

    def stored() -> None:
        anns = server.api.get(url).json()["annotations"]
        assert sorted(a["label"] for a in anns if a["kind"] == "class") == ["refund"], anns

    eventually(stored)
