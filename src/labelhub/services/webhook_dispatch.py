"""Webhook delivery: the :class:`WebhookDispatcher` (a notifier task) that sends each hook its project's events
in order, and the test ping and redelivery a manager asks for.

Each hook keeps its place in the audit log (``last_event_id``). A due hook is taken under a lease (an UPDATE
that succeeds only while nobody else holds it), so two server processes never send the same hook's events at
once; its new events are sent one at a time, oldest first, and the place moves past an event when the receiver
answers 2xx (events the hook does not subscribe to are passed over). A failed request (no 2xx, a timeout, no
connection, a URL the server's policy now refuses) keeps the place: the same event is tried again after
:data:`BACKOFF` (10 s, 30 s, 1 min, 5 min, 15 min, then hourly), so delivery is ordered and at least once.
After :data:`DISABLE_AFTER` failures in a row, which by that schedule span more than 24 hours, the hook is
turned off with its reason and a ``webhook.disable`` audit event; resuming it carries on from the same event.

An event sent costs two write transactions: the delivery row (written before the request, so its id is the
``X-Labelhub-Delivery`` header), then the request's outcome together with the hook's new place, failure count and
lease (one transaction, :meth:`WebhookDispatcher._save`; they were two until 2026-12-06). What a crash leaves:

* before the request: the delivery row says "no answer was recorded" and the place has not moved; whoever takes
  the hook next (this process after a restart, or another once the 60 s lease lapses) sends the same event again;
* between the request and the commit of its outcome (the receiver may have it): the same, so the receiver can get
  the event twice, with two delivery ids and the same ``data.id``: delivery is at least once, never lost;
* after the commit: the outcome and the place moved together, so an event the log shows as delivered is never
  sent again, and the next one follows it: order holds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import case, or_, select, update

from labelhub.config import Settings
from labelhub.errors import ConfigurationError, NotFoundError
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.event_feed import last_id, matches, read_after
from labelhub.services.webhook_send import Attempt, Clock, HookSnapshot, Sender, prune, record, snapshot, utc_now
from labelhub.services.webhook_urls import Resolver, default_resolver, shown_url
from labelhub.services.webhooks import DeliveryView, delivery_view, find_hook
from labelhub.storage.models import Project
from labelhub.storage.team_models import Webhook, WebhookDelivery

__all__ = ["BACKOFF", "DISABLE_AFTER", "WebhookDispatcher", "redeliver", "send_test"]

log = logging.getLogger("labelhub.webhooks")
BACKOFF = (10, 30, 60, 300, 900, 3600)  # seconds before the 1st, 2nd, ... retry; the last one repeats
DISABLE_AFTER = 30  # failures in a row; 10 s + 30 s + 1 min + 5 min + 15 min + 24 h apart: more than a day
LEASE_SECONDS = 60.0  # renewed after each delivery; a process that died frees its hooks after this


def retry_delay(failures: int) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row (1 or more)."""
    return float(BACKOFF[min(failures, len(BACKOFF)) - 1])


@dataclass(slots=True)
class _Run:
    hook: HookSnapshot
    owner: str
    cursor: int
    failures: int


class WebhookDispatcher:
    """The notifier task that delivers webhooks. Build it with no arguments (it reads the hub's settings) or with
    the settings; ``transport``, ``clock`` and ``resolve`` let tests answer requests, move time and fake DNS.

    One step sends at most ``batch`` events per hook to at most ``hooks_per_step`` hooks, and stops after
    ``budget`` seconds (the notifier's other tasks share its thread; a receiver that never answers costs one
    10 s timeout a round), saying there is more to do."""

    name = "webhooks"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
        resolve: Resolver = default_resolver,
        batch: int = 100,
        hooks_per_step: int = 20,
        budget: float = 5.0,
    ) -> None:
        self.settings = settings
        self.transport, self.clock, self.resolve = transport, clock, resolve
        self.batch, self.hooks_per_step, self.budget = batch, hooks_per_step, budget
        self._sender: Sender | None = None
        self._misconfigured = False

    def sender(self, hub: Hub) -> Sender:
        if self._sender is None:
            self._sender = Sender(
                self.settings or hub.settings, transport=self.transport, clock=self.clock, resolve=self.resolve
            )
        return self._sender

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def step(self, hub: Hub, owner: str) -> bool:
        """Deliver what is due for up to ``hooks_per_step`` hooks; True when a hook had a full batch or more
        hooks are due, so the notifier calls again at once."""
        try:
            self.sender(hub)
        except ConfigurationError as exc:  # LABELHUB_WEBHOOK_HOSTS that does not parse: said once, not every second
            if not self._misconfigured:
                log.error("webhooks are not delivered: %s", exc.detail)
            self._misconfigured = True
            return False
        now = self.clock()
        with hub.db.session() as s:
            newest = last_id(s)
            due = s.scalars(
                select(Webhook.id)
                .where(
                    Webhook.active,
                    Webhook.last_event_id < newest,
                    or_(Webhook.next_attempt_at.is_(None), Webhook.next_attempt_at <= now),
                    or_(Webhook.lease_owner.is_(None), Webhook.lease_until < now, Webhook.lease_owner == owner),
                )
                .order_by(Webhook.last_event_id, Webhook.id)  # the furthest behind first: no hook starves
                .limit(self.hooks_per_step + 1)
            ).all()
        more = len(due) > self.hooks_per_step
        deadline = time.monotonic() + self.budget
        for n, hook_id in enumerate(due[: self.hooks_per_step]):
            if n and time.monotonic() > deadline:
                return True
            more = self._run_hook(hub, hook_id, owner, deadline) or more
        return more

    def _run_hook(self, hub: Hub, hook_id: int, owner: str, deadline: float) -> bool:
        if not self._lease(hub, hook_id, owner):
            return False
        sent = False
        try:
            with hub.db.session() as s:
                hook = s.get(Webhook, hook_id)
                if hook is None or not hook.active:
                    return False
                name = s.scalar(select(Project.name).where(Project.id == hook.project_id)) or ""
                run = _Run(snapshot(hook, name), owner, hook.last_event_id, hook.failures)
                events, end = read_after(s, run.cursor, project_id=hook.project_id, limit=self.batch, now=self.clock())
            for event in events:
                if not matches(event.action, run.hook.events):
                    run.cursor = event.id
                    continue
                sent = True
                sender = self.sender(hub)
                delivery = sender.begin(hub, run.hook, event.action, event_id=event.id, attempt=run.failures + 1)
                outcome = sender.post(run.hook, delivery, event.action, event.body())
                if not outcome.ok:
                    self._failed(hub, run, delivery, outcome)
                    return False
                run.cursor, run.failures = event.id, 0
                if not self._save(hub, run, renew=True, outcome=(delivery, outcome)):
                    return False
                if time.monotonic() > deadline:
                    return True  # the rest next round, after the notifier's other tasks had their turn
            run.cursor = max(run.cursor, end)
            self._save(hub, run, renew=False)
            return len(events) >= self.batch
        finally:
            self._release(hub, hook_id, owner)
            if sent:
                prune(hub, hook_id)

    def _lease(self, hub: Hub, hook_id: int, owner: str) -> bool:
        now = self.clock()
        with hub.db.session(write=True) as s:
            res = s.execute(
                update(Webhook)
                .where(
                    Webhook.id == hook_id,
                    Webhook.active,
                    or_(Webhook.lease_owner.is_(None), Webhook.lease_until < now, Webhook.lease_owner == owner),
                )
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS))
            )
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def _release(self, hub: Hub, hook_id: int, owner: str) -> None:
        with hub.db.session(write=True) as s:
            s.execute(
                update(Webhook)
                .where(Webhook.id == hook_id, Webhook.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def _save(
        self,
        hub: Hub,
        run: _Run,
        *,
        renew: bool,
        outcome: tuple[int, Attempt] | None = None,
        disabled: dict[str, Any] | None = None,
        **extra: Any,
    ) -> bool:
        """Write the hook's place and failures while this process still holds its lease (False when it lost it,
        or the hook was turned off or deleted meanwhile). The place never moves back: a manager's "skip the
        backlog" during a delivery wins.

        In the same transaction: ``outcome`` (delivery id, what the request gave) is stored whether or not the
        lease still holds (the request went out), and ``disabled`` (the detail of a ``webhook.disable`` event)
        is recorded when the hook was turned off here."""
        values: dict[str, Any] = {
            "last_event_id": case((Webhook.last_event_id < run.cursor, run.cursor), else_=Webhook.last_event_id),
            "failures": run.failures,
            **extra,
        }
        if renew:
            values["lease_until"] = self.clock() + timedelta(seconds=LEASE_SECONDS)
        with hub.db.session(write=True) as s:
            if outcome is not None:
                record(s, *outcome)
            res = s.execute(
                update(Webhook)
                .where(Webhook.id == run.hook.id, Webhook.lease_owner == run.owner, Webhook.active)
                .values(**values)
            )
            saved = bool(res.rowcount)  # type: ignore[attr-defined]
            if saved and disabled is not None:
                audit.record(s, Actor.system(), "webhook.disable", "webhook", run.hook.id,
                             project_id=run.hook.project_id, detail=disabled)  # fmt: skip
            return saved

    def _failed(self, hub: Hub, run: _Run, delivery: int, outcome: Attempt) -> None:
        run.failures += 1
        now = self.clock()
        if run.failures < DISABLE_AFTER:
            retry_at = now + timedelta(seconds=retry_delay(run.failures))
            self._save(hub, run, renew=False, outcome=(delivery, outcome), next_attempt_at=retry_at)
            return
        reason = f"turned off after {run.failures} failed deliveries in a row over more than a day; the last: " + (
            outcome.error or "no 2xx answer"
        )
        detail = {"reason": reason, "failures": run.failures, "url": shown_url(run.hook.url)}
        self._save(hub, run, renew=False, outcome=(delivery, outcome), disabled=detail, active=False,
                   disabled_reason=reason, next_attempt_at=None)  # fmt: skip


def send_test(hub: Hub, actor: Actor, project_id: int, hook_id: int, *, sender: Sender) -> DeliveryView:
    """Send the hook a ``ping`` now (also when it is turned off) and return the delivery; its state and place
    in the event log stay as they are."""
    hook = _snapshot(hub, actor, project_id, hook_id)
    return _sent(hub, hook.id, sender.deliver(hub, hook, "ping", _ping(hook), event_id=None, attempt=1)[0])


def redeliver(
    hub: Hub, actor: Actor, project_id: int, hook_id: int, delivery_id: int, *, sender: Sender
) -> DeliveryView:
    """Send a past delivery's event again, as it is now in the audit log (a ping is pinged again), and return
    the new delivery. The hook's state and its place in the event log stay as they are."""
    hook = _snapshot(hub, actor, project_id, hook_id)
    with hub.db.session() as s:
        past = s.get(WebhookDelivery, delivery_id)
        if past is None or past.webhook_id != hook_id:
            raise NotFoundError(f"delivery {delivery_id} not found for webhook {hook_id}", field="delivery_id")
        if past.event_id is None:
            data, action, event_id = _ping(hook), "ping", None
        else:
            events, _ = read_after(s, past.event_id - 1, project_id=project_id, limit=1)
            if not events or events[0].id != past.event_id:
                raise NotFoundError(
                    f"event {past.event_id} of delivery {delivery_id} is no longer in the audit log",
                    field="delivery_id",
                )
            data, action, event_id = events[0].body(), events[0].action, events[0].id
    return _sent(hub, hook.id, sender.deliver(hub, hook, action, data, event_id=event_id, attempt=1)[0])


def _ping(hook: HookSnapshot) -> dict[str, Any]:
    return {"hook_id": hook.id, "events": hook.events, "message": "a test delivery from labelhub"}


def _snapshot(hub: Hub, actor: Actor, project_id: int, hook_id: int) -> HookSnapshot:
    with hub.db.session() as s:
        hook = find_hook(s, actor, project_id, hook_id)
        name = s.scalar(select(Project.name).where(Project.id == project_id)) or ""
        return snapshot(hook, name)


def _sent(hub: Hub, hook_id: int, delivery_id: int) -> DeliveryView:
    prune(hub, hook_id)
    with hub.db.session() as s:
        row = s.get(WebhookDelivery, delivery_id)
        if row is None:  # pruned at once: only with a keep of 0
            raise NotFoundError(f"delivery {delivery_id} not found", field="delivery_id")
        return delivery_view(row)
