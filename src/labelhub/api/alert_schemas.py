"""Request and response bodies of the alert routes (see docs/api.md, "Alerts")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelhub.api.strict import StrictIn

Kind = Literal["rejection_rate", "rejected_again", "job_failed", "review_backlog", "model_disagreement"]


class ParamSpecPublic(BaseModel):
    """One parameter of a rule kind."""

    name: str
    type: Literal["int", "float"]
    default: int | float
    minimum: int | float
    maximum: int | float
    description: str


class AlertKindPublic(BaseModel):
    """A kind of alert rule: what it watches, who or what its alerts are about, and its parameters."""

    kind: Kind
    label: str
    description: str
    severity: Literal["info", "warning", "critical"]
    subject: Literal["annotator", "item", "job", "project"]
    params: list[ParamSpecPublic]


class AlertRuleCreate(StrictIn):
    kind: str = Field(description="One of the kinds GET /alert-rule-kinds lists")
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's parameters; left out: defaults")
    active: bool = True


class AlertRuleUpdate(StrictIn):
    echoed = frozenset({"id", "project_id", "kind", "created_by", "created_at"})

    version: int = Field(description="The rule's version you read; a stale one gets 409")
    params: dict[str, Any] | None = Field(default=None, description="Parameters to change; the others stay")
    active: bool | None = None


class AlertRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    kind: str
    params: dict[str, int | float] = Field(description="Every parameter of the kind, defaults filled in")
    active: bool
    version: int
    created_by: int | None
    created_at: datetime


class AlertPublic(BaseModel):
    """One alert: what a rule saw, about whom or what, and who acknowledged it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    rule_id: int | None = Field(description="The rule that raised it; null once the rule is deleted")
    kind: str
    severity: Literal["info", "warning", "critical"]
    title: str
    detail: dict[str, Any]
    object_type: str | None = Field(description="user, item, job or project: what the alert is about")
    object_id: str | None
    subject_user_id: int | None = Field(description="The person it is about (an annotator, a job's creator)")
    subject_username: str | None = None
    event_id: int | None = Field(description="The audit event that set it off")
    created_at: datetime
    acknowledged_by: int | None
    acknowledged_by_username: str | None = None
    acknowledged_at: datetime | None


class AlertPagePublic(BaseModel):
    """A page of a project's alerts, newest first."""

    alerts: list[AlertPublic]
    next_after: int | None = Field(description="Pass as ?after= for the next (older) page; null on the last page")
    open_count: int = Field(description="The project's alerts not yet acknowledged, in all")


class AckAllPublic(BaseModel):
    acknowledged: int = Field(description="How many open alerts were acknowledged")


class ProjectAlertsPublic(BaseModel):
    project_id: int
    project_name: str
    open: int = Field(description="Alerts not yet acknowledged")


class AlertSummaryPublic(BaseModel):
    """Open alerts of the projects whose alerts the user reads, for the sidebar's bell."""

    total: int
    projects: list[ProjectAlertsPublic] = Field(
        description="By name: a member's projects where they are reviewer or above (open 0 too); for an "
        "administrator, who reads every project's alerts, the projects with open alerts"
    )
