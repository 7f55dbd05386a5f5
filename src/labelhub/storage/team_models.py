"""Tables for teams and real time (migration 0007): consensus replicas, project webhooks and their delivery log,
alert rules and the alerts they raise, and the cursors of the background consumers of the audit log.

The audit log (:class:`~labelhub.storage.models.AuditEvent`) is the outbox: each consumer remembers the last
audit event id it handled (a webhook in its own row, the alert evaluator in :class:`EventCursor`), so it sees
only committed writes, in order, and picks up where it stopped after a restart. A consumer that runs in several
server processes takes a lease (``lease_owner`` until ``lease_until``) before it works.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.storage.models import Base, BigId, JsonType, utcnow


class ConsensusReplica(Base):
    """One person's own labels of an item under consensus (``Item.overlap`` people label it independently).
    ``annotations`` are in the API's annotation input shape; ``submitted`` is set when they mark it done."""

    __tablename__ = "consensus_replicas"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id", name="uq_consensus_replicas_item_user"),
        Index("ix_consensus_replicas_project_item", "project_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    submitted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    """A project's webhook: audit events whose action matches one of ``events`` are POSTed to ``url``, signed
    with ``secret`` (HMAC-SHA256), in order. ``last_event_id`` is the last event handled (delivered, or given up
    on); ``failures`` counts consecutive failed attempts, ``next_attempt_at`` is when the next retry may run, and
    ``disabled_reason`` says why the dispatcher switched the hook off (``active`` false)."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(JsonType, default=list)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One attempt to deliver one event (``event_id`` None: a test ping) to a webhook, with what came back."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    action: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    response: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertRule(Base):
    """A project's alert rule: ``kind`` names the check, ``params`` its thresholds."""

    __tablename__ = "alert_rules"
    __table_args__ = (Index("ix_alert_rules_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """One alert a rule raised for a project's reviewers and managers, until someone acknowledges it.
    ``subject_user_id`` is the person it is about (an annotator whose work is being rejected, say), ``event_id``
    the audit event that set it off."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="SET NULL"), default=None)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    object_type: Mapped[str | None] = mapped_column(String(32), default=None)
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)


class EventCursor(Base):
    """Where a background consumer of the audit log (by ``name``) stopped, and who holds its lease."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)


class ItemClaim(Base):
    """An item the labelling queue's "next" handed to one person: the others' "next" passes over it until
    ``expires_at`` (see :mod:`labelhub.services.queue_claims`). One row per item; a person holds at most one per
    project."""

    __tablename__ = "item_claims"
    __table_args__ = (Index("ix_item_claims_project_user", "project_id", "user_id"),)

    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column()
