"""A project's webhooks: add, list, change, pause and resume, rotate the secret, delete, and read the deliveries.

Every operation needs the EDIT_PROJECT permission (managers, owners, administrators) and records an audit event
(``webhook.create``, ``webhook.update``, ``webhook.delete``) in its transaction, with the URL shown without its
query string and never the secret. The secret is returned once, when it is made (:func:`create_hook`,
:func:`rotate_secret`); afterwards only its last four characters are shown. Delivery itself is in
:mod:`labelhub.services.webhook_dispatch`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.domain.webhook_events import check_patterns
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.event_feed import last_id
from labelhub.services.webhook_urls import HostPolicy, check_url, shown_url
from labelhub.storage.models import utcnow
from labelhub.storage.team_models import Webhook, WebhookDelivery

__all__ = [
    "DeliveryPage",
    "DeliveryView",
    "HookView",
    "create_hook",
    "delete_hook",
    "get_hook",
    "list_deliveries",
    "list_hooks",
    "resume_hook",
    "rotate_secret",
    "update_hook",
]

MAX_HOOKS = 20  # per project, as GitHub allows
MAX_DESCRIPTION = 500
SECRET_MIN, SECRET_MAX = 16, 128
MAX_DELIVERY_PAGE = 200


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One attempt to deliver an event (``event_id`` None: a test ping) and what the receiver answered."""

    id: int
    webhook_id: int
    event_id: int | None
    action: str
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None
    response: str | None
    duration_ms: float
    at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: list[DeliveryView]
    next_after: int | None  # pass as ``after`` for the next (older) page; None on the last page


@dataclass(frozen=True, slots=True)
class HookView:
    """A webhook as its managers see it: ``state`` is ``active``, ``failing`` (``failures`` in a row, next try
    at ``next_attempt_at``) or ``disabled`` (``disabled_reason`` says why); the secret only as ``secret_hint``."""

    id: int
    project_id: int
    url: str
    events: list[str]
    description: str
    active: bool
    state: str
    failures: int
    next_attempt_at: datetime | None
    disabled_reason: str | None
    last_event_id: int
    secret_hint: str
    version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    last_delivery: DeliveryView | None = None


def list_hooks(session: Session, actor: Actor, project_id: int) -> list[HookView]:
    """The project's webhooks, oldest first, each with its latest delivery."""
    require(session, actor, project_id, Action.EDIT_PROJECT)
    hooks = session.scalars(select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id)).all()
    latest = (
        select(func.max(WebhookDelivery.id))
        .where(WebhookDelivery.webhook_id.in_([h.id for h in hooks]))
        .group_by(WebhookDelivery.webhook_id)
    )
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(latest))).all() if hooks else []
    last = {d.webhook_id: delivery_view(d) for d in rows}
    return [hook_view(h, last.get(h.id)) for h in hooks]


def get_hook(session: Session, actor: Actor, project_id: int, hook_id: int) -> HookView:
    hook = _hook(session, actor, project_id, hook_id)
    latest = session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id).order_by(WebhookDelivery.id.desc())
    ).first()
    return hook_view(hook, delivery_view(latest) if latest else None)


def create_hook(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    url: str,
    events: Sequence[str],
    policy: HostPolicy,
    description: str = "",
    secret: str | None = None,
    active: bool = True,
) -> tuple[HookView, str]:
    """Add a webhook and return it with its secret (shown this once). It starts at the newest event: it sends
    what happens from now on, not the project's history."""
    require(session, actor, project_id, Action.EDIT_PROJECT)
    count = session.scalar(select(func.count()).select_from(Webhook).where(Webhook.project_id == project_id))
    if (count or 0) >= MAX_HOOKS:
        raise ValidationError(f"a project may have at most {MAX_HOOKS} webhooks; delete one first", field="url")
    check_url(url, policy)
    secret = _secret(secret)
    now = utcnow()
    hook = Webhook(
        project_id=project_id,
        url=url,
        secret=secret,
        events=check_patterns(events),
        description=_description(description),
        active=active,
        disabled_reason=None if active else f"added turned off by {actor.username}",
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(hook)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.create",
        "webhook",
        hook.id,
        project_id=project_id,
        detail={"url": shown_url(url), "events": hook.events},
    )
    hook.last_event_id = last_id(session)  # after its own webhook.create: it starts with what follows
    return hook_view(hook), secret


def update_hook(
    session: Session,
    actor: Actor,
    project_id: int,
    hook_id: int,
    *,
    expected_version: int,
    policy: HostPolicy,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> HookView:
    """Change a webhook's URL, events, description or on/off state; 409 when ``expected_version`` is stale.

    A new URL clears the count of failures and the wait before the next try (the hook tries again at once).
    Turning a hook off keeps its place in the event log; turning it on again (or :func:`resume_hook`) carries on
    from there.
    """
    hook = _hook(session, actor, project_id, hook_id)
    values: dict[str, Any] = {}
    if url is not None and url != hook.url:
        check_url(url, policy)
        values.update(url=url, failures=0, next_attempt_at=None)
    if events is not None:
        patterns = check_patterns(events)
        if patterns != hook.events:
            values["events"] = patterns
    if description is not None and description != hook.description:
        values["description"] = _description(description)
    if active is not None and active != hook.active:
        values.update(active=active, failures=0, next_attempt_at=None)
        values["disabled_reason"] = None if active else f"turned off by {actor.username}"
    _write(session, hook, expected_version, values)
    if values:
        audit.record(
            session,
            actor,
            "webhook.update",
            "webhook",
            hook_id,
            project_id=project_id,
            detail={
                "fields": sorted(values.keys() & {"url", "events", "description", "active"}),
                "url": shown_url(hook.url),
            },
        )
    return hook_view(hook)


def resume_hook(
    session: Session, actor: Actor, project_id: int, hook_id: int, *, skip_backlog: bool = False
) -> HookView:
    """Turn a disabled hook on again, or make a failing one try again now, clearing its failures; with
    ``skip_backlog`` it also skips the events it has not delivered yet and starts at the newest."""
    hook = _hook(session, actor, project_id, hook_id)
    audit.record(
        session,
        actor,
        "webhook.update",
        "webhook",
        hook_id,
        project_id=project_id,
        detail={"resumed": True, "skipped_backlog": skip_backlog, "url": shown_url(hook.url)},
    )
    values: dict[str, Any] = {"active": True, "failures": 0, "next_attempt_at": None, "disabled_reason": None}
    if skip_backlog:  # read after the audit event above, so the hook skips that one too
        values["last_event_id"] = max(hook.last_event_id, last_id(session))
    _write(session, hook, hook.version, values)
    return hook_view(hook)


def rotate_secret(
    session: Session, actor: Actor, project_id: int, hook_id: int, *, secret: str | None = None
) -> tuple[HookView, str]:
    """Give the hook a new secret (``secret``, or a generated one) and return it, shown this once. Deliveries
    from now on are signed with it."""
    hook = _hook(session, actor, project_id, hook_id)
    new = _secret(secret)
    _write(session, hook, hook.version, {"secret": new})
    audit.record(
        session,
        actor,
        "webhook.update",
        "webhook",
        hook_id,
        project_id=project_id,
        detail={"fields": ["secret"], "url": shown_url(hook.url)},
    )
    return hook_view(hook), new


def delete_hook(session: Session, actor: Actor, project_id: int, hook_id: int) -> None:
    """Delete a webhook and its delivery log."""
    hook = _hook(session, actor, project_id, hook_id)
    audit.record(
        session, actor, "webhook.delete", "webhook", hook_id, project_id=project_id, detail={"url": shown_url(hook.url)}
    )
    session.delete(hook)


def list_deliveries(
    session: Session, actor: Actor, project_id: int, hook_id: int, *, after: int | None = None, limit: int = 50
) -> DeliveryPage:
    """The hook's deliveries, newest first, a keyset page at a time (``after``: deliveries older than this id)."""
    _hook(session, actor, project_id, hook_id)
    limit = max(1, min(limit, MAX_DELIVERY_PAGE))
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id)
    if after is not None:
        query = query.where(WebhookDelivery.id < after)
    rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).all()
    page = [delivery_view(r) for r in rows[:limit]]
    return DeliveryPage(page, page[-1].id if len(rows) > limit else None)


def hook_view(hook: Webhook, last: DeliveryView | None = None) -> HookView:
    state = "disabled" if not hook.active else "failing" if hook.failures else "active"
    return HookView(
        id=hook.id,
        project_id=hook.project_id,
        url=hook.url,
        events=list(hook.events),
        description=hook.description,
        active=hook.active,
        state=state,
        failures=hook.failures,
        next_attempt_at=hook.next_attempt_at if hook.active and hook.failures else None,
        disabled_reason=hook.disabled_reason if not hook.active else None,
        last_event_id=hook.last_event_id,
        secret_hint="…" + hook.secret[-4:],
        version=hook.version,
        created_by=hook.created_by,
        created_at=hook.created_at,
        updated_at=hook.updated_at,
        last_delivery=last,
    )


def delivery_view(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        action=row.action,
        attempt=row.attempt,
        ok=row.ok,
        status_code=row.status_code,
        error=row.error,
        response=row.response,
        duration_ms=row.duration_ms,
        at=row.at,
    )


def find_hook(session: Session, actor: Actor, project_id: int, hook_id: int) -> Webhook:
    """The project's hook ``hook_id`` when the actor may manage it; NotFoundError when the project has none."""
    return _hook(session, actor, project_id, hook_id)


def _hook(session: Session, actor: Actor, project_id: int, hook_id: int) -> Webhook:
    require(session, actor, project_id, Action.EDIT_PROJECT)
    hook = session.get(Webhook, hook_id)
    if hook is None or hook.project_id != project_id:
        raise NotFoundError(f"webhook {hook_id} not found in project {project_id}", field="webhook_id")
    return hook


def _write(session: Session, hook: Webhook, expected_version: int, values: dict[str, Any]) -> None:
    """Apply ``values`` when the hook is still at ``expected_version`` (ConflictError otherwise), raising its
    version; nothing to change still checks the version."""
    if expected_version != hook.version:
        raise _stale(hook, expected_version)
    if not values:
        return
    values = {**values, "version": hook.version + 1, "updated_at": utcnow()}
    res = session.execute(
        update(Webhook)
        .where(Webhook.id == hook.id, Webhook.version == expected_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        raise _stale(hook, expected_version)
    session.refresh(hook)


def _stale(hook: Webhook, expected_version: int) -> ConflictError:
    return ConflictError(
        f"webhook {hook.id} changed since version {expected_version}; reload and retry",
        field="version",
        current_version=hook.version,
    )


def _secret(secret: str | None) -> str:
    if secret is None or secret == "":
        return secrets.token_urlsafe(32)
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or secret != secret.strip() or not secret.isprintable():
        raise ValidationError(
            f"secret must be {SECRET_MIN} to {SECRET_MAX} printable characters without spaces at the ends "
            "(or leave it empty for a generated one)",
            field="secret",
        )
    return secret


def _description(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(f"description may hold at most {MAX_DESCRIPTION} characters", field="description")
    return text
