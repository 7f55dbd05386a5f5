"""The audit log: a project's events (managers and owners) and the whole log (administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from labelhub.api.audit_schemas import AuditEventPublic, AuditPagePublic
from labelhub.api.deps import ActorDep, AdminDep, HubDep
from labelhub.services import audit_log
from labelhub.services.audit_log import AuditFilter, AuditPage

router = APIRouter(tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=audit_log.MAX_LIMIT)]
After = Annotated[int | None, Query(description="Events older than this event id (the previous page's next_after)")]


def _filters(
    action: Annotated[
        str | None, Query(max_length=64, description="An exact action (item.approve) or a prefix ending in a dot")
    ] = None,
    user: Annotated[int | None, Query(description="Events of this user id")] = None,
    object_type: Annotated[str | None, Query(max_length=32, description="item, project, membership, job...")] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 time, included; without a zone: UTC")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601 time, included; without a zone: UTC")] = None,
) -> AuditFilter:
    return AuditFilter(action, user, object_type, object_id, since, until)


Filters = Annotated[AuditFilter, Depends(_filters)]


def _page(page: AuditPage) -> AuditPagePublic:
    return AuditPagePublic(events=[AuditEventPublic.model_validate(e) for e in page.events], next_after=page.next_after)


@router.get("/projects/{project_id}/audit", response_model=AuditPagePublic)
def list_project_audit(
    project_id: int, actor: ActorDep, hub: HubDep, filters: Filters, after: After = None, limit: Limit = 100
) -> AuditPagePublic:
    """The project's audit events, newest first (the project's managers and owners, and administrators)."""
    with hub.db.session() as s:
        return _page(audit_log.list_events(s, actor, project_id=project_id, filters=filters, after=after, limit=limit))


@router.get("/audit", response_model=AuditPagePublic)
def list_audit(
    actor: AdminDep,
    hub: HubDep,
    filters: Filters,
    project_id: Annotated[int | None, Query(description="Only this project's events (also a deleted one)")] = None,
    after: After = None,
    limit: Limit = 100,
) -> AuditPagePublic:
    """Every audit event, logins, users and tokens included, newest first (administrators)."""
    with hub.db.session() as s:
        page = audit_log.list_events(
            s, actor, project_id=project_id, whole_log=True, filters=filters, after=after, limit=limit
        )
        return _page(page)
