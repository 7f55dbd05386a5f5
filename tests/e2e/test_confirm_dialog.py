"""The app's confirmation dialog, which asks where the browser's confirm() used to (here: removing a member on the
settings page). It is an alertdialog named by its title and described by its message; a dangerous action starts
on Cancel, so Enter does not do it; Tab stays inside; Escape and a click beside it cancel; the focus goes back to
the button that asked; the red button does it. In the video editor, merging tracks of two classes asks (an
undoable change: the focus starts on "Merge tracks"), and the dialog's keys do not reach the editor behind it.
Deleting a project asks for its name: the red button stays disabled until the field holds it exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e._confirm import answer_confirm, confirm_dialog
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, add_member, eventually, focused, login

INSIDE = "() => !!document.activeElement?.closest('[role=alertdialog]')"


def _project_status(server: Server, pid: int) -> int:
    return server.api.get(f"{API}/projects/{pid}").status_code


def _members(server: Server, pid: int) -> set[str]:
    return {m["username"] for m in server.api.get(f"{API}/projects/{pid}/members").raise_for_status().json()}


def test_escape_enter_and_a_click_beside_cancel_and_the_red_button_removes(
    page: Any, server: Server, shots: Shots
) -> None:
    pid = server.create_project("Confirm dialog", ["cat"])["id"]
    add_member(server, pid, "cd-annotator", "annotator")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/settings")
    row = page.get_by_test_id("member-row").filter(has_text="cd-annotator")
    remove = row.get_by_role("button", name="Remove")
    dialog = confirm_dialog(page)

    # Opened from the keyboard: named and described, the focus on Cancel, the action red.
    remove.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name("Remove member?")
    expect(dialog).to_have_accessible_description("Remove cd-annotator from Confirm dialog?")
    cancel = dialog.get_by_role("button", name="Cancel")
    action = dialog.get_by_role("button", name="Remove member")
    expect(cancel).to_be_focused()
    expect(action).to_have_css("background-color", "rgb(200, 40, 28)")  # --danger
    shots(page, "asks")
    for key in ["Tab"] * 3 + ["Shift+Tab"] * 3:
        page.keyboard.press(key)
        assert page.evaluate(INSIDE), f"{key} left the dialog for {focused(page)}"

    # Escape cancels: nothing removed, and the focus is back on Remove.
    cancel.focus()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()
    assert "cd-annotator" in _members(server, pid)

    # Enter right away presses Cancel, not Remove member.
    page.keyboard.press("Enter")
    expect(cancel).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()
    expect(row).to_have_count(1)
    assert "cd-annotator" in _members(server, pid)

    # A click beside the dialog cancels too.
    remove.click()
    expect(dialog).to_be_visible()
    page.mouse.click(8, 8)
    expect(dialog).to_be_hidden()
    assert "cd-annotator" in _members(server, pid)

    # The red button removes the member.
    remove.click()
    action.click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(0)
    assert "cd-annotator" not in _members(server, pid)
    shots(page, "removed")


def test_merging_tracks_of_two_classes_asks_and_the_keys_stay_in_the_dialog(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid: int = server.create_project("Confirm a merge", ["person", "car"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    tid: int = vp.add_track(server, pid, iid)["track_id"]
    on_track = f"{API}/projects/{pid}/items/{iid}/tracks"
    r = server.api.post(
        f"{on_track}/{tid}/split", json={"version": vp.tracks(server.api, pid, iid)["version"], "frame": 20}
    )
    assert r.status_code == 200, r.text
    new = next(t["track_id"] for t in r.json()["tracks"] if t["track_id"] != tid)
    r = server.api.patch(f"{on_track}/{new}", json={"version": r.json()["version"], "label": "car"})
    assert r.status_code == 200, r.text
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    vp.open_item(page, pid, iid)
    row = page.locator(f'[data-testid="track-row"][data-track-id="{new}"]')
    row.get_by_title(f"Select track {new}").click()
    merge = row.get_by_test_id("merge-with")
    dialog = confirm_dialog(page)

    # Asked, with the focus on the action; Escape cancels in the dialog only: the track stays selected.
    merge.focus()
    merge.select_option(str(tid))
    expect(dialog).to_have_accessible_name("Merge tracks of different classes?")
    expect(dialog).to_have_accessible_description(
        f"Track {tid} is {_q('person')} and track {new} is {_q('car')}: "
        f"the merged track will be {_q('person')}. Merge them?"
    )
    expect(dialog.get_by_role("button", name="Merge tracks")).to_be_focused()
    shots(page, "merge-asks")
    frame = vp.state(page)["frame"]
    page.keyboard.press("v")  # the editor's "ten frames on", not for the editor while the dialog is open
    assert vp.state(page)["frame"] == frame
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(merge).to_be_focused()
    assert vp.state(page)["selected"] == new
    assert len(vp.tracks(server.api, pid, iid)["tracks"]) == 2

    # Confirmed: one track, the lower id, of the kept track's class.
    merge.select_option(str(tid))
    assert answer_confirm(page).endswith("Merge them?")
    expect(page.get_by_test_id("track-row")).to_have_count(1)
    (merged,) = eventually(lambda: _one(vp.tracks(server.api, pid, iid)["tracks"]))
    assert (merged["track_id"], merged["label"]) == (tid, "person"), merged


def _q(text: str) -> str:
    return f"\u2018{text}\u2019"  # in the editor's curly quotes


def _one(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert len(found) == 1, [t["track_id"] for t in found]
    return found


def test_deleting_a_project_waits_for_its_name_typed_exactly(page: Any, server: Server, shots: Shots) -> None:
    name = "Street scenes 7"
    pid = server.create_project(name, ["car"])["id"]
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/settings")
    delete = page.get_by_test_id("delete-project")
    dialog = confirm_dialog(page)

    # Asked with the name to type, set apart in <code>; the focus in the field, the red button disabled.
    delete.click()
    expect(dialog).to_have_accessible_name("Delete project?")
    expect(dialog).to_have_accessible_description(
        f"This deletes \u201c{name}\u201d with all its items, annotations and jobs. It cannot be undone. "
        f"To confirm, type {name} below."
    )
    expect(dialog.locator("code")).to_have_text(name)
    field = dialog.get_by_role("textbox", name="Project name")
    cancel = dialog.get_by_role("button", name="Cancel")
    action = dialog.get_by_role("button", name="Delete project")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("autocomplete", "off")
    expect(action).to_be_disabled()

    # A wrong name (another case, a space more): still disabled, and Enter in the field does nothing.
    for wrong in [name.lower(), name + " ", "Street scenes"]:
        field.fill(wrong)
        expect(action).to_be_disabled()
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
    shots(page, "wrong-name")
    # Tab goes round the field and Cancel (the disabled button is left out), never out of the dialog.
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(field).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(cancel).to_be_focused()

    # Escape cancels: the project is still there, and the focus is back on the page's button.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    assert _project_status(server, pid) == 200

    # Asked again, the field starts empty; the name typed exactly enables the button, which Tab then reaches.
    delete.click()
    expect(field).to_have_value("")
    expect(field).to_be_focused()
    page.keyboard.type(name)
    expect(action).to_be_enabled()
    for key, there in [("Tab", cancel), ("Tab", action), ("Tab", field), ("Shift+Tab", action)]:
        page.keyboard.press(key)
        expect(there).to_be_focused()
        assert page.evaluate(INSIDE), f"{key} left the dialog for {focused(page)}"
    shots(page, "name-typed")

    # Enter in the field deletes it, and the app goes to the projects.
    field.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()
    assert page.url.endswith("#/projects"), page.url
    eventually(lambda: _check(_project_status(server, pid) == 404))
    expect(page.get_by_test_id("project-card").filter(has_text=name)).to_have_count(0)


def _check(ok: bool) -> None:
    assert ok
