"""What a webhook delivery costs the database, and what a delivery cut off before its outcome is written leaves:
two write transactions per event (the delivery row; its outcome with the hook's place), and the event sent again
to whoever takes the hook next (at least once, in order)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from tests.builders import new_project
from tests.services._webhook_receiver import SYSTEM, Clock, Receiver, add_hook

from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.webhook_dispatch import WebhookDispatcher
from labelhub.storage.team_models import Webhook, WebhookDelivery

_WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_hosts": "loopback"})


@contextmanager
def write_transactions() -> Iterator[list[int]]:
    """Count the committed transactions that wrote something, on every engine, while the block runs."""
    wrote: set[int] = set()
    count = [0]

    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(_WRITES):
            wrote.add(id(conn))

    def on_commit(conn: Any) -> None:
        if id(conn) in wrote:
            wrote.discard(id(conn))
            count[0] += 1

    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Engine, "commit", on_commit)
    try:
        yield count
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Engine, "commit", on_commit)


def _events(hub: Hub, pid: int, n: int) -> None:
    with hub.db.session(write=True) as s:
        for k in range(n):
            audit.record(s, SYSTEM, "item.approve", "item", k + 1, project_id=pid, detail={"seq": k})


def test_each_event_costs_two_write_transactions(hub: Hub, rx: Receiver) -> None:
    pid = new_project(hub, "counted")
    hook_id, _ = add_hook(hub, pid, rx.url)
    n = 8
    _events(hub, pid, n)
    dispatcher = WebhookDispatcher()
    with write_transactions() as count:
        dispatcher.step(hub, "a")
    dispatcher.close()
    assert [r.json["data"]["detail"]["seq"] for r in rx.requests] == list(range(n))
    # the lease, 2 per event (the delivery row; its outcome with the place), the last place, the release, pruning
    assert count[0] <= 2 * n + 4, f"{count[0]} write transactions for {n} events"
    with hub.db.session() as s:
        assert s.scalars(select(WebhookDelivery.ok).where(WebhookDelivery.webhook_id == hook_id)).all() == [True] * n


def test_a_delivery_cut_off_before_its_outcome_is_sent_again_by_the_next_owner(hub: Hub, rx: Receiver) -> None:
    """Process a sends event 1 and hangs before it can write the outcome (as if it died); once its lease lapses,
    b sends event 1 again (same ``data.id``, a new delivery id), then event 2. a's late answer changes nothing."""
    pid = new_project(hub, "cut off")
    hook_id, _ = add_hook(hub, pid, rx.url)
    _events(hub, pid, 2)
    clock = Clock()
    rx.hold = threading.Event()
    a = WebhookDispatcher(clock=clock, batch=1)
    stuck = threading.Thread(target=a.step, args=(hub, "a"))
    stuck.start()
    assert rx.arrived.wait(10)
    rx.arrived.clear()
    clock.now += timedelta(seconds=61)  # a's lease lapses
    b = WebhookDispatcher(clock=clock)
    taking_over = threading.Thread(target=b.step, args=(hub, "b"))
    taking_over.start()
    assert rx.arrived.wait(10)  # b took the hook and sends event 1 again
    rx.hold.set()  # now both are answered
    taking_over.join(10)
    stuck.join(10)
    a.close()
    b.close()
    seqs = [r.json["data"]["detail"]["seq"] for r in rx.requests]
    assert sorted(seqs) == [0, 0, 1] and seqs[-1] == 1  # event 1 twice, then event 2: at least once, in order
    ids = {r.json["data"]["id"] for r in rx.requests if r.json["data"]["detail"]["seq"] == 0}
    assert len(ids) == 1  # the receiver drops the repeat by data.id
    with hub.db.session() as s:
        hook = s.get(Webhook, hook_id)
        assert hook is not None and hook.failures == 0 and hook.lease_owner is None
        oks = s.scalars(select(WebhookDelivery.ok).where(WebhookDelivery.webhook_id == hook_id)).all()
    assert oks == [True, True, True]  # a's outcome is written too, though its place no longer counts
