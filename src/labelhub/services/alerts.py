"""Alerts: what the project's rules raised, for its reviewers and managers to read and acknowledge, and the
open counts behind the sidebar's bell.

An alert stays open until someone acknowledges it; while one is open, its rule raises no other alert about the
same person or object (:func:`raise_alert`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import Role
from labelhub.domain.permissions import MINIMUM_ROLE, Action
from labelhub.errors import NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.storage.models import Membership, Project, User, utcnow
from labelhub.storage.team_models import Alert

__all__ = [
    "MAX_PAGE",
    "AlertDraft",
    "AlertPage",
    "ProjectAlerts",
    "ack",
    "ack_all",
    "list_alerts",
    "raise_alert",
    "summary",
    "usernames",
]

MAX_PAGE = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertDraft:
    """An alert a rule's check wants to raise: about ``subject_user_id`` and/or the object (``object_type``,
    ``object_id``), set off by audit event ``event_id``."""

    kind: str
    severity: str
    title: str
    detail: dict[str, Any] = field(default_factory=dict)
    object_type: str | None = None
    object_id: str | None = None
    subject_user_id: int | None = None
    event_id: int | None = None


@dataclass(frozen=True, slots=True)
class AlertPage:
    alerts: list[Alert]
    next_after: int | None
    open_count: int


@dataclass(frozen=True, slots=True)
class ProjectAlerts:
    project_id: int
    project_name: str
    open: int


def raise_alert(
    session: Session, project_id: int, rule_id: int, draft: AlertDraft, *, now: datetime, cooldown: timedelta
) -> Alert | None:
    """Insert the alert and its ``alert.raised`` audit event, unless the rule already has an open alert about the
    same subject and object, or one acknowledged less than ``cooldown`` ago; the new alert, or None."""
    same = [
        Alert.project_id == project_id,
        Alert.rule_id == rule_id,
        _same(Alert.object_type, draft.object_type),
        _same(Alert.object_id, draft.object_id),
        _same(Alert.subject_user_id, draft.subject_user_id),
    ]
    quiet: ColumnElement[bool] = Alert.acknowledged_at.is_(None)
    if cooldown > timedelta(0):
        quiet = quiet | (Alert.acknowledged_at > now - cooldown)
    if session.scalar(select(Alert.id).where(*same, quiet).limit(1)) is not None:
        return None
    alert = Alert(
        project_id=project_id,
        rule_id=rule_id,
        kind=draft.kind,
        severity=draft.severity,
        title=draft.title,
        detail=draft.detail,
        object_type=draft.object_type,
        object_id=draft.object_id,
        subject_user_id=draft.subject_user_id,
        event_id=draft.event_id,
        created_at=now,
    )
    session.add(alert)
    session.flush()
    audit.record(session, Actor.system(), "alert.raised", "alert", alert.id, project_id=project_id,
                 detail={"alert_id": alert.id, "kind": draft.kind, "severity": draft.severity,
                         "title": draft.title})  # fmt: skip
    return alert


def _same(column: Any, value: object) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


def list_alerts(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    open_only: bool = False,
    after: int | None = None,
    limit: int = 50,
) -> AlertPage:
    """The project's alerts newest first (only those not yet acknowledged with ``open_only``), after the alert
    ``after`` (keyset), and how many are open in all."""
    require(session, actor, project_id, Action.REVIEW)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    stmt = select(Alert).where(Alert.project_id == project_id)
    if open_only:
        stmt = stmt.where(Alert.acknowledged_at.is_(None))
    if after is not None:
        stmt = stmt.where(Alert.id < after)
    alerts = list(session.scalars(stmt.order_by(Alert.id.desc()).limit(limit)))
    open_count = session.scalar(
        select(func.count(Alert.id)).where(Alert.project_id == project_id, Alert.acknowledged_at.is_(None))
    )
    next_after = alerts[-1].id if len(alerts) == limit else None
    return AlertPage(alerts, next_after, int(open_count or 0))


def ack(session: Session, actor: Actor, project_id: int, alert_id: int) -> Alert:
    """Acknowledge one alert (records ``alert.ack``); one acknowledged already is returned as it is."""
    require(session, actor, project_id, Action.REVIEW)
    alert = session.get(Alert, alert_id)
    if alert is None or alert.project_id != project_id:
        raise NotFoundError(f"alert {alert_id} not found in project {project_id}", field="alert_id")
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_by, alert.acknowledged_at = actor.user_id, utcnow()
    session.flush()
    audit.record(session, actor, "alert.ack", "alert", alert.id, project_id=project_id,
                 detail={"alert_id": alert.id, "kind": alert.kind, "count": 1})  # fmt: skip
    return alert


def ack_all(session: Session, actor: Actor, project_id: int) -> int:
    """Acknowledge every open alert of the project; how many were open (one ``alert.ack`` event for them all)."""
    require(session, actor, project_id, Action.REVIEW)
    open_ = [Alert.project_id == project_id, Alert.acknowledged_at.is_(None)]
    res = session.execute(update(Alert).where(*open_).values(acknowledged_by=actor.user_id, acknowledged_at=utcnow()))
    count = int(res.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(session, actor, "alert.ack", "project", project_id, project_id=project_id,
                     detail={"count": count, "all": True})  # fmt: skip
    return count


def summary(session: Session, actor: Actor) -> list[ProjectAlerts]:
    """Open alert counts by project, by project name: for a member, every project where they are reviewer or
    above (0 where nothing is open); for an administrator, who reads every project's alerts, the projects with
    open alerts."""
    open_count = func.count(Alert.id)
    joined = Alert.project_id == Project.id
    if actor.is_admin:
        stmt = select(Project.id, Project.name, open_count).join(Alert, joined)
    elif actor.user_id is None:
        return []
    else:
        least = MINIMUM_ROLE[Action.REVIEW]
        roles = [r.value for r in Role if r.at_least(least)]
        readers = select(Membership.project_id).where(Membership.user_id == actor.user_id, Membership.role.in_(roles))
        stmt = select(Project.id, Project.name, open_count).outerjoin(Alert, joined & Alert.acknowledged_at.is_(None))
        stmt = stmt.where(Project.id.in_(readers))
    stmt = stmt.where(or_(Alert.id.is_(None), Alert.acknowledged_at.is_(None)))
    stmt = stmt.group_by(Project.id, Project.name).order_by(Project.name, Project.id)
    return [ProjectAlerts(pid, name, int(n)) for pid, name, n in session.execute(stmt)]


def usernames(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    """The names of these users (the deleted ones left out)."""
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.username).where(User.id.in_(ids)))}
