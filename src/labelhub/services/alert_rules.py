"""A project's alert rules: list, create, change and delete them (managers and owners).

A rule names a kind (:mod:`labelhub.domain.alert_kinds`) and its parameters; the alert evaluator
(:mod:`labelhub.services.alert_evaluator`) applies the project's active rules to every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.alert_kinds import validate_params
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.storage.team_models import AlertRule

__all__ = ["create_rule", "delete_rule", "get_rule", "list_rules", "update_rule"]


def list_rules(session: Session, actor: Actor, project_id: int) -> list[AlertRule]:
    """The project's rules, oldest first."""
    require(session, actor, project_id, Action.EDIT_PROJECT)
    return list(session.scalars(select(AlertRule).where(AlertRule.project_id == project_id).order_by(AlertRule.id)))


def get_rule(session: Session, actor: Actor, project_id: int, rule_id: int) -> AlertRule:
    """One of the project's rules; another project's rule id is a 404."""
    require(session, actor, project_id, Action.EDIT_PROJECT)
    return _rule_in(session, project_id, rule_id)


def create_rule(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    kind: str,
    params: Mapping[str, Any] | None = None,
    active: bool = True,
) -> AlertRule:
    """Add a rule; parameters left out take their defaults. ValidationError names ``kind`` or ``params.<name>``."""
    require(session, actor, project_id, Action.EDIT_PROJECT)
    full = validate_params(kind, params)
    rule = AlertRule(project_id=project_id, kind=kind, params=full, active=active, created_by=actor.user_id)
    session.add(rule)
    session.flush()
    audit.record(session, actor, "alert_rule.create", "alert_rule", rule.id, project_id=project_id,
                 detail={"kind": kind, "params": full, "active": active})  # fmt: skip
    return rule


def update_rule(
    session: Session,
    actor: Actor,
    project_id: int,
    rule_id: int,
    *,
    version: int,
    params: Mapping[str, Any] | None = None,
    active: bool | None = None,
) -> AlertRule:
    """Change a rule's parameters (those given; the others keep their values) or switch it on or off.

    ``version`` is the rule's version the editor saw: a rule changed since is refused with ConflictError (409).
    """
    rule = get_rule(session, actor, project_id, rule_id)
    values: dict[str, Any] = {}
    if params is not None:
        values["params"] = validate_params(rule.kind, {**rule.params, **params})
    if active is not None:
        values["active"] = active
    res = session.execute(
        update(AlertRule)
        .where(AlertRule.id == rule.id, AlertRule.version == version)
        .values(version=AlertRule.version + 1, **values)
    )
    session.refresh(rule)
    if res.rowcount == 0:  # type: ignore[attr-defined]
        raise ConflictError(
            f"alert rule {rule_id} was changed since you loaded it (version {version}, now {rule.version}); "
            "reload it and make your change again",
            field="version",
            current_version=rule.version,
        )
    audit.record(session, actor, "alert_rule.update", "alert_rule", rule.id, project_id=project_id,
                 detail={"kind": rule.kind, **values})  # fmt: skip
    return rule


def delete_rule(session: Session, actor: Actor, project_id: int, rule_id: int) -> None:
    """Remove a rule; the alerts it raised stay (without their rule)."""
    rule = get_rule(session, actor, project_id, rule_id)
    session.delete(rule)
    session.flush()
    audit.record(session, actor, "alert_rule.delete", "alert_rule", rule_id, project_id=project_id,
                 detail={"kind": rule.kind})  # fmt: skip


def _rule_in(session: Session, project_id: int, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.project_id != project_id:
        raise NotFoundError(f"alert rule {rule_id} not found in project {project_id}", field="rule_id")
    return rule
