"""The checks behind each alert rule kind: given a rule and an audit event (or, for the backlog, the project as
it stands), the alert to raise, or None. They only read; :func:`labelhub.services.alerts.raise_alert` writes.

Hand-written: each check is one or two indexed queries over labelhub's own tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.domain.alert_kinds import AlertKind, rule_kind
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemStatus, JobStatus, Source
from labelhub.services.alerts import AlertDraft, usernames
from labelhub.services.event_feed import FeedEvent
from labelhub.storage.models import Annotation, AuditEvent, Item
from labelhub.storage.team_models import AlertRule

__all__ = ["EVENT_CHECKS", "backlog_draft", "check_event"]

EventCheck = Callable[[Session, AlertRule, FeedEvent], AlertDraft | None]


def _draft(rule: AlertRule, title: str, **kw: Any) -> AlertDraft:
    return AlertDraft(kind=rule.kind, severity=rule_kind(rule.kind).severity.value, title=title, **kw)


def _item_id(event: FeedEvent) -> int | None:
    oid = event.object_id
    return int(oid) if event.object_type == "item" and oid is not None and oid.isdigit() else None


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "someone"
    return usernames(session, {user_id}).get(user_id, f"user {user_id}")


def rejection_rate(session: Session, rule: AlertRule, event: FeedEvent) -> AlertDraft | None:
    """On a rejection: the share of rejected items among the annotator's last ``window`` reviewed items (those
    reviewed or rejected now, by their latest review) reaches ``threshold`` with at least ``min_reviews`` of them."""
    item_id = _item_id(event)
    if event.action != "item.reject" or item_id is None or event.project_id is None:
        return None
    annotator = session.scalar(select(Item.annotator_id).where(Item.id == item_id))
    if annotator is None:
        return None
    window, threshold, least = int(rule.params["window"]), float(rule.params["threshold"]), rule.params["min_reviews"]
    statuses = session.scalars(
        select(Item.status)
        .where(
            Item.project_id == event.project_id,
            Item.annotator_id == annotator,
            Item.status.in_([ItemStatus.REVIEWED.value, ItemStatus.REJECTED.value]),
            Item.reviewed_at.is_not(None),
        )
        .order_by(Item.reviewed_at.desc(), Item.id.desc())
        .limit(window)
    ).all()
    reviewed = len(statuses)
    rejected = sum(s == ItemStatus.REJECTED.value for s in statuses)
    if reviewed < least or rejected / reviewed < threshold:
        return None
    who = _name(session, annotator)
    return _draft(
        rule,
        f"{who}'s work is rejected often: {rejected} of their last {reviewed} reviewed items "
        f"({rejected / reviewed:.0%}, the rule's limit is {threshold:.0%})",
        detail={"rejected": rejected, "reviewed": reviewed, "rate": rejected / reviewed, "username": who},
        object_type="user",
        object_id=str(annotator),
        subject_user_id=annotator,
        event_id=event.id,
    )


def rejected_again(session: Session, rule: AlertRule, event: FeedEvent) -> AlertDraft | None:
    """On a rejection: the item has been rejected ``count`` times or more (counted in the audit log up to this
    event)."""
    item_id = _item_id(event)
    if event.action != "item.reject" or item_id is None:
        return None
    times = int(
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.project_id == event.project_id,
                AuditEvent.action == "item.reject",
                AuditEvent.object_type == "item",
                AuditEvent.object_id == str(item_id),
                AuditEvent.id <= event.id,
            )
        )
        or 0
    )
    if times < int(rule.params["count"]):
        return None
    row = session.execute(select(Item.name, Item.annotator_id).where(Item.id == item_id)).first()
    name = row.name if row is not None else f"item {item_id}"
    return _draft(
        rule,
        f"{name} was rejected {times} times",
        detail={"rejections": times, "item_name": name, "comment": event.detail.get("comment")},
        object_type="item",
        object_id=str(item_id),
        subject_user_id=row.annotator_id if row is not None else None,
        event_id=event.id,
    )


def job_failed(session: Session, rule: AlertRule, event: FeedEvent) -> AlertDraft | None:
    """On ``job.finished`` with status failed."""
    if event.action != "job.finished" or event.detail.get("status") != JobStatus.FAILED.value:
        return None
    kind, error = str(event.detail.get("kind") or "job"), event.detail.get("error")
    title = f"{kind.replace('_', ' ').capitalize()} job {event.object_id} failed" + (f": {error}" if error else "")
    return _draft(
        rule,
        title,
        detail={"job_kind": kind, "error": error, "started_by": event.actor},
        object_type="job",
        object_id=event.object_id,
        subject_user_id=event.user_id,
        event_id=event.id,
    )


def model_disagreement(session: Session, rule: AlertRule, event: FeedEvent) -> AlertDraft | None:
    """On an approval: the item's accepted classes leave out a class a model proposed with a score of at least
    ``min_score``."""
    item_id = _item_id(event)
    if event.action != "item.approve" or item_id is None:
        return None
    rows = session.execute(
        select(Annotation.label, Annotation.source, Annotation.state, Annotation.score).where(
            Annotation.item_id == item_id, Annotation.kind == AnnotationKind.CLASS.value
        )
    ).all()
    accepted = {r.label for r in rows if r.state == AnnotationState.ACCEPTED.value and r.label is not None}
    min_score = float(rule.params["min_score"])
    confident = [
        r
        for r in rows
        if r.source == Source.MODEL.value and r.score is not None and r.score >= min_score and r.label not in accepted
    ]
    if not accepted or not confident:
        return None
    top = max(confident, key=lambda r: r.score)
    name = session.scalar(select(Item.name).where(Item.id == item_id)) or f"item {item_id}"
    reviewer = event.actor or _name(session, event.user_id)
    return _draft(
        rule,
        f"{reviewer} approved {name} as {', '.join(sorted(accepted))}; a model said {top.label} ({top.score:.0%})",
        detail={"accepted": sorted(accepted), "model_label": top.label, "model_score": top.score, "item_name": name},
        object_type="item",
        object_id=str(item_id),
        subject_user_id=event.user_id,
        event_id=event.id,
    )


EVENT_CHECKS: Mapping[str, EventCheck] = {
    AlertKind.REJECTION_RATE.value: rejection_rate,
    AlertKind.REJECTED_AGAIN.value: rejected_again,
    AlertKind.JOB_FAILED.value: job_failed,
    AlertKind.MODEL_DISAGREEMENT.value: model_disagreement,
}


def check_event(session: Session, rule: AlertRule, event: FeedEvent) -> AlertDraft | None:
    """The alert ``rule`` raises for ``event``, or None (also for the kinds not checked per event)."""
    check = EVENT_CHECKS.get(rule.kind)
    return None if check is None else check(session, rule, event)


def backlog_draft(session: Session, rule: AlertRule, event_id: int | None) -> AlertDraft | None:
    """The project's items waiting for review (status labeled) when they reach the rule's ``count``."""
    waiting = int(
        session.scalar(
            select(func.count(Item.id)).where(
                Item.project_id == rule.project_id, Item.status == ItemStatus.LABELED.value
            )
        )
        or 0
    )
    if waiting < int(rule.params["count"]):
        return None
    return _draft(
        rule,
        f"{waiting} items are waiting for review (the rule's limit is {int(rule.params['count'])})",
        detail={"waiting": waiting},
        object_type="project",
        object_id=str(rule.project_id),
        event_id=event_id,
    )
