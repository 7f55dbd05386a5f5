"""Alerts in the browser: a manager's rule watches the rejection rate, a reviewer's rejection raises an alert, which
the reviewer, on the project's page, sees arrive (a message, the "Alerts (1)" link, the sidebar's bell), opens and
acknowledges.

The alert evaluator runs here, in the test process, against the server's database (its step() is what the
server's notifier runs); if the server runs its own notifier, whichever holds the lease raises the alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, eventually, import_images, login

from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.services.alert_evaluator import AlertEvaluator

CSRF = {"X-Requested-With": "labelhub-e2e"}


@pytest.fixture
def server_hub(server: Server) -> Iterator[Hub]:
    hub = Hub.open(Settings(home=server.home, database_url=f"sqlite:///{server.home / 'labelhub.db'}"), migrate=False)
    yield hub
    hub.close()


@contextmanager
def _as(server: Server, username: str, password: str) -> Iterator[httpx.Client]:
    """An API client logged in as ``username``, as the browser logs in."""
    with httpx.Client(base_url=server.url, headers=CSRF, timeout=30) as client:
        client.post(f"{API}/auth/login", json={"username": username, "password": password}).raise_for_status()
        yield client


def test_a_rejection_raises_an_alert_that_the_reviewer_acknowledges(
    page: Any, server: Server, shots: Shots, server_hub: Hub
) -> None:
    project = server.create_project("Alerts e2e street", ["car"])
    pid = project["id"]
    [iid] = import_images(server, pid, "alerts-e2e", 1)
    _, ann_pw = add_member(server, pid, "alerts-ann", "annotator")
    _, rev_pw = add_member(server, pid, "alerts-rev", "reviewer")
    rule = {"kind": "rejection_rate", "params": {"window": 5, "min_reviews": 1, "threshold": 0.5}}
    server.api.post(f"{API}/projects/{pid}/alert-rules", json=rule).raise_for_status()
    evaluator = AlertEvaluator()
    evaluator.step(server_hub, "e2e")  # a first step places the cursor at the newest event

    box = {"kind": "box", "label": "car", "geometry": {"bbox": [100, 300, 400, 450]}}
    with _as(server, "alerts-ann", ann_pw) as ann:
        body = {"version": 1, "annotations": [box]}
        ann.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()

    # The reviewer is on the project's page when the alert comes: it shows at once (the live stream).
    login(page, "alerts-rev", rev_pw)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("team-menu").click()
    link = page.get_by_test_id("alerts-link")
    expect(link).to_have_text("Alerts (0)")
    expect(page.get_by_test_id("team-alerts")).to_have_count(0)
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("0")
    with _as(server, "alerts-rev", rev_pw) as rev:
        rev.post(f"{API}/projects/{pid}/items/{iid}/review",
                 json={"approve": False, "comment": "The box misses the bumper"}).raise_for_status()  # fmt: skip

        def raised() -> dict[str, Any]:
            evaluator.step(server_hub, "e2e")
            body = rev.get(f"{API}/projects/{pid}/alerts", params={"open": True}).raise_for_status().json()
            assert len(body["alerts"]) == 1, body
            alert: dict[str, Any] = body["alerts"][0]
            return alert

        alert = eventually(raised, timeout=15)
    title = "alerts-ann's work is rejected often: 1 of their last 1 reviewed items (100%, the rule's limit is 50%)"
    assert alert["title"] == title
    toast = page.get_by_test_id("toast-info").filter(has_text="New alert")
    expect(toast).to_contain_text(title)
    expect(link).to_have_text("Alerts (1)")
    expect(page.get_by_test_id("team-alerts")).to_have_text("1")  # on the Team button, menu open or not
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("1")
    shots(page, "alert-arrives")
    link.click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    row = page.get_by_test_id("alert")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("alert-title")).to_have_text(title)
    expect(row).to_contain_text("Warning")
    expect(row).to_contain_text("alerts-ann")
    expect(page.get_by_test_id("alert-rules")).to_have_count(0)  # the rules are a manager's
    shots(page, "open-alert")

    row.get_by_test_id("ack").click()
    expect(page.get_by_test_id("alerts-open")).to_have_text("No open alerts.")
    expect(row).to_contain_text("acknowledged by alerts-rev")
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("0")
    shots(page, "acknowledged")
    acks = server.api.get(f"{API}/projects/{pid}/audit", params={"action": "alert.ack"}).raise_for_status().json()
    assert [e["username"] for e in acks["events"]] == ["alerts-rev"]

    # Off the project's pages, the bell still follows its stream: the next alert shows within a second or two (it
    # polled every 30 s before).
    page.goto("/#/")
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("0")
    with _as(server, "alerts-ann", ann_pw) as ann:
        url = f"{API}/projects/{pid}/items/{iid}/annotations"
        body = {"version": ann.get(url).raise_for_status().json()["version"], "annotations": [box]}
        ann.put(url, json=body).raise_for_status()
    with _as(server, "alerts-rev", rev_pw) as rev:
        rev.post(
            f"{API}/projects/{pid}/items/{iid}/review", json={"approve": False, "comment": "Still"}
        ).raise_for_status()
    evaluator.step(server_hub, "e2e")
    expect(page.get_by_test_id("alert-bell-count")).to_have_text("1", timeout=5000)
