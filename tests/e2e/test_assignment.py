"""Assignment in the browser: a manager selects items in the grid and assigns them to an annotator (their initials
show on the cells), reads the workload and splits what is left between two annotators; the annotator filters the
grid to "Me", sees exactly those items, and "Label next" opens one of them."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, expect_item_ids, import_images, login, logout

N_ITEMS = 8


def _thumb(page: Any, item_id: int) -> Any:
    return page.locator(f'[data-testid="thumb"][data-item-id="{item_id}"]')


def test_a_manager_assigns_and_the_annotator_labels_their_items_first(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Assignment e2e", ["car"])["id"]
    ids = import_images(server, pid, "assignment-e2e", N_ITEMS, (320, 240))
    _, boss_password = add_member(server, pid, "assign-e2e-boss", "manager")
    ann_id, ann_password = add_member(server, pid, "assign-e2e-rita", "annotator")
    add_member(server, pid, "assign-e2e-bob", "annotator")
    mine = ids[1:4]

    login(page, "assign-e2e-boss", boss_password)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{N_ITEMS} items")
    for iid in mine:
        _thumb(page, iid).hover()
        page.locator(f'[data-testid="thumb-check"][data-check-id="{iid}"]').click()
    expect(page.get_by_test_id("selection-count")).to_have_text("3 selected")
    page.get_by_test_id("assign-selected").click()
    dialog = page.get_by_test_id("assign-dialog")
    dialog.get_by_test_id("assign-submit").click()  # nobody picked yet: the dialog says so, nothing is sent
    expect(dialog.get_by_role("alert")).to_have_text("Pick the member to assign the items to.")
    dialog.get_by_test_id("assign-member").select_option(label="assign-e2e-rita (annotator; 0 open items)")
    dialog.get_by_test_id("assign-submit").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Assigned 3 items to assign-e2e-rita")).to_be_visible()
    for iid in mine:
        badge = _thumb(page, iid).get_by_test_id("thumb-assignee")
        expect(badge).to_have_text(re.compile(r"^AR"))
        expect(badge).to_have_attribute("title", "Assigned to assign-e2e-rita")
    expect(_thumb(page, ids[0]).get_by_test_id("thumb-assignee")).to_have_count(0)
    shots(page, "assigned")

    # The workload: rita has 3 open, 5 are unassigned; split them between the two annotators (both ticked).
    page.get_by_test_id("team-menu").click()
    page.get_by_test_id("workload-link").click()
    expect(page.get_by_role("heading", name="Workload")).to_be_visible()
    expect(page.locator('[data-user="assign-e2e-rita"] [data-testid="workload-open"]')).to_have_text("3")
    expect(page.get_by_test_id("workload-unassigned")).to_have_text("5")
    page.get_by_test_id("split-unassigned").click()
    split = page.get_by_test_id("assign-dialog")
    expect(split.get_by_test_id("assign-pick")).to_have_count(4)  # the owner and the manager may label too
    expect(split.locator('[data-testid="assign-pick"]:checked')).to_have_count(2)  # the annotators are ticked
    split.get_by_test_id("assign-submit").click()
    expect(split).to_be_hidden()
    expect(page.get_by_test_id("workload-unassigned")).to_have_text("0")
    expect(page.locator('[data-user="assign-e2e-rita"] [data-testid="workload-open"]')).to_have_text("4")
    expect(page.locator('[data-user="assign-e2e-bob"] [data-testid="workload-open"]')).to_have_text("4")
    shots(page, "workload")
    logout(page)

    # The annotator: "Me" shows their items; "Label next" opens one of them, never bob's.
    rita = set(server.api.get(f"{API}/projects/{pid}/items", params={"assignee": str(ann_id)}).json()["items"][i]["id"]
               for i in range(4))  # fmt: skip
    assert set(mine) < rita
    login(page, "assign-e2e-rita", ann_password)
    page.goto(f"/#/projects/{pid}")
    page.get_by_label("Assignee").select_option(label="Me")
    expect(page).to_have_url(re.compile(r"assignee=me"))
    expect(page.get_by_test_id("shown-count")).to_have_text("4 items match")
    expect_item_ids(page.get_by_test_id("thumb"), rita)
    page.goto(f"/#/projects/{pid}/models")
    page.get_by_test_id("start-labelling").click()
    # The queue's first call loads the ranking strategies (PyTorch) on the server: a cold server takes seconds.
    expect(page).to_have_url(re.compile(rf"/projects/{pid}/items/\d+\?queue=label"), timeout=30_000)
    opened = int(re.search(r"/items/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert opened in rita
    shots(page, "next-is-mine")
