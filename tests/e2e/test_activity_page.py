"""The project's activity page: a manager sees who changed what (newest first, filters, "Load more"); a viewer
gets no link to it."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, import_images, login, logout


def _save(client: httpx.Client, pid: int, iid: int, bbox: list[float]) -> None:
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    version = client.get(url).raise_for_status().json()["version"]
    box = {"kind": "box", "label": "cat", "geometry": {"bbox": bbox}}
    client.put(url, json={"version": version, "annotations": [box]}).raise_for_status()


def test_a_manager_reads_the_activity_and_a_viewer_has_no_link(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Activity watched", ["cat"])["id"]
    first, second = import_images(server, pid, "activity-scenes", 2, size=(320, 240))
    _, manager_pw = add_member(server, pid, "act-manager", "manager")
    _, annotator_pw = add_member(server, pid, "act-annotator", "annotator")
    _, viewer_pw = add_member(server, pid, "act-viewer", "viewer")

    # The annotator saves one box on the first image, then (a busy day) redraws the box on the second 55 times.
    with httpx.Client(base_url=server.url, headers={"X-Requested-With": "e2e"}, timeout=30) as annotator:
        annotator.post(f"{API}/auth/login", json={"username": "act-annotator", "password": annotator_pw})
        for n in range(55):
            _save(annotator, pid, second, [10.0 + n, 10.0, 60.0 + n, 50.0])
        _save(annotator, pid, first, [20.0, 20.0, 120.0, 90.0])

    login(page, "act-manager", manager_pw)
    page.get_by_test_id("project-card").filter(has_text="Activity watched").click()
    expect(page.get_by_test_id("project-name")).to_have_text("Activity watched")
    page.get_by_test_id("team-menu").click()
    page.get_by_test_id("activity-link").click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/activity$"))
    rows = page.get_by_test_id("activity-row")
    expect(rows).to_have_count(50)
    newest = rows.first
    expect(newest).to_contain_text(f"act-annotator replaced the annotations of item {first} (1 added, 0 deleted")
    expect(newest).to_contain_text("just now")
    expect(rows.nth(1)).to_contain_text(f"act-annotator replaced the annotations of item {second} (1 added, 1 deleted)")
    shots(page, "manager-activity")

    # Older events come a page at a time, down to the project's creation.
    page.get_by_test_id("activity-more").click()
    expect(rows).to_have_count(63)  # 56 saves, 3 members, the import's job, its import and its end, the creation
    expect(page.get_by_test_id("activity-more")).to_have_count(0)
    expect(rows.last).to_contain_text("admin created the project “Activity watched”")
    expect(page.get_by_text("admin imported 2 items and 0 annotations (image_folder)")).to_be_visible()
    expect(rows.filter(has_text=re.compile(r"admin ran job #\d+ \(Import\) to completion"))).to_have_count(1)

    # The item named in a sentence is a link to it.
    newest.get_by_role("link", name=f"item {first}").click()
    expect(page).to_have_url(re.compile(rf"#/projects/{pid}/items/{first}"))
    page.go_back()

    page.get_by_test_id("activity-action").select_option(label="Members")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("admin made act-viewer viewer")
    page.get_by_test_id("activity-action").select_option(label="Every change")
    page.get_by_test_id("activity-user").select_option(label="admin")
    expect(rows).to_have_count(7)  # the creation, 3 members, the import's job, its import and its end
    page.get_by_test_id("activity-action").select_option(label="Reviews and items")
    expect(page.get_by_role("heading", name="No changes match")).to_be_visible()
    shots(page, "filtered-to-nothing")

    # A viewer gets no link, and the page itself says it is not for them.
    logout(page)
    login(page, "act-viewer", viewer_pw)
    page.get_by_test_id("project-card").filter(has_text="Activity watched").click()
    expect(page.get_by_test_id("settings-link")).to_be_visible()
    expect(page.get_by_test_id("activity-link")).to_have_count(0)
    page.goto(f"/#/projects/{pid}/activity")
    expect(page.get_by_role("heading", name="Managers only")).to_be_visible()
    expect(page.get_by_test_id("activity-row")).to_have_count(0)
    shots(page, "viewer-no-activity")
