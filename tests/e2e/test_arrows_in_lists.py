"""← and → pressed on a focused row of a list (the image editor's labels, the text editor's span labels, the video
editor's classes) move focus within the list: they no longer open the next item (or, in the image editor, move the
selected shape; in the video editor, step a frame). Off the lists, N and → still change items."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login, wait_for_editor
from tests.e2e.test_text_editor import _text_project

SIZE = (640, 480)


def _item_url(pid: int, iid: int) -> re.Pattern[str]:
    return re.compile(rf"#/projects/{pid}/items/{iid}(\?.*)?$")


def _boxes(page: Any) -> Any:
    return page.evaluate("() => window.__editor.annotations().map(a => [a.label, a.geometry.bbox])")


def test_arrows_on_a_label_row_step_through_the_labels_not_the_items(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Arrows in the label list", ["car", "person", "bike"])["id"]
    ids = import_images(server, pid, "arrows-labels", 3, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}/annotations").raise_for_status().json()["version"]
    box = {"kind": "box", "label": "car", "geometry": {"bbox": [50, 60, 200, 180]}, "source": "human",
           "state": "accepted"}  # fmt: skip
    body = {"version": version, "annotations": [box]}
    server.api.put(f"{API}/projects/{pid}/items/{ids[0]}/annotations", json=body).raise_for_status()
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("next-item")).to_be_enabled()  # the neighbours are known: → would go at once
    before = _boxes(page)

    # A shape selected (Tab on the canvas), then the label list focused: → twice walks down the rows.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => window.__editor.state().selected") is not None
    options = page.get_by_role("listbox", name="Label for new shapes").get_by_role("option")
    options.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(options.nth(1)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(options.nth(2)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(options.nth(1)).to_be_focused()
    shots(page, "arrows-in-label-list")
    assert _item_url(pid, ids[0]).search(page.url), page.url
    assert _boxes(page) == before  # the selected box did not move either

    # Back on the canvas with nothing selected, N goes to the next item: the second, so the arrows went nowhere.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("editor-canvas")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page).to_have_url(_item_url(pid, ids[1]))


def test_arrows_on_a_span_label_step_through_the_labels_not_the_items(page: Any, server: Server) -> None:
    pid, ids = _text_project(server, "Arrows in the span labels", "arrows-spans")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("text-body")).to_be_visible()
    expect(page.get_by_test_id("next-item")).to_be_enabled()
    page.get_by_test_id("text-label-lost_or_stolen").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("text-label-refund")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("text-label-city")).to_be_focused()
    assert _item_url(pid, ids[0]).search(page.url), page.url
    page.get_by_test_id("next-item").click()
    expect(page).to_have_url(_item_url(pid, ids[1]))


def test_arrows_on_a_video_class_row_step_through_the_classes_not_the_frames(
    page: Any, server: Server, tmp_path: Path
) -> None:
    pid = server.create_project("Arrows in the video classes", ["person", "car", "bike"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    vp.open_item(page, pid, iid)
    options = page.get_by_role("listbox", name="Class for new tracks").get_by_role("option")
    options.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(options.nth(1)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(options.nth(2)).to_be_focused()
    assert vp.state(page)["frame"] == 0
    # On the frame, → still steps a frame.
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("frame-input")).to_have_value("1")
