"""Request and response bodies of the webhook routes (see docs/api.md, "Webhooks", and docs/teams.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from labelhub.api.strict import StrictIn

_EVENTS = 'Patterns of the events to send: "*" (every event), "item.*" (a kind of object) or an exact action'


class WebhookCreate(StrictIn):
    url: str = Field(min_length=1, max_length=2000, description="Where to POST: an http(s) URL")
    events: list[str] = Field(default_factory=lambda: ["*"], max_length=50, description=_EVENTS)
    description: str = Field(default="", max_length=500)
    secret: str | None = Field(
        default=None, description="The signing secret (16-128 characters); empty or left out: a generated one"
    )
    active: bool = True


class WebhookUpdate(StrictIn):
    version: int = Field(description="The version you read; a stale one gets 409")
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, max_length=50, description=_EVENTS)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = Field(default=None, description="false turns the hook off; true turns it on again")


class WebhookResume(StrictIn):
    skip_backlog: bool = Field(
        default=False, description="Skip the events not delivered yet and start at the newest one"
    )


class SecretRotate(StrictIn):
    secret: str | None = Field(default=None, description="The new secret; empty or left out: a generated one")


class DeliveryPublic(BaseModel):
    """One attempt to deliver an event (event_id null: a test ping) and what the receiver answered."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Sent as X-Labelhub-Delivery and as the body's id")
    webhook_id: int
    event_id: int | None = Field(description="The audit event sent; null for a ping")
    action: str = Field(description="The event, e.g. item.approve, or ping")
    attempt: int = Field(description="1 for the first try of this event, 2 for the first retry, ...")
    ok: bool = Field(description="True when the receiver answered 2xx")
    status_code: int | None = Field(description="The receiver's HTTP status; null when it did not answer")
    error: str | None = Field(description="Why it failed, in words")
    response: str | None = Field(description="The start of the receiver's answer (2 KB at most)")
    duration_ms: float
    at: datetime


class DeliveryPagePublic(BaseModel):
    deliveries: list[DeliveryPublic]
    next_after: int | None = Field(description="Pass as ?after= for the next (older) page; null on the last page")


class WebhookPublic(BaseModel):
    """A webhook; its secret only as its last four characters (it is shown whole once, when made)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    url: str
    events: list[str]
    description: str
    active: bool
    state: str = Field(description="active, failing (retrying with back-off) or disabled")
    failures: int = Field(description="Failed deliveries in a row")
    next_attempt_at: datetime | None = Field(description="When a failing hook tries again")
    disabled_reason: str | None = Field(description="Why a disabled hook was turned off")
    last_event_id: int = Field(description="The last audit event handled (delivered, or not subscribed to)")
    secret_hint: str = Field(description="The secret's last four characters")
    version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    last_delivery: DeliveryPublic | None = None


class WebhookWithSecret(WebhookPublic):
    """A webhook just made, or given a new secret: ``secret`` is shown this once."""

    secret: str = Field(description="The signing secret; keep it now, it is not shown again")
