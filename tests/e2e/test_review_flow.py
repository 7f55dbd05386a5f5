"""Review in the browser: an annotator labels an item, a reviewer rejects it from the review queue with a comment,
the annotator finds it under "Returned to me", reads the comment, fixes it, and the reviewer approves it. The API
refuses a review from the annotator and a rejection without a comment."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    add_member,
    close_to,
    drag_in_image,
    eventually,
    expect_item_ids,
    import_images,
    login,
    logout,
    wait_for_editor,
    wait_for_thumbnails,
)

SIZE = (800, 600)
COMMENT = "The car box misses the front bumper: extend it to the right edge of the car."
CSRF = {"X-Requested-With": "labelhub-e2e"}


def _item(server: Server, pid: int, iid: int) -> dict[str, Any]:
    item: dict[str, Any] = server.api.get(f"{API}/projects/{pid}/items/{iid}").raise_for_status().json()
    return item


def _in_queue(server: Server, pid: int) -> list[int]:
    page = server.api.get(f"{API}/projects/{pid}/items", params={"status": "labeled"}).raise_for_status().json()
    return [it["id"] for it in page["items"]]


def _status(page: Any, status: str, text: str) -> None:
    badge = page.get_by_test_id("item-status")
    expect(badge).to_have_attribute("data-status", status)
    expect(badge).to_have_text(text)


def _queue(page: Any, kind: str, ids: list[int]) -> None:
    """The review queue page shows the list ``kind`` (review, returned) with exactly these items, in order."""
    queue = page.get_by_test_id("review-queue")
    expect(queue).to_have_attribute("data-list", kind)
    rows = queue.get_by_test_id("queue-row")
    expect_item_ids(rows, ids)


def _item_url(pid: int, iid: int, queue: str) -> re.Pattern[str]:
    return re.compile(rf"#/projects/{pid}/items/{iid}\?(.*&)?queue={queue}(&|$)")


def test_reject_with_a_comment_fix_and_approve(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Reviewed street scenes", ["car", "person"])
    pid = project["id"]
    ids = import_images(server, pid, "review-flow", 3, SIZE)
    annotator_id, annotator_password = add_member(server, pid, "flow-annotator", "annotator")
    reviewer_id, reviewer_password = add_member(server, pid, "flow-reviewer", "reviewer")
    # A second item is labelled already (through the API), so the queue holds two and moves on after a decision.
    version = server.api.get(f"{API}/projects/{pid}/items/{ids[1]}/annotations").json()["version"]
    box = {"kind": "box", "label": "person", "geometry": {"bbox": [300, 200, 420, 520]}}
    r = server.api.put(
        f"{API}/projects/{pid}/items/{ids[1]}/annotations", json={"version": version, "annotations": [box]}
    )
    assert r.status_code == 200, r.text

    # The annotator labels the first item in the editor.
    login(page, "flow-annotator", annotator_password)
    page.goto(f"/#/projects/{pid}")
    wait_for_thumbnails(page)
    page.locator(f'[data-testid="thumb"][data-item-id="{ids[0]}"]').click()
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("review-bar")).to_have_count(0)  # annotators do not review
    page.keyboard.press("b")
    page.keyboard.press("1")
    drag_in_image(page, SIZE, (260, 330), (420, 430))
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")
    _status(page, "labeled", "Labelled")
    shots(page, "annotator-labelled")
    item = _item(server, pid, ids[0])
    assert item["status"] == "labeled" and item["annotator_id"] == annotator_id, item
    assert _in_queue(server, pid) == [ids[0], ids[1]]

    # The annotator's own session may not review (the UI offers no way, and the API refuses).
    refused = page.request.post(
        f"{API}/projects/{pid}/items/{ids[0]}/review", data={"approve": True, "comment": ""}, headers=CSRF
    )
    assert refused.status == 403, refused.text()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert _item(server, pid, ids[0])["status"] == "labeled"
    logout(page)

    # The reviewer opens the queue and rejects the item with a comment.
    login(page, "flow-reviewer", reviewer_password)
    page.goto(f"/#/projects/{pid}")
    link = page.get_by_test_id("review-queue-link")
    expect(link).to_have_text("Review (2)")
    link.click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/review$"))
    _queue(page, "review", [ids[0], ids[1]])
    expect(page.get_by_test_id("queue-count")).to_have_text("2 items")
    first_row = page.locator(f'[data-testid="queue-row"][data-item-id="{ids[0]}"]')
    expect(first_row).to_contain_text("scene-01.png")
    expect(first_row).to_contain_text("flow-annotator")
    shots(page, "review-queue")
    page.get_by_test_id("start-review").click()
    expect(page).to_have_url(_item_url(pid, ids[0], "review"))
    wait_for_editor(page, SIZE)
    bar = page.get_by_test_id("review-bar")
    expect(bar).to_be_visible()
    _status(page, "labeled", "Labelled")
    shots(page, "reviewing-first")

    # A rejection without a comment is refused: the comment box says what is missing, and the API refuses it too.
    page.get_by_test_id("reject-item").click()
    comment = page.get_by_test_id("reject-comment")
    expect(comment).to_be_visible()
    expect(comment).to_be_focused()
    page.get_by_test_id("reject-submit").click()
    expect(page.get_by_role("dialog", name="Reject the item").get_by_role("alert")).to_contain_text("Say what to fix")
    shots(page, "reject-without-comment")
    empty = page.request.post(
        f"{API}/projects/{pid}/items/{ids[0]}/review", data={"approve": False, "comment": "   "}, headers=CSRF
    )
    assert empty.status == 422, empty.text()
    assert empty.json()["field"] == "comment", empty.json()
    assert _item(server, pid, ids[0])["status"] == "labeled"
    comment.fill(COMMENT)
    shots(page, "reject-comment")
    comment.press("Control+Enter")

    # After the decision the queue moves on to the next labelled item.
    expect(page).to_have_url(_item_url(pid, ids[1], "review"))
    wait_for_editor(page, SIZE)
    item = _item(server, pid, ids[0])
    assert item["status"] == "rejected" and item["review_comment"] == COMMENT, item
    assert item["reviewer_id"] == reviewer_id and item["annotator_id"] == annotator_id, item
    assert _in_queue(server, pid) == [ids[1]]
    shots(page, "moved-to-next")
    logout(page)

    # The annotator finds it under "Returned to me" and reads the comment.
    login(page, "flow-annotator", annotator_password)
    page.goto(f"/#/projects/{pid}")
    returned = page.get_by_test_id("returned-to-me")
    expect(returned).to_have_text("Returned to me (1)")
    shots(page, "returned-to-me-button")
    returned.click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/review\?list=returned$"))
    _queue(page, "returned", [ids[0]])
    row = page.get_by_test_id("queue-row")
    expect(row).to_contain_text("flow-reviewer")
    expect(row).to_contain_text(COMMENT)
    shots(page, "returned-to-me-list")
    row.get_by_role("link", name="scene-01.png").click()
    expect(page).to_have_url(_item_url(pid, ids[0], "returned"))
    wait_for_editor(page, SIZE)
    banner = page.get_by_test_id("review-banner")
    expect(banner).to_contain_text("Returned by flow-reviewer")
    expect(banner).to_contain_text(COMMENT)
    _status(page, "rejected", "Rejected")
    shots(page, "banner")

    # The fix: the box's right edge goes out to the bumper; the save puts the item back in the queue.
    page.keyboard.press("Tab")
    drag_in_image(page, SIZE, (420, 380), (470, 380))  # the right-hand middle handle
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved")

    def fixed() -> dict[str, Any]:
        it = _item(server, pid, ids[0])
        assert it["status"] == "labeled", it
        return it

    item = eventually(fixed)
    assert item["annotator_id"] == annotator_id, item
    [stored] = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}/annotations").json()["annotations"]
    assert close_to(stored["geometry"]["bbox"], [260, 330, 470, 430]), stored
    assert _in_queue(server, pid) == [ids[0], ids[1]]
    _status(page, "labeled", "Labelled")
    expect(banner).to_have_count(0)
    shots(page, "fixed")
    logout(page)

    # The reviewer approves it.
    login(page, "flow-reviewer", reviewer_password)
    page.goto(f"/#/projects/{pid}/review")
    _queue(page, "review", [ids[0], ids[1]])
    page.get_by_test_id("start-review").click()
    expect(page).to_have_url(_item_url(pid, ids[0], "review"))
    wait_for_editor(page, SIZE)
    shots(page, "reviewing-the-fix")
    page.keyboard.press("Shift+A")  # the review bar's Approve key
    expect(page).to_have_url(_item_url(pid, ids[1], "review"))
    item = _item(server, pid, ids[0])
    assert item["status"] == "reviewed" and item["reviewer_id"] == reviewer_id, item
    assert _in_queue(server, pid) == [ids[1]]

    # Its page says so.
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    wait_for_editor(page, SIZE)
    _status(page, "reviewed", "Reviewed")
    expect(page.get_by_test_id("review-banner")).to_have_count(0)
    expect(page.get_by_test_id("review-bar")).to_contain_text("Approved by you")
    expect(page.get_by_test_id("approve-item")).to_be_disabled()
    shots(page, "approved")


def test_approving_an_item_someone_saved_since_is_refused_and_shows_the_new_work(
    page: Any, server: Server, shots: Shots
) -> None:
    """The reviewer has the item open; the annotator saves a second box meanwhile. Approve must not approve the box
    the reviewer never saw: it is refused, and the editor then shows both boxes to look at."""
    pid = server.create_project("Stale reviews", ["car"])["id"]
    (iid,) = import_images(server, pid, "stale-review", 1, SIZE)
    _, reviewer_password = add_member(server, pid, "stale-reviewer", "reviewer")
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    box = {"kind": "box", "label": "car", "geometry": {"bbox": [100, 100, 300, 250]}}
    version = server.api.get(url).json()["version"]
    assert server.api.put(url, json={"version": version, "annotations": [box]}).status_code == 200

    login(page, "stale-reviewer", reviewer_password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("status-count")).to_contain_text("1")
    read = server.api.get(url).json()
    second = {"kind": "box", "label": "car", "geometry": {"bbox": [400, 300, 600, 450]}}
    r = server.api.put(url, json={"version": read["version"], "annotations": [*read["annotations"], second]})
    assert r.status_code == 200, r.text

    page.get_by_test_id("approve-item").click()
    expect(page.get_by_test_id("toast-error")).to_contain_text("look at it again before deciding")
    expect(page.get_by_test_id("status-count")).to_contain_text("2")  # the editor started again from the server
    assert _item(server, pid, iid)["status"] == "labeled"
    shots(page, "stale-approve-refused")
    page.get_by_test_id("approve-item").click()  # now it is what the reviewer sees

    def approved() -> None:
        assert _item(server, pid, iid)["status"] == "reviewed"

    eventually(approved)
