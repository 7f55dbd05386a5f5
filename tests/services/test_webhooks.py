"""Project webhooks as a receiver sees them: signed, in order, only the events asked for, retried with back-off
while it fails, turned off after a day of failures, resumed, pinged and redelivered (where they may be sent:
test_webhook_urls.py)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.builders import new_project
from tests.services._webhook_receiver import LOOPBACK, SYSTEM, Clock, Receiver, add_hook, record_event, verify

from labelhub.config import Settings
from labelhub.domain.webhook_events import ACTIONS, check_patterns
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.services import webhooks
from labelhub.services.event_feed import last_id
from labelhub.services.webhook_dispatch import DISABLE_AFTER, WebhookDispatcher, redeliver, retry_delay, send_test
from labelhub.services.webhook_send import Sender, prune
from labelhub.storage.models import AuditEvent
from labelhub.storage.team_models import Webhook, WebhookDelivery

SRC = Path(__file__).resolve().parents[2] / "src" / "labelhub"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_hosts": "loopback"})


def _row(hub: Hub, hook_id: int) -> Webhook:
    with hub.db.session() as s:
        hook = s.get(Webhook, hook_id)
        assert hook is not None
        s.expunge(hook)
        return hook


def test_a_receiver_gets_the_events_it_asked_for_in_order_signed(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "hooked")
    record_event(hub, pid, "item.approve", before=True)  # before the hook: not sent (no backlog)
    hook_id, secret = add_hook(hub, pid, rx.url, ["item.*", "annotations.replace"])
    record_event(hub, pid, "item.approve", status="reviewed")
    record_event(hub, new_project(hub, "other"), "item.reject")  # another project's
    record_event(hub, pid, "track.rename")  # not subscribed
    record_event(hub, pid, "annotations.replace", count=3)
    dispatcher = WebhookDispatcher()
    assert dispatcher.step(hub, "a") is False

    assert rx.events() == ["item.approve", "annotations.replace"]
    first = rx.requests[0]
    assert verify(secret, first.headers, first.body)
    assert not verify("another-secret-entirely", first.headers, first.body)
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"].startswith("labelhub-webhook/")
    body = first.json
    assert body["event"] == "item.approve" and body["project"] == {"id": pid, "name": "hooked"}
    assert body["data"]["detail"] == {"status": "reviewed"} and body["data"]["actor"] == "system"
    assert str(body["id"]) == first.headers["x-labelhub-delivery"]
    assert abs(int(first.headers["x-labelhub-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    with hub.db.session() as s:
        assert _row(hub, hook_id).last_event_id == last_id(s)
        ok = s.scalars(select(WebhookDelivery.ok).where(WebhookDelivery.webhook_id == hook_id)).all()
    assert ok == [True, True]
    assert dispatcher.step(hub, "a") is False and len(rx.requests) == 2  # nothing new: nothing sent again
    dispatcher.close()


def test_a_failing_receiver_is_retried_with_back_off_and_its_place_holds(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "flaky")
    hook_id, _ = add_hook(hub, pid, rx.url)
    record_event(hub, pid, "item.approve")
    record_event(hub, pid, "item.reject")
    clock = Clock()
    dispatcher = WebhookDispatcher(clock=clock)
    rx.status = 500
    dispatcher.step(hub, "a")
    hook = _row(hub, hook_id)
    assert (hook.failures, hook.next_attempt_at) == (1, clock.now + timedelta(seconds=10))
    assert rx.events() == ["item.approve"]
    dispatcher.step(hub, "a")  # not due yet
    assert len(rx.requests) == 1
    clock.advance(10)
    dispatcher.step(hub, "a")
    assert rx.events() == ["item.approve", "item.approve"]  # the same event again: order holds
    assert _row(hub, hook_id).next_attempt_at == clock.now + timedelta(seconds=30)
    with hub.db.session() as s:
        failed = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        assert [(d.attempt, d.ok, d.status_code) for d in failed] == [(1, False, 500), (2, False, 500)]
        assert failed[0].error == "the receiver answered 500 Internal Server Error"

    rx.status = 204
    clock.advance(30)
    dispatcher.step(hub, "a")
    assert rx.events() == ["item.approve"] * 3 + ["item.reject"]
    hook = _row(hub, hook_id)
    assert (hook.failures, hook.active) == (0, True)
    dispatcher.close()


def test_after_a_day_of_failures_the_hook_is_turned_off_and_resuming_carries_on(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "gone")
    hook_id, _ = add_hook(hub, pid, rx.url)
    record_event(hub, pid, "item.approve")
    clock = Clock()
    start = clock.now
    dispatcher = WebhookDispatcher(clock=clock)
    rx.status = 503
    for n in range(1, DISABLE_AFTER + 1):
        dispatcher.step(hub, "a")
        assert len(rx.requests) == n
        clock.advance(retry_delay(n))
    assert clock.now - start > timedelta(hours=24)
    hook = _row(hub, hook_id)
    assert hook.active is False and hook.disabled_reason is not None
    assert f"after {DISABLE_AFTER} failed deliveries" in hook.disabled_reason and "503" in hook.disabled_reason
    with hub.db.session() as s:
        disabled = s.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.disable")).one()
        assert disabled.project_id == pid and disabled.object_id == str(hook_id)
        view = webhooks.get_hook(s, SYSTEM, pid, hook_id)
    assert view.state == "disabled" and view.disabled_reason == hook.disabled_reason
    dispatcher.step(hub, "a")
    assert len(rx.requests) == DISABLE_AFTER  # a disabled hook is left alone

    rx.status = 200
    with hub.db.session(write=True) as s:
        assert webhooks.resume_hook(s, SYSTEM, pid, hook_id).state == "active"
    dispatcher.step(hub, "a")
    # The held event first, then what followed: the hook's own disabling and resuming.
    assert rx.events()[DISABLE_AFTER:] == ["item.approve", "webhook.disable", "webhook.update"]
    dispatcher.close()


def test_resuming_may_skip_the_backlog(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "skip")
    hook_id, _ = add_hook(hub, pid, rx.url, ["item.*"])
    with hub.db.session(write=True) as s:
        version = _row(hub, hook_id).version
        webhooks.update_hook(s, SYSTEM, pid, hook_id, expected_version=version, policy=LOOPBACK, active=False)
    record_event(hub, pid, "item.approve")
    dispatcher = WebhookDispatcher()
    dispatcher.step(hub, "a")
    assert rx.requests == []
    with hub.db.session(write=True) as s:
        webhooks.resume_hook(s, SYSTEM, pid, hook_id, skip_backlog=True)
    record_event(hub, pid, "item.reject")
    dispatcher.step(hub, "a")
    assert rx.events() == ["item.reject"]
    dispatcher.close()


def test_a_ping_and_a_redelivery_are_sent_now_and_logged(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "ping")
    hook_id, secret = add_hook(hub, pid, rx.url)
    with Sender(hub.settings) as sender:
        ping = send_test(hub, SYSTEM, pid, hook_id, sender=sender)
        assert (ping.action, ping.ok, ping.status_code, ping.event_id, ping.response) == (
            "ping",
            True,
            200,
            None,
            "thanks",
        )
        assert rx.requests[0].json["data"]["hook_id"] == hook_id and verify(
            secret, rx.requests[0].headers, rx.requests[0].body
        )
        record_event(hub, pid, "item.approve", n=1)
        dispatcher = WebhookDispatcher()
        dispatcher.step(hub, "a")
        dispatcher.close()
        with hub.db.session() as s:
            page = webhooks.list_deliveries(s, SYSTEM, pid, hook_id)
        delivered = page.deliveries[0]
        assert [d.action for d in page.deliveries] == ["item.approve", "ping"] and page.next_after is None
        again = redeliver(hub, SYSTEM, pid, hook_id, delivered.id, sender=sender)
        assert again.id > delivered.id and again.ok and again.event_id == delivered.event_id
        assert rx.requests[-1].json["data"] == rx.requests[-2].json["data"]
        assert rx.requests[-1].headers["x-labelhub-delivery"] == str(again.id)
        rx.status = 404
        failed = send_test(hub, SYSTEM, pid, hook_id, sender=sender)
        assert (failed.ok, failed.status_code, failed.error) == (False, 404, "the receiver answered 404 Not Found")
    assert _row(hub, hook_id).failures == 0  # a test never counts against the hook
    with hub.db.session() as s:
        page = webhooks.list_deliveries(s, SYSTEM, pid, hook_id, limit=2)
        assert [d.id for d in page.deliveries] == [failed.id, again.id] and page.next_after == again.id
        older = webhooks.list_deliveries(s, SYSTEM, pid, hook_id, after=page.next_after, limit=2)
        assert [d.action for d in older.deliveries] == ["item.approve", "ping"]


def test_two_dispatchers_never_deliver_the_same_hook_at_once(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "leased")
    add_hook(hub, pid, rx.url)
    record_event(hub, pid, "item.approve")
    record_event(hub, pid, "item.reject")
    rx.hold = threading.Event()
    first, second = WebhookDispatcher(), WebhookDispatcher()
    worker = threading.Thread(target=first.step, args=(hub, "server-1"))
    worker.start()
    assert rx.arrived.wait(10)
    second.step(hub, "server-2")  # the hook is leased by server-1: nothing sent
    assert len(rx.requests) == 1
    rx.hold.set()
    worker.join(10)
    second.step(hub, "server-2")
    assert rx.events() == ["item.approve", "item.reject"]
    first.close()
    second.close()


def test_a_full_batch_asks_for_another_step_and_old_deliveries_are_pruned(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "busy")
    hook_id, _ = add_hook(hub, pid, rx.url)
    for n in range(5):
        record_event(hub, pid, "item.approve", n=n)
    dispatcher = WebhookDispatcher(batch=3)
    assert dispatcher.step(hub, "a") is True
    assert dispatcher.step(hub, "a") is False
    dispatcher.close()
    assert [r.json["data"]["detail"]["n"] for r in rx.requests] == [0, 1, 2, 3, 4]
    for n in range(5, 7):
        record_event(hub, pid, "item.approve", n=n)
    hurried = WebhookDispatcher(budget=0)  # out of time after one delivery: the rest next round
    assert hurried.step(hub, "a") is True and len(rx.requests) == 6
    assert hurried.step(hub, "a") is True and len(rx.requests) == 7
    assert hurried.step(hub, "a") is False
    hurried.close()
    prune(hub, hook_id, keep=2)
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 2


def test_event_patterns_are_checked_against_the_events_labelhub_sends() -> None:
    assert check_patterns([" item.* ", "item.*", "annotations.replace"]) == ["item.*", "annotations.replace"]
    assert check_patterns(["item.approve", "*"]) == ["*"]
    for bad, words in (
        ("itme.*", 'did you mean "item.*"'),
        ("item.aprove", "item.approve"),
        ("auth.login", "not about a project"),
        ("item.a*", "no other wildcards"),
        ("", "at least one"),
    ):
        with pytest.raises(ValidationError, match=re.escape(words)) as caught:
            check_patterns([bad])
        assert caught.value.context["field"] == "events"


def test_every_project_action_the_sources_record_is_known() -> None:
    """The list of actions a hook may subscribe to follows the audit events the code records."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for call in re.findall(r"record\(\s*\w+,\s*[\w.()]+,\s*([^,]+),", path.read_text()):
            found.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call))
    known = {f"{kind}.{verb}" for kind, verbs in ACTIONS.items() for verb in verbs}
    projectless = {a for a in found if a.split(".")[0] in ("auth", "user", "token")}
    missing = found - projectless - known
    assert not missing, f"add {sorted(missing)} to labelhub.domain.webhook_events.ACTIONS, so hooks may ask for them"
