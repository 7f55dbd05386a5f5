"""The webhooks page: a manager adds a webhook to a receiver, copies its secret (shown once), sends a test and sees
the receiver's 200 in the test result and in the delivery log."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import Server, Shots, add_member, login
from tests.services._webhook_receiver import receiver, verify


def test_a_manager_adds_a_webhook_sends_a_test_and_sees_the_delivery(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Hooked on events", ["cat"])["id"]
    _, password = add_member(server, pid, "wh-manager", "manager")
    login(page, "wh-manager", password)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("team-menu").click()
    page.get_by_test_id("webhooks-link").click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()

    with receiver() as rx:
        page.get_by_test_id("webhook-add").click()
        page.get_by_label("Payload URL").fill(rx.url)
        page.get_by_test_id("webhook-group-all").uncheck()
        page.get_by_test_id("webhook-group-items").check()
        page.get_by_test_id("webhook-save").click()
        secret = page.get_by_test_id("webhook-secret-value").input_value()
        assert len(secret) >= 32
        shots(page, "secret shown once")
        hook = page.get_by_test_id("webhook")
        expect(hook.get_by_test_id("webhook-state")).to_have_text("Active")
        expect(hook).to_contain_text("Sends Items & review")

        hook.get_by_test_id("webhook-test").click()
        expect(hook.get_by_test_id("webhook-test-result")).to_contain_text("Test: 200 in")
        assert rx.events() == ["ping"] and verify(secret, rx.requests[0].headers, rx.requests[0].body)
        hook.get_by_test_id("webhook-log-toggle").click()
        row = hook.get_by_test_id("delivery-row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-status", "200")
        expect(row).to_contain_text("ping")
        shots(page, "delivery logged")
