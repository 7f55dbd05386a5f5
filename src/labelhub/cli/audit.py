"""``labelhub audit [PROJECT]``: who changed what, newest first (the audit log)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from labelhub.cli._common import AsUser, acting_as, console, opened_hub
from labelhub.services import audit_log
from labelhub.services.audit_log import AuditEntry, AuditFilter
from labelhub.services.projects import get_project_by_name
from labelhub.services.users import get_user_by_name


def audit(
    project: Annotated[
        str | None, typer.Argument(help="Project name or id; without it the whole log (administrators)")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="An action (item.approve), or a prefix ending in a dot (annotations.)")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's events (a username)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=audit_log.MAX_LIMIT, help="How many events")] = 20,
    as_user: AsUser = None,
) -> None:
    """List audit events newest first: when, who, what, which object, and what changed."""
    with opened_hub() as hub, hub.db.session() as s:
        actor = acting_as(hub, as_user)
        pid = get_project_by_name(s, actor, project).id if project is not None else None
        filters = AuditFilter(action=action, user_id=get_user_by_name(s, user).id if user else None)
        page = audit_log.list_events(s, actor, project_id=pid, whole_log=pid is None, filters=filters, limit=limit)
    if not page.events:
        console.print("no audit events match")
        return
    table = Table("id", "when (UTC)", "who", "action", "object", "detail")
    if pid is None:
        table.add_column("project")
    for e in page.events:
        row = [str(e.id), f"{e.at:%Y-%m-%d %H:%M:%S}", _who(e), e.action, _object(e), escape(summary(e.detail))]
        table.add_row(*row, *([] if pid is not None else [str(e.project_id or "-")]))
    console.print(table)
    if page.next_after is not None:
        console.print(f"older events exist: raise --limit (at most {audit_log.MAX_LIMIT}) to see more")


def _who(e: AuditEntry) -> str:
    if e.username is not None:
        return e.username
    then = e.detail.get("actor")
    return "system" if then in (None, "system") else f"{then} (deleted)"


def _object(e: AuditEntry) -> str:
    return e.object_type if e.object_id is None else f"{e.object_type} {e.object_id}"


# The keys said first, in this order; the others follow by name (PostgreSQL's JSONB keeps no key order).
_FIRST = ("added", "updated", "deleted", "status", "username", "role", "name", "kind", "format")


def summary(detail: dict[str, Any]) -> str:
    """``added=1 updated=0 deleted=0 status=labeled->reviewed``: the detail without the actor's name, one line."""
    parts = []
    for key in sorted(detail, key=lambda k: (_FIRST.index(k) if k in _FIRST else len(_FIRST), k)):
        value = detail[key]
        if key == "actor":
            continue
        if key == "status" and isinstance(value, list) and len(value) == 2:
            value = f"{value[0]}->{value[1]}"
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value) or "-"
        elif isinstance(value, dict):
            value = ",".join(f"{k}:{v}" for k, v in value.items()) or "-"
        parts.append(f"{key}={value}")
    return " ".join(parts)
