"""The bell and the item page follow others live, in the browser.

* A reviewer of four projects sees the bell's count go up within seconds for an alert raised in the fourth (the
  bell follows one stream of the user's alerts over every project, not the streams of the first three; its 30 s
  poll would be far too slow here), without a page reload.
* With an item open, the header's status badge changes when someone else's save changes the item's status.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect
from tests.e2e import test_alerts_page
from tests.e2e.conftest import API, Server, Shots, import_images, login

from labelhub.hub import Hub
from labelhub.services.alerts import AlertDraft, raise_alert
from labelhub.storage.models import utcnow

server_hub = test_alerts_page.server_hub  # the server's database, opened in the test process
SIZE = (320, 240)


def test_the_bell_counts_an_alert_of_a_fourth_project_live(page: Any, server: Server, shots: Shots,
                                                           server_hub: Hub) -> None:  # fmt: skip
    password = "bell-four-password"
    uid = server.create_user("bell-four", password)
    pids = [server.create_project(f"Bell project {n}", ["car"])["id"] for n in range(1, 5)]
    for pid in pids:
        server.api.put(f"{API}/projects/{pid}/members/{uid}", json={"role": "reviewer"}).raise_for_status()
    rule = server.api.post(f"{API}/projects/{pids[3]}/alert-rules", json={"kind": "job_failed"}).raise_for_status()

    login(page, "bell-four", password)
    page.goto("/#/projects")
    bell = page.get_by_test_id("alert-bell")
    expect(bell).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("0")
    page.evaluate("window.__notReloaded = true")

    draft = AlertDraft(kind="job_failed", severity="critical", title="Job 77 failed", object_type="job",
                       object_id="77")  # fmt: skip
    with server_hub.db.session(write=True) as s:
        assert raise_alert(s, pids[3], rule.json()["id"], draft, now=utcnow(), cooldown=timedelta(0)) is not None
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("1", timeout=5_000)
    expect(bell.get_by_role("link", name="Bell project 4")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True, "the page was reloaded"
    shots(page, "bell-fourth-project")


def test_the_item_status_badge_follows_another_user_s_save(page: Any, server: Server) -> None:
    pid = server.create_project("Live badge", ["car"])["id"]
    [iid] = import_images(server, pid, "live-badge", 1, SIZE)
    password = "badge-rev-password"
    uid = server.create_user("badge-rev", password)
    server.api.put(f"{API}/projects/{pid}/members/{uid}", json={"role": "reviewer"}).raise_for_status()
    login(page, "badge-rev", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    badge = page.get_by_test_id("item-status")
    expect(badge).to_have_text("New")
    page.get_by_test_id("editor-canvas").wait_for()

    box = {"kind": "box", "label": "car", "geometry": {"bbox": [20, 20, 120, 100]}}
    r = server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": [box]})
    assert r.status_code == 200, r.text
    expect(badge).to_have_text("Labelled", timeout=5_000)
    expect(badge).to_have_attribute("data-status", "labeled")
