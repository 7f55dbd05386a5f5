"""Consensus labelling in the browser: a manager has an item labelled by two people from the grid's selection bar,
one person labels it through the API and an annotator in the editor; the annotator's "Submit my labels" merges
the two, the merged box shows in the editor, the agreement page lists the item with its score, and the item's Consensus
panel shows each person's labels (one person's box drawn over the image)."""

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
    editor_saved,
    import_images,
    login,
    logout,
    wait_for_editor,
)

SIZE = (800, 600)


def test_two_people_label_an_item_and_the_merge_shows_with_its_agreement(page: Any, server: Server,
                                                                         shots: Shots) -> None:  # fmt: skip
    pid = server.create_project("Consensus e2e", ["car", "person"])["id"]
    ids = import_images(server, pid, "consensus-e2e", 2, SIZE)
    _, boss = add_member(server, pid, "consensus-e2e-boss", "manager")
    _, ann = add_member(server, pid, "consensus-e2e-ann", "annotator")

    login(page, "consensus-e2e-boss", boss)
    page.goto(f"/#/projects/{pid}")
    thumb = page.locator(f'[data-testid="thumb"][data-item-id="{ids[0]}"]')
    thumb.hover()
    page.locator(f'[data-testid="thumb-check"][data-check-id="{ids[0]}"]').click()
    page.get_by_test_id("consensus-selected").click()
    dialog = page.get_by_test_id("consensus-dialog")
    dialog.get_by_test_id("consensus-overlap").fill("2")
    dialog.get_by_test_id("consensus-confirm").click()
    expect(page.get_by_text("1 item now labelled by 2 people each")).to_be_visible()
    expect(thumb.get_by_test_id("thumb-consensus")).to_have_text("0/2")
    shots(page, "under-consensus")
    logout(page)

    # One person (the administrator, through the API) labels and submits first.
    url = f"{API}/projects/{pid}/items/{ids[0]}/annotations"
    first = {"kind": "box", "label": "car", "geometry": {"bbox": [210, 150, 510, 400]}}
    r = server.api.put(url, json={"version": 0, "annotations": [first], "status": "labeled"})
    assert r.status_code == 200 and r.json()["consensus"]["submitted_count"] == 1, r.text

    # The annotator sees none of it, draws their own box and submits: the item merges.
    login(page, "consensus-e2e-ann", ann)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("consensus-progress")).to_have_text(
        "Your own labels: nobody else sees them · 1 of 2 people submitted"
    )
    labels = page.get_by_role("complementary", name="Labels and properties")
    expect(labels.get_by_role("option", name=re.compile(r"^car, 1 shape\b"))).to_have_count(0)
    page.keyboard.press("b")
    page.keyboard.press("1")
    drag_in_image(page, SIZE, (190, 150), (490, 400))
    editor_saved(page)
    page.get_by_test_id("consensus-submit").click()
    expect(page.get_by_text("Submitted: everyone's labels are merged now")).to_be_visible()
    expect(page.get_by_test_id("item-status")).to_have_attribute("data-status", "labeled")
    expect(page.get_by_test_id("consensus-strip")).to_have_count(0)
    expect(labels.get_by_role("option", name=re.compile(r"^car, 1 shape\b"))).to_be_visible()
    shots(page, "merged")
    [merged] = server.api.get(url).json()["annotations"]
    assert close_to(merged["geometry"]["bbox"], [200, 150, 500, 400]), merged  # the two boxes' mean
    assert merged["attributes"] == {"consensus_votes": 2, "consensus_of": 2}
    logout(page)

    # The manager's agreement page lists the item with its score: IoU 280/320 >= 0.5, one match of one: 100%.
    login(page, "consensus-e2e-boss", boss)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("team-menu").click()
    page.get_by_test_id("agreement-link").click()
    expect(page.get_by_role("heading", name="Agreement")).to_be_visible()
    expect(page.get_by_test_id("agreement-merged")).to_have_text("1")
    row = page.locator(f'[data-testid="agreement-item"][data-item-id="{ids[0]}"]')
    expect(row.get_by_test_id("agreement-item-score")).to_have_text("100%")
    expect(page.locator('[data-testid="agreement-annotator"][data-user="consensus-e2e-ann"]')).to_contain_text("100%")
    shots(page, "agreement")

    # From there, the item: the Consensus panel lists each person's labels, and "Show" draws one person's box.
    row.get_by_role("link").click()
    wait_for_editor(page, SIZE)
    page.get_by_test_id("consensus-panel-toggle").click()
    panel = page.get_by_test_id("consensus-panel")
    expect(panel.get_by_test_id("consensus-replica")).to_have_count(2)
    expect(panel.locator('[data-user="consensus-e2e-ann"]')).to_contain_text("box car [190, 150, 490, 400]")
    panel.locator('[data-user="consensus-e2e-ann"]').get_by_test_id("consensus-show").click()
    expect(page.get_by_test_id("replica-overlay").get_by_test_id("replica-shape")).to_have_count(1)
    shots(page, "one-person-shown")
