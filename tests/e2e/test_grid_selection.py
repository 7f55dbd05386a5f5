"""Selecting many items in the project grid and acting on them (QA finding 4): a checkbox per cell, click and
shift+click, Space on a focused cell, ctrl+A and Esc; the selection bar tags, untags and sends to labelling through
POST /items/bulk, and a viewer gets no checkboxes at all."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    add_member,
    expect_item_ids,
    import_images,
    login,
    logout,
)

N_ITEMS = 40


def _check(page: Any, item_id: int) -> Any:
    return page.locator(f'[data-testid="thumb-check"][data-check-id="{item_id}"]')


def _thumb(page: Any, item_id: int) -> Any:
    return page.locator(f'[data-testid="thumb"][data-item-id="{item_id}"]')


def _tagged(server: Server, pid: int, tag: str) -> set[int]:
    r = server.api.get(f"{API}/projects/{pid}/items", params={"tag": tag, "limit": 500}).raise_for_status()
    return {it["id"] for it in r.json()["items"]}


def test_select_many_in_the_grid_then_tag_untag_and_send_to_labelling(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Grid selection", ["car"])
    pid = project["id"]
    ids = import_images(server, pid, "grid-selection", N_ITEMS, (320, 240))
    _, viewer_password = add_member(server, pid, "grid-sel-viewer", "viewer")

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS} items")
    bar = page.get_by_test_id("selection-bar")
    expect(bar).to_have_count(0)

    # Three by click (the checkbox shows on hover), then a range by shift+click: 10..13.
    for i in (0, 2, 4):
        _thumb(page, ids[i]).hover()
        _check(page, ids[i]).click()
    expect(page.get_by_test_id("selection-count")).to_have_text("3 selected")
    _check(page, ids[10]).click()  # once anything is selected, every cell shows its checkbox
    _check(page, ids[13]).click(modifiers=["Shift"])
    expect(page.get_by_test_id("selection-count")).to_have_text("7 selected")
    chosen = {ids[i] for i in (0, 2, 4, 10, 11, 12, 13)}
    for i in range(15):
        expect(_check(page, ids[i])).to_be_checked(checked=ids[i] in chosen)
    shots(page, "seven-selected")

    # Tag them "night": the selection stays, and the grid's tag filter finds exactly those.
    bar.get_by_role("button", name="Tag…", exact=True).click()
    page.get_by_test_id("tag-input").fill("night")
    page.get_by_test_id("tag-submit").click()
    expect(page.get_by_test_id("tag-dialog")).to_be_hidden()
    expect(page.get_by_test_id("selection-count")).to_have_text("7 selected")
    assert _tagged(server, pid, "night") == chosen

    page.goto(f"/#/projects/{pid}?tag=night")
    expect(page.get_by_test_id("shown-count")).to_have_text("7 items match")
    expect(page.get_by_test_id("thumb")).to_have_count(7)
    expect_item_ids(page.get_by_test_id("thumb"), chosen)
    expect(bar).to_have_count(0)  # a new filter drops the selection
    shots(page, "tag-filter")

    # Ctrl+A in the grid selects every loaded cell; remove the tag from them all.
    _thumb(page, ids[0]).focus()
    page.keyboard.press("Control+a")
    expect(page.get_by_test_id("selection-count")).to_have_text("7 selected")
    bar.get_by_role("button", name="Remove tag", exact=True).click()
    page.get_by_test_id("tag-input").fill("night")
    page.get_by_test_id("tag-submit").click()
    expect(page.get_by_test_id("tag-dialog")).to_be_hidden()
    assert _tagged(server, pid, "night") == set()
    expect(page.get_by_test_id("thumb")).to_have_count(0)  # the grid reads its page again

    # Back to every item: Space on a focused cell toggles it, Esc clears, Clear clears.
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS} items")
    _thumb(page, ids[5]).focus()
    page.keyboard.press("Space")
    expect(page.get_by_test_id("selection-count")).to_have_text("1 selected")
    page.keyboard.press("Escape")
    expect(bar).to_have_count(0)
    _thumb(page, ids[5]).focus()
    page.keyboard.press("Space")
    _check(page, ids[6]).click()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 selected")

    # Send them to labelling: both have no label, so both are queued.
    with page.expect_response(lambda r: r.url.endswith(f"/projects/{pid}/items/bulk")) as answer:
        bar.get_by_test_id("send-to-labelling").click()
    assert answer.value.status == 200
    assert answer.value.json()["queued"] == 2
    expect(page.get_by_text("2 items sent to labelling")).to_be_visible()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 selected")
    bar.get_by_role("button", name="Clear the selection").click()
    expect(bar).to_have_count(0)
    shots(page, "sent")

    # A viewer may not annotate: no checkboxes, and ctrl+A selects nothing.
    logout(page)
    login(page, "grid-sel-viewer", viewer_password)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS} items")
    _thumb(page, ids[0]).hover()
    expect(page.get_by_test_id("thumb-check")).to_have_count(0)
    _thumb(page, ids[0]).focus()
    page.keyboard.press("Control+a")
    page.keyboard.press("Space")
    expect(bar).to_have_count(0)
    shots(page, "viewer")


def test_a_manager_deletes_selected_items_and_an_annotator_is_not_offered_it(
    page: Any, server: Server, shots: Shots
) -> None:
    project = server.create_project("Grid deletion", ["car"])
    pid = project["id"]
    ids = import_images(server, pid, "grid-deletion", 12, (320, 240))
    _, annotator_password = add_member(server, pid, "grid-del-annotator", "annotator")

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text("12 items")
    for i in (1, 2):
        _thumb(page, ids[i]).hover()
        _check(page, ids[i]).click()
    expect(page.get_by_test_id("selection-count")).to_have_text("2 selected")

    # The dialog asks first; Cancel deletes nothing.
    page.get_by_test_id("delete-selected").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog).to_contain_text("Delete 2 items?")
    expect(dialog).to_contain_text("cannot be undone")
    shots(page, "delete-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert len(server.api.get(f"{API}/projects/{pid}/items").json()["items"]) == 12

    page.get_by_test_id("delete-selected").click()
    with page.expect_response(lambda r: r.url.endswith(f"/projects/{pid}/items/delete")) as answer:
        page.get_by_test_id("delete-confirm").click()
    assert answer.value.status == 200 and answer.value.json() == {"deleted": 2}
    expect(page.get_by_text("Deleted 2 items")).to_be_visible()
    expect(page.get_by_test_id("selection-bar")).to_have_count(0)
    expect(page.get_by_test_id("shown-count")).to_have_text("10 items")
    expect(_thumb(page, ids[1])).to_have_count(0)
    expect(_thumb(page, ids[2])).to_have_count(0)
    expect(_thumb(page, ids[3])).to_be_visible()
    left = {it["id"] for it in server.api.get(f"{API}/projects/{pid}/items").json()["items"]}
    assert left == set(ids) - {ids[1], ids[2]}
    shots(page, "deleted")

    # An annotator selects (to tag) but is offered no Delete.
    logout(page)
    login(page, "grid-del-annotator", annotator_password)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text("10 items")
    _thumb(page, ids[0]).hover()
    _check(page, ids[0]).click()
    expect(page.get_by_test_id("selection-count")).to_have_text("1 selected")
    expect(page.get_by_test_id("delete-selected")).to_have_count(0)


def test_a_reviewer_accepts_the_proposals_of_selected_items(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Grid accept", ["car"])
    pid = project["id"]
    ids = import_images(server, pid, "grid-accept", 4, (320, 240))
    for iid, score in ((ids[0], 0.9), (ids[1], 0.8), (ids[2], 0.7)):
        version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["version"]
        proposal = {"kind": "box", "label": "car", "geometry": {"bbox": [10, 10, 60, 60]}, "source": "model",
                    "model_version": "det@1", "score": score, "state": "proposed"}  # fmt: skip
        r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations",
                           json={"version": version, "annotations": [proposal]})  # fmt: skip
        assert r.status_code == 200, r.text
    _, password = add_member(server, pid, "grid-acc-reviewer", "reviewer")

    login(page, "grid-acc-reviewer", password)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text("4 items")
    for i in (0, 1, 3):
        _thumb(page, ids[i]).hover()
        _check(page, ids[i]).click()
    with page.expect_response(lambda r: r.url.endswith(f"/projects/{pid}/items/accept-proposals")) as answer:
        page.get_by_test_id("accept-proposals").click()
    assert answer.value.json() == {"items": 2, "accepted": 2, "skipped": 0, "rejected": 0}
    expect(page.get_by_text("Accepted 2 proposals on 2 items")).to_be_visible()
    shots(page, "accepted")
    states = {}
    for iid in ids[:3]:
        anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["annotations"]
        states[iid] = [a["state"] for a in anns]
    assert states == {ids[0]: ["accepted"], ids[1]: ["accepted"], ids[2]: ["proposed"]}
    assert page.get_by_test_id("delete-selected").count() == 0  # a reviewer does not delete
