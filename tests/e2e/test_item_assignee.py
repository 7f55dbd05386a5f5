"""The item page's assignee: a manager assigns the open item to a member from its header ("Assigned to …"), and
the member's grid shows it on the cell; a member's open item page follows an assignment made elsewhere (live)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, import_images, login, logout


def test_a_manager_assigns_the_open_item_and_the_member_sees_it(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Item assignee e2e", ["car"])["id"]
    ids = import_images(server, pid, "item-assignee-e2e", 3, (320, 240))
    _, boss_password = add_member(server, pid, "item-asg-boss", "manager")
    _, ann_password = add_member(server, pid, "item-asg-nina", "annotator")

    login(page, "item-asg-boss", boss_password)
    page.goto(f"/#/projects/{pid}/items/{ids[1]}")
    assignee = page.get_by_test_id("item-assignee")
    expect(assignee).to_have_text("Unassigned ▾")
    assignee.click()
    menu = page.get_by_test_id("item-assignee-menu")
    menu.locator('[data-testid="assign-item-to"][data-user="item-asg-nina"]').click()
    expect(menu).to_be_hidden()
    expect(assignee).to_have_text("Assigned to item-asg-nina ▾")
    expect(page.get_by_text("Assigned 1 item to item-asg-nina")).to_be_visible()
    shots(page, "assigned-from-item-page")
    logout(page)

    login(page, "item-asg-nina", ann_password)
    page.goto(f"/#/projects/{pid}")
    cell = page.locator(f'[data-testid="thumb"][data-item-id="{ids[1]}"]')
    expect(cell.get_by_test_id("thumb-assignee")).to_have_attribute("title", "Assigned to item-asg-nina")
    expect(
        page.locator(f'[data-testid="thumb"][data-item-id="{ids[0]}"]').get_by_test_id("thumb-assignee")
    ).to_have_count(0)
    # An annotator reads the assignee but gets no menu.
    page.goto(f"/#/projects/{pid}/items/{ids[1]}")
    expect(page.get_by_test_id("item-assignee")).to_have_text("Assigned to item-asg-nina")
    expect(page.locator('[data-testid="item-assignee"][aria-haspopup]')).to_have_count(0)


def test_the_open_item_follows_an_assignment_made_elsewhere(page: Any, server: Server) -> None:
    pid = server.create_project("Item assignee live e2e", ["car"])["id"]
    ids = import_images(server, pid, "item-assignee-live-e2e", 2, (320, 240))
    ann_id, ann_password = add_member(server, pid, "item-asg-live-otto", "annotator")

    login(page, "item-asg-live-otto", ann_password)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("item-assignee")).to_have_text("Unassigned")
    r = server.api.post(f"{API}/projects/{pid}/items/assign", json={"item_ids": [ids[0]], "user_ids": [ann_id]})
    assert r.status_code == 200, r.text
    expect(page.get_by_test_id("item-assignee")).to_have_text("Assigned to item-asg-live-otto")
