"""Alerts: a project's alert rules (managers and owners), its alerts and their acknowledgement (reviewers and
above), the rule kinds, and the open counts behind the sidebar's bell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from labelhub.api.alert_schemas import (
    AckAllPublic,
    AlertKindPublic,
    AlertPagePublic,
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRuleUpdate,
    AlertSummaryPublic,
    ParamSpecPublic,
    ProjectAlertsPublic,
)
from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.live_stream import (
    STREAM_RESPONSES,
    AfterQuery,
    LastEventId,
    NamesQuery,
    stream_response,
    stream_secret,
)
from labelhub.domain.alert_kinds import KINDS
from labelhub.hub import Hub
from labelhub.services import alert_rules, alerts, live_events
from labelhub.services.alert_stream import AlertSource, open_alert_source
from labelhub.storage.team_models import Alert

router = APIRouter(tags=["alerts"])
RULES = "/projects/{project_id}/alert-rules"
ALERTS = "/projects/{project_id}/alerts"


@router.get("/alert-rule-kinds", response_model=list[AlertKindPublic])
def list_alert_rule_kinds(_actor: ActorDep) -> list[AlertKindPublic]:
    """The kinds of alert rule, with their parameters, defaults and bounds, in plain words."""
    return [
        AlertKindPublic(
            kind=k.kind.value,
            label=k.label,
            description=k.description,
            severity=k.severity.value,
            subject=k.subject,
            params=[
                ParamSpecPublic(
                    name=p.name,
                    type="int" if p.type is int else "float",
                    default=p.default,
                    minimum=p.minimum,
                    maximum=p.maximum,
                    description=p.description,
                )
                for p in k.params
            ],
        )
        for k in KINDS.values()
    ]


@router.get(RULES, response_model=list[AlertRulePublic])
def list_alert_rules(project_id: int, actor: ActorDep, hub: HubDep) -> list[AlertRulePublic]:
    with hub.db.session() as s:
        return [AlertRulePublic.model_validate(r) for r in alert_rules.list_rules(s, actor, project_id)]


@router.post(RULES, response_model=AlertRulePublic, status_code=201)
def create_alert_rule(project_id: int, body: AlertRuleCreate, actor: ActorDep, hub: HubDep) -> AlertRulePublic:
    """Add a rule; parameters left out take the kind's defaults (422 names a bad one, e.g. ``params.threshold``)."""
    with hub.db.session(write=True) as s:
        rule = alert_rules.create_rule(s, actor, project_id, kind=body.kind, params=body.params, active=body.active)
        return AlertRulePublic.model_validate(rule)


@router.patch(RULES + "/{rule_id}", response_model=AlertRulePublic)
def update_alert_rule(
    project_id: int, rule_id: int, body: AlertRuleUpdate, actor: ActorDep, hub: HubDep
) -> AlertRulePublic:
    """Change a rule's parameters or switch it on or off; a stale ``version`` gets 409."""
    with hub.db.session(write=True) as s:
        rule = alert_rules.update_rule(
            s, actor, project_id, rule_id, version=body.version, params=body.params, active=body.active
        )
        return AlertRulePublic.model_validate(rule)


@router.delete(RULES + "/{rule_id}", status_code=204)
def delete_alert_rule(project_id: int, rule_id: int, actor: ActorDep, hub: HubDep) -> Response:
    """Remove a rule; the alerts it raised stay."""
    with hub.db.session(write=True) as s:
        alert_rules.delete_rule(s, actor, project_id, rule_id)
    return Response(status_code=204)


@router.get(ALERTS, response_model=AlertPagePublic)
def list_alerts(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    open: Annotated[bool, Query(description="Only the alerts nobody has acknowledged yet")] = False,
    after: Annotated[int | None, Query(description="Alerts older than this alert id (the previous next_after)")] = None,
    limit: Annotated[int, Query(ge=1, le=alerts.MAX_PAGE)] = 50,
) -> AlertPagePublic:
    """The project's alerts, newest first (reviewers and above)."""
    with hub.db.session() as s:
        page = alerts.list_alerts(s, actor, project_id, open_only=open, after=after, limit=limit)
        return AlertPagePublic(alerts=_public(s, page.alerts), next_after=page.next_after, open_count=page.open_count)


@router.post(ALERTS + "/ack-all", response_model=AckAllPublic)
def ack_all_alerts(project_id: int, actor: ActorDep, hub: HubDep) -> AckAllPublic:
    """Acknowledge every open alert of the project."""
    with hub.db.session(write=True) as s:
        return AckAllPublic(acknowledged=alerts.ack_all(s, actor, project_id))


@router.post(ALERTS + "/{alert_id}/ack", response_model=AlertPublic)
def ack_alert(project_id: int, alert_id: int, actor: ActorDep, hub: HubDep) -> AlertPublic:
    """Acknowledge one alert (one acknowledged already is returned unchanged)."""
    with hub.db.session(write=True) as s:
        return _public(s, [alerts.ack(s, actor, project_id, alert_id)])[0]


@router.get("/alerts/summary", response_model=AlertSummaryPublic)
def alert_summary(actor: ActorDep, hub: HubDep) -> AlertSummaryPublic:
    """Open alert counts of the projects where you are reviewer or above (administrators: those with open alerts)."""
    with hub.db.session() as s:
        rows = alerts.summary(s, actor)
    projects = [ProjectAlertsPublic(project_id=r.project_id, project_name=r.project_name, open=r.open) for r in rows]
    return AlertSummaryPublic(total=sum(p.open for p in projects), projects=projects)


@router.get(
    "/alerts/events",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Your projects' alerts as they are raised"},
        **STREAM_RESPONSES,
    },
)
async def stream_alert_events(
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    after: AfterQuery = None,
    names: NamesQuery = True,
    last_event_id: LastEventId = None,
) -> StreamingResponse | JSONResponse:
    """``alert.raised`` and ``alert.ack`` of every project where you are reviewer or above (administrators: every
    project) from now on (or after ``Last-Event-ID`` / ``after``), as ``text/event-stream``: one stream for the
    bell, counted as one of your live streams. Messages as on the project stream, with the whole ``detail``; a
    project you leave (or where you become a viewer) sends nothing more."""
    secret = stream_secret(request)
    source, cursor = await run_in_threadpool(_open_alerts, hub, secret, last_event_id if last_event_id is not None
                                             else after)  # fmt: skip
    return stream_response(request, actor.user_id, source, cursor, named=names)


def _open_alerts(hub: Hub, secret: str, after: int | None) -> tuple[AlertSource, int]:
    with hub.db.session() as s:
        return open_alert_source(s, hub, secret), live_events.start_cursor(s, after)


def _public(s: Session, rows: Sequence[Alert]) -> list[AlertPublic]:
    names = alerts.usernames(s, {u for a in rows for u in (a.subject_user_id, a.acknowledged_by)})
    out = []
    for a in rows:
        item = AlertPublic.model_validate(a)
        item.subject_username = names.get(a.subject_user_id) if a.subject_user_id is not None else None
        item.acknowledged_by_username = names.get(a.acknowledged_by) if a.acknowledged_by is not None else None
        out.append(item)
    return out
