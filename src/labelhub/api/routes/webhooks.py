"""Project webhooks: add, list, change, delete, test, resume, rotate the secret, and the delivery log
(managers, owners and administrators; see docs/teams.md, "Webhooks")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.webhook_schemas import (
    DeliveryPagePublic,
    DeliveryPublic,
    SecretRotate,
    WebhookCreate,
    WebhookPublic,
    WebhookResume,
    WebhookUpdate,
    WebhookWithSecret,
)
from labelhub.services import webhook_dispatch, webhooks
from labelhub.services.webhook_send import Sender
from labelhub.services.webhook_urls import HostPolicy
from labelhub.services.webhooks import HookView

router = APIRouter(prefix="/projects/{project_id}/webhooks", tags=["webhooks"])


def _with_secret(view: HookView, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(**WebhookPublic.model_validate(view).model_dump(), secret=secret)


@router.get("", response_model=list[WebhookPublic])
def list_webhooks(project_id: int, actor: ActorDep, hub: HubDep) -> list[WebhookPublic]:
    """The project's webhooks with their state and latest delivery."""
    with hub.db.session() as s:
        return [WebhookPublic.model_validate(h) for h in webhooks.list_hooks(s, actor, project_id)]


@router.post("", response_model=WebhookWithSecret, status_code=201)
def create_webhook(project_id: int, body: WebhookCreate, actor: ActorDep, hub: HubDep) -> WebhookWithSecret:
    """Add a webhook; the answer holds its secret, shown this once. It sends events from now on."""
    policy = HostPolicy.parse(hub.settings.webhook_hosts)
    with hub.db.session(write=True) as s:
        view, secret = webhooks.create_hook(
            s,
            actor,
            project_id,
            url=body.url,
            events=body.events,
            policy=policy,
            description=body.description,
            secret=body.secret,
            active=body.active,
        )
        return _with_secret(view, secret)


@router.get("/{webhook_id}", response_model=WebhookPublic)
def get_webhook(project_id: int, webhook_id: int, actor: ActorDep, hub: HubDep) -> WebhookPublic:
    with hub.db.session() as s:
        return WebhookPublic.model_validate(webhooks.get_hook(s, actor, project_id, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookPublic)
def update_webhook(
    project_id: int, webhook_id: int, body: WebhookUpdate, actor: ActorDep, hub: HubDep
) -> WebhookPublic:
    """Change the URL, events, description or on/off state; send the version you read (409 when stale)."""
    policy = HostPolicy.parse(hub.settings.webhook_hosts)
    with hub.db.session(write=True) as s:
        view = webhooks.update_hook(
            s,
            actor,
            project_id,
            webhook_id,
            expected_version=body.version,
            policy=policy,
            url=body.url,
            events=body.events,
            description=body.description,
            active=body.active,
        )
        return WebhookPublic.model_validate(view)


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(project_id: int, webhook_id: int, actor: ActorDep, hub: HubDep) -> None:
    """Delete the webhook and its delivery log."""
    with hub.db.session(write=True) as s:
        webhooks.delete_hook(s, actor, project_id, webhook_id)


@router.post("/{webhook_id}/test", response_model=DeliveryPublic)
def send_webhook_test(project_id: int, webhook_id: int, actor: ActorDep, hub: HubDep) -> DeliveryPublic:
    """Send a ``ping`` now and answer with the delivery: status, duration, error and the receiver's answer."""
    with Sender(hub.settings) as sender:
        return DeliveryPublic.model_validate(
            webhook_dispatch.send_test(hub, actor, project_id, webhook_id, sender=sender)
        )


@router.post("/{webhook_id}/resume", response_model=WebhookPublic)
def resume_webhook(
    project_id: int, webhook_id: int, actor: ActorDep, hub: HubDep, body: WebhookResume | None = None
) -> WebhookPublic:
    """Turn a disabled hook on again (or make a failing one retry now); ``skip_backlog`` starts at the newest
    event instead of the first one not delivered."""
    with hub.db.session(write=True) as s:
        view = webhooks.resume_hook(s, actor, project_id, webhook_id, skip_backlog=bool(body and body.skip_backlog))
        return WebhookPublic.model_validate(view)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookWithSecret)
def rotate_webhook_secret(
    project_id: int, webhook_id: int, actor: ActorDep, hub: HubDep, body: SecretRotate | None = None
) -> WebhookWithSecret:
    """Give the hook a new secret, shown this once in the answer; deliveries from now on are signed with it."""
    with hub.db.session(write=True) as s:
        view, secret = webhooks.rotate_secret(s, actor, project_id, webhook_id, secret=body.secret if body else None)
        return _with_secret(view, secret)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPagePublic)
def list_webhook_deliveries(
    project_id: int,
    webhook_id: int,
    actor: ActorDep,
    hub: HubDep,
    after: Annotated[
        int | None, Query(description="Deliveries older than this id (the previous page's next_after)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_DELIVERY_PAGE)] = 50,
) -> DeliveryPagePublic:
    """The hook's deliveries, newest first (the last 1000 are kept)."""
    with hub.db.session() as s:
        page = webhooks.list_deliveries(s, actor, project_id, webhook_id, after=after, limit=limit)
        return DeliveryPagePublic(
            deliveries=[DeliveryPublic.model_validate(d) for d in page.deliveries], next_after=page.next_after
        )


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryPublic)
def redeliver_webhook_delivery(
    project_id: int, webhook_id: int, delivery_id: int, actor: ActorDep, hub: HubDep
) -> DeliveryPublic:
    """Send a past delivery's event again now and answer with the new delivery."""
    with Sender(hub.settings) as sender:
        return DeliveryPublic.model_validate(
            webhook_dispatch.redeliver(hub, actor, project_id, webhook_id, delivery_id, sender=sender)
        )
