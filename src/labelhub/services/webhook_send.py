"""One webhook request: the signed body and headers, the POST (checked URL, no redirects, 10 s), and the
delivery row that records it.

The body is ``{"id": <delivery id>, "event": <action>, "project": {"id", "name"}, "data": <event>}``; the
signature is ``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` with the hook's secret, so a receiver
that also checks the timestamp's age cannot be fed a recorded request again (as Stripe signs). See
docs/teams.md, "Webhooks", for how a receiver checks it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from labelhub import __version__
from labelhub.config import Settings
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.jobs.backoff import first_line
from labelhub.services.webhook_urls import HostPolicy, Resolver, check_url, default_resolver
from labelhub.storage.team_models import Webhook, WebhookDelivery

__all__ = ["TIMEOUT", "Attempt", "HookSnapshot", "Sender", "record", "sign"]

TIMEOUT = 10.0  # seconds for the whole request: connect, send, first byte
RESPONSE_KEEP = 2048  # bytes of the receiver's answer kept in the delivery log
KEEP_DELIVERIES = 1000  # per hook; older ones are pruned
INTERRUPTED = "no answer was recorded: the server stopped while this delivery was in flight"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Labelhub-Signature-256`` value: ``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True, slots=True)
class HookSnapshot:
    """What a delivery needs of a hook and its project, read once in a short transaction."""

    id: int
    project_id: int
    project_name: str
    url: str
    secret: str
    events: list[str]
    last_event_id: int
    failures: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one request gave: 2xx (``ok``), the status, our error in words, and the start of the answer."""

    ok: bool
    status_code: int | None
    error: str | None
    response: str | None
    duration_ms: float


class Sender:
    """Posts signed webhook requests and records each one as a delivery. One per dispatcher, or per request
    for a test ping; close it (or use it as a context manager) to close its connections."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
        resolve: Resolver = default_resolver,
    ) -> None:
        self.policy = HostPolicy.parse(settings.webhook_hosts)
        self.clock = clock
        self.resolve = resolve
        # trust_env=False: no proxy from the environment, since the address checked must be the one connected to.
        self.client = httpx.Client(
            transport=transport, timeout=TIMEOUT, follow_redirects=False, trust_env=False, headers={}
        )

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def deliver(
        self, hub: Hub, hook: HookSnapshot, action: str, data: dict[str, Any], *, event_id: int | None, attempt: int
    ) -> tuple[int, Attempt]:
        """Record a delivery, send it, and record what came back; returns the delivery id and the outcome.

        The row is written first (:meth:`begin`), so its id is the ``X-Labelhub-Delivery`` a receiver logs, and a
        server that stops mid-request leaves a row that says so. (The dispatcher calls :meth:`begin` and
        :meth:`post` itself and writes the outcome together with the hook's place: see ``webhook_dispatch``.)
        """
        delivery_id = self.begin(hub, hook, action, event_id=event_id, attempt=attempt)
        outcome = self.post(hook, delivery_id, action, data)
        with hub.db.session(write=True) as s:
            record(s, delivery_id, outcome)
        return delivery_id, outcome

    def begin(self, hub: Hub, hook: HookSnapshot, action: str, *, event_id: int | None, attempt: int) -> int:
        """Write a delivery row that says "no answer recorded" (its own transaction) and return its id."""
        with hub.db.session(write=True) as s:
            row = WebhookDelivery(
                webhook_id=hook.id,
                event_id=event_id,
                action=action,
                attempt=attempt,
                ok=False,
                error=INTERRUPTED,
                at=self.clock(),
            )
            s.add(row)
            s.flush()
            return row.id

    def record(self, session: Session, delivery_id: int, outcome: Attempt) -> None:
        record(session, delivery_id, outcome)

    def post(self, hook: HookSnapshot, delivery_id: int, action: str, data: dict[str, Any]) -> Attempt:
        """POST one event to the hook's URL, checked again against the server's policy first."""
        started = time.monotonic()
        try:
            target = check_url(hook.url, self.policy, resolve=self.resolve)
        except ValidationError as exc:
            return Attempt(False, None, f"not sent: {exc.detail}", None, 0.0)
        if target.address is None:
            return Attempt(False, None, f"cannot resolve the host {target.host}", None, _ms(started))
        body = orjson.dumps(
            {
                "id": delivery_id,
                "event": action,
                "project": {"id": hook.project_id, "name": hook.project_name},
                "data": data,
            }
        )
        timestamp = int(self.clock().timestamp())
        args = target.request_args()
        headers = {
            **args["headers"],
            "Content-Type": "application/json",
            "User-Agent": f"labelhub-webhook/{__version__}",
            "X-Labelhub-Event": action,
            "X-Labelhub-Delivery": str(delivery_id),
            "X-Labelhub-Hook": str(hook.id),
            "X-Labelhub-Timestamp": str(timestamp),
            "X-Labelhub-Signature-256": sign(hook.secret, timestamp, body),
        }
        try:
            with self.client.stream(
                "POST", args["url"], content=body, headers=headers, extensions=args["extensions"]
            ) as response:
                kept = _head(response)
        except httpx.TimeoutException:
            return Attempt(False, None, f"no answer within {TIMEOUT:.0f} s", None, _ms(started))
        except httpx.HTTPError as exc:
            return Attempt(
                False, None, f"cannot connect to {target.host}:{target.port}: {first_line(exc)}", None, _ms(started)
            )
        code = response.status_code
        if 200 <= code < 300:
            return Attempt(True, code, None, kept, _ms(started))
        error = f"the receiver answered {code} {response.reason_phrase}".rstrip()
        if 300 <= code < 400:
            error += "; redirects are not followed: set the hook's URL to the address it redirects to"
        return Attempt(False, code, error, kept, _ms(started))


def record(session: Session, delivery_id: int, outcome: Attempt) -> None:
    """Store what a delivery's request gave, in the caller's write transaction."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error,
            response=outcome.response,
            duration_ms=outcome.duration_ms,
        )
    )


def prune(hub: Hub, hook_id: int, keep: int = KEEP_DELIVERIES) -> None:
    """Delete the hook's deliveries older than its ``keep`` newest."""
    with hub.db.session(write=True) as s:
        oldest_kept = s.scalar(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.webhook_id == hook_id)
            .order_by(WebhookDelivery.id.desc())
            .offset(keep - 1)
            .limit(1)
        )
        if oldest_kept is not None:
            s.execute(
                delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id, WebhookDelivery.id < oldest_kept)
            )


def snapshot(hook: Webhook, project_name: str) -> HookSnapshot:
    return HookSnapshot(
        hook.id,
        hook.project_id,
        project_name,
        hook.url,
        hook.secret,
        list(hook.events),
        hook.last_event_id,
        hook.failures,
    )


def _head(response: httpx.Response) -> str | None:
    """The first :data:`RESPONSE_KEEP` bytes of the answer as text (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_KEEP:
            break
    text = b"".join(chunks)[:RESPONSE_KEEP].decode("utf-8", errors="replace")
    return text or None


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
