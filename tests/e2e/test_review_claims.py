"""Two reviewers on one review queue, each in their own browser: "Start reviewing" sends them to different items
(the server's "next" claims one for each), the second sees which item the first is deciding, and approving moves
the first on past the second's item to a third."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    VIEWPORT,
    Server,
    Shots,
    _console_error,
    add_member,
    import_images,
    login,
    wait_for_editor,
)

SIZE = (640, 480)


def _item_url(pid: int, iid: int) -> re.Pattern[str]:
    return re.compile(rf"#/projects/{pid}/items/{iid}\?(.*&)?queue=review(&|$)")


def _start_reviewing(page: Any, pid: int) -> None:
    page.goto(f"/#/projects/{pid}/review")
    expect(page.get_by_test_id("queue-row")).to_have_count(3)
    page.get_by_test_id("start-review").click()


def test_two_reviewers_get_different_items_and_approving_moves_on_to_a_third(
    page: Any, browser: Any, server: Server, shots: Shots
) -> None:
    pid = server.create_project("Reviewed by two", ["car"])["id"]
    ids = import_images(server, pid, "review-claims", 4, SIZE)
    box = {"kind": "box", "label": "car", "geometry": {"bbox": [100, 100, 300, 250]}}
    for iid in ids[:3]:  # three labelled items wait in the review queue
        url = f"{API}/projects/{pid}/items/{iid}/annotations"
        version = server.api.get(url).json()["version"]
        assert server.api.put(url, json={"version": version, "annotations": [box]}).status_code == 200
    _, rita_password = add_member(server, pid, "claims-rita", "reviewer")
    _, rob_password = add_member(server, pid, "claims-rob", "reviewer")

    login(page, "claims-rita", rita_password)
    _start_reviewing(page, pid)
    expect(page).to_have_url(_item_url(pid, ids[0]))
    wait_for_editor(page, SIZE)

    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    try:
        rob = context.new_page()
        rob.on("pageerror", lambda exc: shots.errors.append(f"page error (rob): {exc}"))
        rob.on("console", lambda msg: _console_error(msg, shots.errors))
        login(rob, "claims-rob", rob_password)
        _start_reviewing(rob, pid)
        expect(rob).to_have_url(_item_url(pid, ids[1]))  # not rita's item
        wait_for_editor(rob, SIZE)
        rob.goto(f"/#/projects/{pid}/review")  # the queue marks the item rita is deciding (and his own not)
        held = rob.get_by_test_id("row-held")
        expect(held).to_have_count(1)
        expect(
            rob.locator(f'[data-testid="queue-row"][data-item-id="{ids[0]}"]').get_by_test_id("row-held")
        ).to_be_visible()
        expect(rob.get_by_test_id("queue-held")).to_contain_text("1 being reviewed by others")
        shots(rob, "queue-with-an-item-rita-holds")
        rob.get_by_test_id("start-review").click()
        expect(rob).to_have_url(_item_url(pid, ids[1]))  # still his
    finally:
        context.close()

    page.keyboard.press("Shift+A")  # approve: on to the next item nobody holds, past rob's
    expect(page).to_have_url(_item_url(pid, ids[2]))
    wait_for_editor(page, SIZE)
    item = server.api.get(f"{API}/projects/{pid}/items/{ids[0]}").json()
    assert item["status"] == "reviewed", item
    shots(page, "rita-on-the-third-item")


def test_an_item_opened_from_the_review_list_is_claimed_for_its_reviewer(page: Any, server: Server) -> None:
    """Opened from the queue's list (not through Next), the item is claimed too: others' Next passes over it."""
    pid = server.create_project("Opened from the list", ["car"])["id"]
    ids = import_images(server, pid, "review-claim-open", 2, SIZE)
    box = {"kind": "box", "label": "car", "geometry": {"bbox": [100, 100, 300, 250]}}
    for iid in ids:
        url = f"{API}/projects/{pid}/items/{iid}/annotations"
        version = server.api.get(url).json()["version"]
        assert server.api.put(url, json={"version": version, "annotations": [box]}).status_code == 200
    _, password = add_member(server, pid, "claims-rhea", "reviewer")
    login(page, "claims-rhea", password)
    page.goto(f"/#/projects/{pid}/review")
    page.locator(f'[data-testid="queue-row"][data-item-id="{ids[1]}"]').get_by_role("link").first.click()
    expect(page).to_have_url(_item_url(pid, ids[1]))
    wait_for_editor(page, SIZE)
    held: list[int] = []
    for _ in range(50):  # the claim is sent once the item is shown
        held = server.api.get(f"{API}/projects/{pid}/review/held").json()["item_ids"]
        if held:
            break
        page.wait_for_timeout(100)
    assert held == [ids[1]]
    assert server.api.get(f"{API}/projects/{pid}/review/next").json() == {"item_id": ids[0]}  # the admin's Next
