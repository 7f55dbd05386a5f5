"""Attributes on video tracks on a real server: a project declares a select attribute for cars (and a yes/no and a
text for every class); a car track drawn on frame 0 starts with the declared defaults; the value chosen in the track
panel's "Attributes" section reaches every box of the track and stays there through propagation and after a
reload; typing into a text attribute is not taken for the video keys (f, d, space); Ctrl+Z puts the previous value
back; a viewer sees the values but cannot change them. A yes/no whose boxes differ asks before one value goes on
every box: declined, or refused by the server, the checkbox shows again what the track has (mixed, not ticked).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e._confirm import answer_confirm, confirm_dialog
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, add_member, eventually, login, logout

ATTRIBUTES: list[dict[str, Any]] = [
    {"name": "kind", "type": "select", "options": ["sedan", "van"], "labels": ["car"]},
    {"name": "parked", "type": "bool", "default": False},
    {"name": "note", "type": "text"},
]


def _boxes(server: Server, pid: int, iid: int) -> list[dict[str, Any]]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    return [a for a in body["annotations"] if a["kind"] == "track_box"]


def _panel(page: Any) -> Any:
    return page.get_by_test_id("attributes")


def test_a_track_value_reaches_every_box_survives_propagation_and_reload_and_undo_restores_it(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    body = {"name": "Video attributes", "item_kind": "video", "labels": [{"name": "person"}, {"name": "car"}],
            "attributes": ATTRIBUTES}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    _, password = add_member(server, pid, "track-attr-annotator", "annotator")
    login(page, "track-attr-annotator", password)
    vp.open_item(page, pid, iid)
    expect(_panel(page)).to_contain_text("Select a track to see and set its attributes.")

    # Class 2 (car), a box on frame 0: a car track, selected, with the defaults it starts with.
    page.keyboard.press("2")
    box = vp.truth()[0]
    page.mouse.move(*vp.to_screen(page, box[0], box[1]))
    page.mouse.down()
    page.mouse.move(*vp.to_screen(page, box[2], box[3]), steps=8)
    page.mouse.up()
    expect(page.get_by_test_id("track-row")).to_have_count(1)
    kind = _panel(page).get_by_label("kind")
    expect(kind).to_have_value("")  # not set: no default
    expect(_panel(page).get_by_label("parked")).not_to_be_checked()
    assert vp.tracks(server.api, pid, iid)["tracks"][0]["attributes"] == {"parked": False}

    # Choose "van": the whole track takes it.
    kind.select_option("van")
    eventually(lambda: _check(vp.tracks(server.api, pid, iid)["tracks"][0]["attributes"].get("kind") == "van"))

    # Typing into the text field is not taken for the video's keys: no frame step (f, d), no playing (space).
    note = _panel(page).get_by_label("note")
    note.click()
    note.press_sequentially("f d")
    note.press("Enter")
    eventually(lambda: _check(vp.tracks(server.api, pid, iid)["tracks"][0]["attributes"].get("note") == "f d"))
    expect(page.get_by_test_id("status-frame")).to_have_text("Frame 0 / 39")
    assert not vp.state(page)["playing"]
    shots(page, "values-set")

    # Propagate (the whole track, again): every box carries the values.
    page.get_by_test_id("propagate").click()
    vp.wait_propagated(page, server, pid, iid)
    boxes = _boxes(server, pid, iid)
    assert len(boxes) == vp.FRAMES
    assert {(b["attributes"].get("kind"), b["attributes"].get("note")) for b in boxes} == {("van", "f d")}

    # After a reload the selected track shows its value.
    page.reload()
    vp.open_item(page, pid, iid)
    page.get_by_test_id("track-row").locator(".vtr-pick").click()
    expect(_panel(page).get_by_label("kind")).to_have_value("van")
    expect(_panel(page).get_by_label("note")).to_have_value("f d")

    # Change it, then Ctrl+Z (from the stage): the previous value is back, on the page and on every box.
    _panel(page).get_by_label("kind").select_option("sedan")
    eventually(lambda: _check(vp.tracks(server.api, pid, iid)["tracks"][0]["attributes"].get("kind") == "sedan"))
    expect(page.get_by_test_id("undo")).to_have_attribute("title", "Undo: set kind to sedan on track 1 (Ctrl+Z)")
    page.keyboard.press("Escape")  # the keyboard back to the stage (Esc on the stage then lets go of the track)
    page.keyboard.press("Control+z")
    eventually(lambda: _check({b["attributes"].get("kind") for b in _boxes(server, pid, iid)} == {"van"}))
    page.get_by_test_id("track-row").locator(".vtr-pick").click()
    expect(_panel(page).get_by_label("kind")).to_have_value("van")
    shots(page, "undone")

    # A viewer sees the values and cannot change them.
    _, viewer_password = add_member(server, pid, "track-attr-viewer", "viewer")
    logout(page)
    login(page, "track-attr-viewer", viewer_password)
    vp.open_item(page, pid, iid)
    page.get_by_test_id("track-row").locator(".vtr-pick").click()
    expect(_panel(page).get_by_label("kind")).to_have_value("van")
    expect(_panel(page).get_by_label("kind")).to_be_disabled()
    expect(_panel(page).get_by_label("parked")).to_be_disabled()
    expect(_panel(page)).to_contain_text("Read-only")


def test_a_declined_or_refused_value_leaves_the_checkbox_as_the_track_has_it(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    # "parked" starts per-frame, set from frame 20 on; made a whole-track attribute, its boxes differ: mixed.
    parked = {"name": "parked", "type": "bool", "mutable": True}
    body = {"name": "Video mixed values", "item_kind": "video", "labels": [{"name": "person"}], "attributes": [parked]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    tid = vp.add_track(server, pid, iid)["track_id"]
    on_track = f"{API}/projects/{pid}/items/{iid}/tracks/{tid}"
    version = vp.tracks(server.api, pid, iid)["version"]
    values = {"from_frame": 20, "to_frame": vp.FRAMES - 1, "values": {"parked": True}}
    r = server.api.patch(on_track, json={"version": version, "frame_attributes": values})
    assert r.status_code == 200, r.text
    version = server.api.get(f"{API}/projects/{pid}").raise_for_status().json()["version"]
    whole = [{**parked, "mutable": False}]
    r = server.api.patch(f"{API}/projects/{pid}", json={"version": version, "attributes": whole})
    assert r.status_code == 200, r.text
    assert vp.tracks(server.api, pid, iid)["tracks"][0]["attributes_mixed"] == ["parked"]

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    vp.open_item(page, pid, iid)
    page.get_by_test_id("track-row").locator(".vtr-pick").click()
    box = _panel(page).get_by_label("parked")
    expect(box).not_to_be_checked()
    assert _indeterminate(box)

    # Ticked, then Cancel in the question: not ticked, still mixed, nothing sent.
    box.click()
    assert answer_confirm(page, accept=False).endswith("Set it anyway?")
    expect(box).not_to_be_checked()
    assert _indeterminate(box)
    assert vp.tracks(server.api, pid, iid)["tracks"][0]["attributes_mixed"] == ["parked"]
    shots(page, "declined")

    # Escape from the keyboard likewise.
    box.focus()
    page.keyboard.press("Space")
    expect(confirm_dialog(page)).to_be_visible()
    page.keyboard.press("Escape")
    expect(confirm_dialog(page)).to_be_hidden()
    expect(box).not_to_be_checked()
    assert _indeterminate(box)

    # Confirmed but refused by the server: the page shows the track as the server has it again.
    problem = json.dumps({"title": "Internal Server Error", "status": 500, "detail": "The disk is full"})

    def refuse(route: Any) -> None:
        if route.request.method == "PATCH":
            route.fulfill(status=500, content_type="application/problem+json", body=problem)
        else:
            route.fallback()

    page.route(f"**/tracks/{tid}", refuse)
    box.click()
    answer_confirm(page, accept=True)
    expect(page.get_by_text("The disk is full").first).to_be_visible()
    expect(box).not_to_be_checked()
    eventually(lambda: _check(_indeterminate(box)))
    page.unroute(f"**/tracks/{tid}", refuse)
    assert vp.tracks(server.api, pid, iid)["tracks"][0]["attributes_mixed"] == ["parked"]

    # Confirmed and taken: every box is parked.
    box.click()
    answer_confirm(page, accept=True)
    expect(box).to_be_checked()
    eventually(lambda: _check({b["attributes"].get("parked") for b in _boxes(server, pid, iid)} == {True}))
    assert not _indeterminate(box)


def _indeterminate(box: Any) -> bool:
    return bool(box.evaluate("el => el.indeterminate"))


def _check(ok: bool) -> None:
    assert ok
