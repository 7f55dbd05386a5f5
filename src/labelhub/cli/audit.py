"""``labelhub audit [PROJECT]``: who changed what, newest first (the audit log)."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from labelhub.cli._common import AsUser, acting_as, console, opened_hub
from labelhub.services import audit_log
from labelhub.services.audit_log import AuditEntry, AuditFilter
from labelhub.services.projects import get_project_by_name
from labelhub.services.users import get_user_by_name

#: The actor name the login routes audit under (``api/routes/auth.py``), and how the log shows it.
ANONYMOUS = "anonymous"
NOT_LOGGED_IN = "(not logged in)"


def _before(value: str | None) -> str | None:
    """Return ``--before`` as given once it reads as an event id or an ISO 8601 time; else a usage error."""
    if value is not None:
        _cursor(value)
    return value


def _cursor(value: str) -> int | datetime:
    """An event id (a whole number) or a time (ISO 8601; without a zone, UTC) that ``--before`` names."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither an event id (a number) nor a time such as 2026-05-01 or 2026-05-01T14:30"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def audit(
    project: Annotated[
        str | None, typer.Argument(help="Project name or id; without it the whole log (administrators)")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="An action (item.approve), or a prefix ending in a dot (annotations.)")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's events (a username)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=audit_log.MAX_LIMIT, help="How many events")] = 20,
    before: Annotated[
        str | None,
        typer.Option(
            help="Only events older than this event id, or than this time (ISO 8601, UTC without a zone):"
            " the next page",
            callback=_before,
        ),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """List audit events newest first: when, who, what, which object, and what changed."""
    cursor = _cursor(before) if before is not None else None
    after = cursor if isinstance(cursor, int) else None
    # AuditFilter.until includes its time; "before" does not.
    until = cursor - timedelta(microseconds=1) if isinstance(cursor, datetime) else None
    with opened_hub() as hub, hub.db.session() as s:
        actor = acting_as(hub, as_user)
        pid = get_project_by_name(s, actor, project).id if project is not None else None
        filters = AuditFilter(action=action, user_id=get_user_by_name(s, user).id if user else None, until=until)
        page = audit_log.list_events(
            s, actor, project_id=pid, whole_log=pid is None, filters=filters, after=after, limit=limit
        )
    if not page.events:
        console.print("no older audit events match" if before is not None else "no audit events match")
        return
    table = Table("id", "when (UTC)", "who", "action", "object", "detail")
    if pid is None:
        table.add_column("project")
    for e in page.events:
        row = [str(e.id), f"{e.at:%Y-%m-%d %H:%M:%S}", _who(e), e.action, _object(e), escape(summary(e.detail))]
        table.add_row(*row, *([] if pid is not None else [str(e.project_id or "-")]))
    console.print(table)
    if page.next_after is not None:
        # The same command before the oldest event shown, on one line (soft_wrap) to be pasted whole.
        words = ["labelhub", "audit", *([project] if project is not None else [])]
        for option, value in (("--action", action), ("--user", user), ("--limit", str(limit)), ("--as", as_user)):
            words += [option, value] if value else []
        words += ["--before", str(page.next_after)]
        console.print(f"older events exist; the next page: {escape(shlex.join(words))}", soft_wrap=True)


def _who(e: AuditEntry) -> str:
    """The actor's name; "system", "(not logged in)" for a refused login, or the old name of a deleted user."""
    if e.username is not None:
        return e.username
    then = e.detail.get("actor")
    if then in (None, "system"):
        return "system"
    # The login routes audit as Actor(None, "anonymous"): nobody was logged in, no user was deleted.
    if then == ANONYMOUS and e.action.startswith("auth."):
        return NOT_LOGGED_IN
    return f"{then} (deleted)"


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
