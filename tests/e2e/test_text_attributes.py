"""Attributes of text spans in the text editor: a new span starts with its class's defaults, values are set in the
"Attributes" panel, undone and redone, autosaved and shown again after a reload; a relabel drops what the new
class does not take (and undo brings it back); a value stored before the attribute was declared is shown with
the reason and fixed by choosing another; a viewer sees the values with the controls off."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, eventually, login, logout
from tests.e2e.test_text_editor import _select_text, _span

TEXTS = [
    "The battery life is not great but the screen is lovely.",
    "Delivery took three weeks and the box was damaged.",
]
ATTRIBUTES = [
    {"name": "sentiment", "type": "select", "options": ["pos", "neg"], "labels": ["opinion"], "default": "neg"},
    {"name": "negated", "type": "bool"},
]


def _project(server: Server) -> tuple[int, list[int]]:
    """A text project (classes opinion, fact) of two texts; the second holds a span stored with sentiment "meh"
    before the attributes were declared."""
    body = {"name": "Product reviews", "item_kind": "text", "labels": [{"name": "opinion"}, {"name": "fact"}]}
    r = server.api.post(f"{API}/projects", json=body | {"kinds": ["class", "span"]})
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    source = server.files / "review-attributes" / "reviews.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    ids = [i["id"] for i in server.api.get(f"{API}/projects/{pid}/items").json()["items"]]
    url = f"{API}/projects/{pid}/items/{ids[1]}/annotations"
    span = {"start": 0, "end": len("Delivery took three weeks")}
    old = {"kind": "span", "label": "opinion", "geometry": span, "attributes": {"sentiment": "meh"}}
    r = server.api.put(url, json={"version": server.api.get(url).json()["version"], "annotations": [old]})
    assert r.status_code == 200, r.text
    version = server.api.get(f"{API}/projects/{pid}").json()["version"]
    r = server.api.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": ATTRIBUTES})
    assert r.status_code == 200, r.text
    return pid, ids


def _stored(server: Server, pid: int, item: int) -> list[tuple[str | None, dict[str, Any]]]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{item}/annotations").json()["annotations"]
    return [(a["label"], a["attributes"]) for a in anns]


def test_span_attributes_default_set_undo_save_reload_relabel_and_fix(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _project(server)
    _, password = add_member(server, pid, "span-attr-annotator", "annotator")
    login(page, "span-attr-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    text = TEXTS[0]
    start = text.index("not great")
    _select_text(page, start, start + len("not great"))
    page.keyboard.press("1")  # opinion
    expect(_span(page, "opinion", start, start + len("not great"))).to_have_count(1)
    page.get_by_test_id("span-row").click()

    # The panel shows the attributes that apply to opinion; the new span has the default neg, negated is unset.
    panel = page.get_by_test_id("attributes")
    expect(panel).to_contain_text("opinion")
    sentiment = panel.get_by_role("combobox", name="sentiment")
    negated = panel.get_by_role("checkbox", name="negated")
    expect(sentiment).to_have_value("neg")
    expect(negated).not_to_be_checked()
    expect(panel.get_by_text("not set", exact=True)).to_be_visible()
    shots(page, "defaults")

    sentiment.select_option("pos")
    negated.check()
    expect(negated).to_be_checked()
    # Each change is one undo step: Ctrl+Z (the checkbox has focus, the key is the editor's), then the toolbar.
    page.keyboard.press("Control+z")
    expect(negated).not_to_be_checked()
    expect(sentiment).to_have_value("pos")
    page.get_by_role("button", name="Undo").click()
    expect(sentiment).to_have_value("neg")
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+Shift+z")
    expect(sentiment).to_have_value("pos")
    expect(negated).to_be_checked()
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    eventually(lambda: _check(_stored(server, pid, ids[0]), [("opinion", {"sentiment": "pos", "negated": True})]))
    shots(page, "set-and-saved")

    # A relabel to fact drops sentiment (it applies to opinion only) and keeps negated; undo brings it back.
    negated.focus()
    page.keyboard.press("2")
    expect(_span(page, "fact", start, start + len("not great"))).to_have_count(1)
    expect(sentiment).to_have_count(0)
    expect(negated).to_be_checked()
    eventually(lambda: _check(_stored(server, pid, ids[0]), [("fact", {"negated": True})]))
    page.keyboard.press("Control+z")
    expect(sentiment).to_have_value("pos")
    eventually(lambda: _check(_stored(server, pid, ids[0]), [("opinion", {"sentiment": "pos", "negated": True})]))

    page.reload()
    page.get_by_test_id("span-row").click()
    expect(sentiment).to_have_value("pos")
    expect(negated).to_be_checked()
    shots(page, "reloaded")

    # A value stored before the attribute was declared: the reason, and choosing a value fixes it.
    page.goto(f"/#/projects/{pid}/items/{ids[1]}")
    page.get_by_test_id("span-row").click()
    problem = panel.get_by_role("status").filter(has_text="'meh' is not one of pos, neg")
    expect(problem).to_be_visible()
    shots(page, "stored-value-refused")
    sentiment.select_option("pos")
    expect(problem).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    eventually(lambda: _check(_stored(server, pid, ids[1]), [("opinion", {"sentiment": "pos"})]))

    # A viewer sees the values with the controls off.
    _, viewer_password = add_member(server, pid, "span-attr-viewer", "viewer")
    logout(page)
    login(page, "span-attr-viewer", viewer_password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    page.get_by_test_id("span-row").click()
    expect(sentiment).to_have_value("pos")
    expect(sentiment).to_be_disabled()
    expect(negated).to_be_disabled()


def _check(got: list[tuple[str | None, dict[str, Any]]], want: list[tuple[str | None, dict[str, Any]]]) -> None:
    assert got == want
