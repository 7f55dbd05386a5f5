"""The text editor on the item page of a real server: a whole-text class chosen with its hotkey, spans made by
selecting words with the mouse, an overlapping span, autosave, and a reload that shows them all again; the API
stores the spans with the selected words' character offsets; the span labels are one Tab stop with the arrow keys
inside, as the image editor's label list."""

from __future__ import annotations

import csv
import json
from typing import Any

from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, add_member, eventually, focused, login

TEXTS = [
    "My card was stolen in Berlin yesterday, please block it before anyone uses it.",
    "I was charged twice for the same order, can I get one of the payments back?",
    "Where can I see the exchange rate you applied to my transfer to Japan?",
]
# Whole-text classes (hotkeys 1, 2) and span labels (3, 4) share the project's class list.
LABELS = ["lost_or_stolen", "refund", "city", "event"]


def _text_project(server: Server, name: str, folder: str) -> tuple[int, list[int]]:
    body = {"name": name, "item_kind": "text", "labels": [{"name": n} for n in LABELS], "kinds": ["class", "span"]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    assert [c["hotkey"] for c in r.json()["label_schema"]["classes"]] == ["1", "2", "3", "4"]
    src = server.files / folder
    src.mkdir()
    source = src / "requests.jsonl"
    source.write_text("".join(json.dumps({"id": f"req-{i + 1}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    assert [i["text"] for i in items] == TEXTS
    return pid, [i["id"] for i in items]


def _select_text(page: Any, start: int, end: int) -> None:
    """Select the characters [start, end) of the item's text with the mouse: press on the first character's left
    edge, drag to the last character's right edge, release.

    Character offsets are counted over the text nodes of the text body (the text as the item has it), so the
    highlight elements the editor wraps around spans do not matter.
    """
    rects: dict[str, float] = page.get_by_test_id("text-body").evaluate(
        """(body, [start, end]) => {
             const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
             const at = (offset) => {
               let seen = 0;
               for (let n = walker.currentNode = body; (n = walker.nextNode()); ) {
                 const len = n.textContent.length;
                 if (offset < seen + len) return [n, offset - seen];
                 seen += len;
               }
               throw new Error(`offset ${offset} is past the text (${seen} characters)`);
             };
             const rect = (offset) => {
               const [node, i] = at(offset);
               const r = document.createRange();
               r.setStart(node, i);
               r.setEnd(node, i + 1);
               return r.getBoundingClientRect();
             };
             const a = rect(start), b = rect(end - 1);
             return { x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2 };
           }""",
        [start, end],
    )
    page.mouse.move(rects["x1"], rects["y1"])
    page.mouse.down()
    page.mouse.move(rects["x2"], rects["y2"], steps=6)
    page.mouse.up()


def _body_text(page: Any) -> str:
    text: str = page.get_by_test_id("text-body").evaluate(
        """(body) => { let s = ''; const w = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
                       while (w.nextNode()) s += w.currentNode.textContent; return s; }"""
    )
    return text


def _span(page: Any, label: str, start: int, end: int) -> Any:
    return page.locator(f'[data-testid="span"][data-label="{label}"][data-start="{start}"][data-end="{end}"]')


def test_class_hotkey_spans_by_mouse_selection_overlap_and_reload(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _text_project(server, "Support requests", "text-editor")
    annotator_id, password = add_member(server, pid, "text-annotator", "annotator")
    text = TEXTS[0]
    city = (text.index("Berlin"), text.index("Berlin") + len("Berlin"))
    event = (text.index("stolen in Berlin"), text.index("stolen in Berlin") + len("stolen in Berlin"))
    assert event[0] < city[0] < event[1] and city[1] == event[1], "the two spans must overlap"

    login(page, "text-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    editor = page.get_by_test_id("text-editor")
    expect(editor).to_be_visible()
    expect(page.get_by_test_id("text-body")).to_contain_text(text)
    assert _body_text(page) == text, "the text body must show the item's text and nothing else"
    expect(page.get_by_test_id("span")).to_have_count(0)
    shots(page, "opened")

    # The whole-text class with its hotkey (nothing selected).
    page.keyboard.press("1")
    tag = page.get_by_test_id("class-tag-lost_or_stolen")
    expect(tag).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("class-tag-refund")).to_have_attribute("aria-pressed", "false")
    shots(page, "class-chosen")

    # "Berlin" selected with the mouse and labelled by clicking the label.
    _select_text(page, *city)
    # The selection waits, shown dashed, for a label (the editor takes it over from the browser's selection).
    expect(page.get_by_test_id("pending-selection")).to_have_text("Berlin")
    shots(page, "word-selected")
    page.get_by_test_id("text-label-city").click()
    expect(_span(page, "city", *city)).to_have_count(1)
    expect(_span(page, "city", *city)).to_have_text("Berlin")
    shots(page, "first-span")

    # "stolen in Berlin", overlapping it, labelled with the hotkey.
    _select_text(page, *event)
    expect(page.get_by_test_id("pending-selection")).to_have_text("stolen in Berlin")
    page.keyboard.press("4")
    expect(_span(page, "event", *event)).to_have_count(1)
    expect(page.get_by_test_id("span")).to_have_count(2)
    expect(page.get_by_test_id("pending-selection")).to_have_count(0)
    # Choosing span labels did not touch the whole-text class.
    expect(tag).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("class-tag-event")).to_have_attribute("aria-pressed", "false")
    shots(page, "overlapping-spans")

    def stored() -> list[tuple[str, str | None, dict[str, Any]]]:
        anns = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}/annotations").json()["annotations"]
        got = sorted((a["kind"], a["label"], a["geometry"]) for a in anns)
        want = [
            ("class", "lost_or_stolen", {}),
            ("span", "city", {"start": city[0], "end": city[1]}),
            ("span", "event", {"start": event[0], "end": event[1]}),
        ]
        assert got == sorted(want), got
        return got

    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    eventually(stored)
    shots(page, "saved")
    item = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}").json()
    assert item["status"] == "labeled" and item["annotator_id"] == annotator_id, item
    assert text[city[0] : city[1]] == "Berlin" and text[event[0] : event[1]] == "stolen in Berlin"

    # A reload shows both spans and the class again.
    page.reload()
    expect(page.get_by_test_id("text-editor")).to_be_visible()
    expect(page.get_by_test_id("span")).to_have_count(2)
    expect(_span(page, "city", *city)).to_have_text("Berlin")
    expect(_span(page, "event", *event)).to_have_count(1)
    expect(page.get_by_test_id("class-tag-lost_or_stolen")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved")
    rows = page.get_by_test_id("span-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="city")).to_contain_text("Berlin")
    expect(rows.filter(has_text="event")).to_contain_text("stolen in Berlin")
    assert _body_text(page) == text, "after a reload the text body must still show the text unchanged"
    shots(page, "reloaded")


def _propose(server: Server, pid: int, item: int, proposals: list[tuple[str, float]]) -> None:
    """Store model class proposals on ``item`` (as a model server's pre-labels would be)."""
    url = f"{API}/projects/{pid}/items/{item}/annotations"
    version = server.api.get(url).json()["version"]
    body = [{"kind": "class", "label": label, "geometry": {}, "source": "model", "model_version": "intents@1",
             "score": score, "state": "proposed"} for label, score in proposals]  # fmt: skip
    assert server.api.put(url, json={"version": version, "annotations": body}).status_code == 200


def _classes(server: Server, pid: int, item: int) -> list[tuple[str, str, str]]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{item}/annotations").json()["annotations"]
    return sorted((a["label"], a["source"], a["state"]) for a in anns)


def test_class_proposals_are_decided_by_key_and_chip(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _text_project(server, "Proposed intents", "text-proposals")
    _propose(server, pid, ids[0], [("lost_or_stolen", 0.9), ("refund", 0.3)])
    _propose(server, pid, ids[1], [("refund", 0.8)])
    add_member(server, pid, "text-reviewer", "reviewer")
    _, password = add_member(server, pid, "text-annotator-2", "annotator")

    # An annotator confirms a right proposal with its hotkey: it becomes their own label.
    login(page, "text-annotator-2", password)
    page.goto(f"/#/projects/{pid}/items/{ids[1]}")
    chip = page.get_by_test_id("class-tag-refund")
    expect(chip).to_have_attribute("data-state", "proposed")
    expect(page.get_by_test_id("reject-tag-refund")).to_have_count(0)  # rejecting is the reviewer's
    page.keyboard.press("2")
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    eventually(lambda: _expect_equal(_classes(server, pid, ids[1]), [("refund", "human", "accepted")]))
    page.context.clear_cookies()

    # A reviewer accepts the best proposal with A (no selection), then rejects the other with its button.
    login(page, "text-reviewer", "text-reviewer-password")
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("class-tag-refund")).to_have_attribute("data-state", "proposed")
    shots(page, "two-proposals")
    # Proposals alone label nothing: the item is still to label (and in the labelling queue).
    assert server.api.get(f"{API}/projects/{pid}/items/{ids[0]}").json()["status"] == "new"
    # Approve pressed right after the accept, before its save is back: Approve waits for the save and the item's
    # new status (labelled), then asks first, as the other proposal is still open.
    page.keyboard.press("a")
    page.keyboard.press("Shift+A")
    expect(page.get_by_test_id("toast-info")).to_contain_text("1 model proposal is still open")
    expect(page.get_by_test_id("class-tag-lost_or_stolen")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    assert server.api.get(f"{API}/projects/{pid}/items/{ids[0]}").json()["status"] == "labeled"
    page.get_by_test_id("reject-tag-refund").click()
    expect(page.get_by_test_id("class-tag-refund")).to_have_attribute("data-state", "off")
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    want = [("lost_or_stolen", "model", "accepted"), ("refund", "model", "rejected")]
    eventually(lambda: _expect_equal(_classes(server, pid, ids[0]), want))
    shots(page, "decided")
    page.keyboard.press("Shift+A")  # nothing open now: approved at once
    expect(page.get_by_test_id("item-status")).to_have_attribute("data-status", "reviewed")


def _expect_equal(got: object, want: object) -> None:
    assert got == want, got


def test_seventy_seven_intents_leave_the_whole_text_classes_in_reach(page: Any, server: Server, shots: Shots) -> None:
    """BANKING77's 77 intents as the classes: each list scrolls in its own box, so at 1280x720 the whole-text
    classes are not pushed below the window by 77 span-label rows."""
    with data_path("text_banking77", "test.csv").open(newline="", encoding="utf-8") as f:
        intents = sorted({row["category"] for row in csv.DictReader(f)})
    assert len(intents) == 77
    body = {"name": "Banking intents", "item_kind": "text", "labels": [{"name": n} for n in intents],
            "kinds": ["class", "span"]}  # fmt: skip
    pid = server.api.post(f"{API}/projects", json=body).raise_for_status().json()["id"]
    src = server.files / "banking-77"
    src.mkdir()
    (src / "one.jsonl").write_text(json.dumps({"id": "q1", "text": TEXTS[1]}) + "\n")
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "one.jsonl"), "format": "text"})
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    (item,) = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]

    page.set_viewport_size({"width": 1280, "height": 720})
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{item['id']}")
    expect(page.get_by_test_id("text-editor")).to_be_visible()
    spans = page.get_by_role("list", name="Span labels")
    chips = page.get_by_test_id("whole-text-classes")
    for box in (spans, chips):
        assert box.evaluate("e => e.scrollHeight > e.clientHeight"), "a long list scrolls in its own box"
        assert box.bounding_box()["height"] <= 0.42 * 720
    heading = page.get_by_role("heading", name="Whole-text classes")
    assert heading.bounding_box()["y"] + heading.bounding_box()["height"] <= 720, "in the window without scrolling"
    # The last intent is reachable and works.
    last = page.get_by_test_id(f"class-tag-{intents[-1]}")
    last.scroll_into_view_if_needed()
    last.click()
    expect(last).to_have_attribute("aria-pressed", "true")
    inside = chips.bounding_box()
    assert last.bounding_box()["x"] + last.bounding_box()["width"] <= inside["x"] + inside["width"] + 1, (
        "no name runs out"
    )
    shots(page, "seventy-seven-intents")


def test_a_span_made_with_the_keyboard_alone(page: Any, server: Server, shots: Shots) -> None:
    """QA a11y finding 2: spans could only be made with a mouse. Shift+→ takes the first word and then one word
    more, → moves the selection a word on, a label key makes it a span; plain → still changes items otherwise."""
    pid, ids = _text_project(server, "Keyboard spans", "text-keyboard")
    _, password = add_member(server, pid, "text-kb", "annotator")
    text = TEXTS[0]
    login(page, "text-kb", password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("text-body")).to_contain_text(text)
    page.keyboard.press("Shift+ArrowRight")
    expect(page.get_by_test_id("pending-selection")).to_have_text("My")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.get_by_test_id("pending-selection")).to_have_text("My card")
    page.keyboard.press("ArrowRight")  # a selection is pending: → moves it, it does not leave the item
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("pending-selection")).to_have_text("stolen")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.get_by_test_id("pending-selection")).to_have_text("stolen in Berlin")
    shots(page, "keyboard-selection")
    page.keyboard.press("4")
    span = (text.index("stolen in Berlin"), text.index("stolen in Berlin") + len("stolen in Berlin"))
    expect(_span(page, "event", *span)).to_have_count(1)
    page.keyboard.press("Control+s")

    def stored() -> None:
        # An assertion inside, so that eventually waits for the save rather than returning the first answer.
        anns = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}/annotations").json()["annotations"]
        spans = [(a["label"], a["geometry"]["start"], a["geometry"]["end"]) for a in anns if a["kind"] == "span"]
        assert spans == [("event", *span)], spans

    eventually(stored)
    assert page.url.endswith(f"/items/{ids[0]}")


def test_the_span_labels_are_one_tab_stop_with_the_arrow_keys_inside(page: Any, server: Server, shots: Shots) -> None:
    """As in the image editor: Tab gets past the span labels in one press (to the label in use, else the first),
    ↓/↑/Home/End move between them without touching the text or the item, Enter makes one the label in use."""
    pid, ids = _text_project(server, "Span label stops", "text-tab")
    _, password = add_member(server, pid, "text-tab", "annotator")
    login(page, "text-tab", password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("text-body")).to_contain_text(TEXTS[0])
    url = page.url

    def tab_from_the_toolbar() -> list[str]:
        page.get_by_test_id("text-editor").get_by_role("button", name="Keyboard shortcuts").focus()
        seen = [focused(page)]
        for _ in range(3):
            page.keyboard.press("Tab")
            seen.append(focused(page))
        return seen

    # One stop for the four span labels (it was four), one for the four whole-text classes (the same: the arrow
    # keys move inside, `test_editor_keyboard_regions.py`), then round to the top bar.
    classes = [f"BUTTON Add the class {n}" for n in LABELS]
    first = "BUTTON Label every selection lost_or_stolen at once"
    want = ["BUTTON Keyboard shortcuts", first, classes[0], "A Back to the project"]
    assert tab_from_the_toolbar() == want

    # Inside the list the arrows go from row to row (they neither select words nor change the item).
    page.get_by_test_id("text-label-lost_or_stolen").focus()
    for key, name in [("ArrowDown", "refund"), ("End", "event"), ("ArrowUp", "city"), ("Home", "lost_or_stolen"),
                      ("ArrowUp", "lost_or_stolen"), ("ArrowDown", "refund")]:  # fmt: skip
        page.keyboard.press(key)
        assert focused(page) == f"BUTTON Label every selection {name} at once", (key, focused(page))
    expect(page.get_by_test_id("pending-selection")).to_have_count(0)
    assert page.url == url
    # Tab leaves the list at once; Shift+Tab comes back to the row in use (none yet: the first).
    page.keyboard.press("Tab")
    assert focused(page) == classes[0], focused(page)
    page.keyboard.press("Shift+Tab")
    assert focused(page) == first, focused(page)

    # Enter on "city" makes it the label in use: from then on it is the list's stop.
    page.keyboard.press("End")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    city = page.get_by_test_id("text-label-city")
    expect(city).to_have_attribute("aria-pressed", "true")
    shots(page, "label-in-use-by-keyboard")
    want[1] = "BUTTON Stop applying this label"
    assert tab_from_the_toolbar() == want
