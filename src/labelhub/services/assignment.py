"""Who labels what: a manager assigns items to members, splits them evenly, or takes assignments back.

An item's ``assignee_id`` says who should label it next. The labelling queue (:mod:`labelhub.services.queue`)
hands a member the items assigned to them first, then unassigned ones, and never another member's. Items are
picked by id (a grid selection) or by the item list's own filter (:class:`~labelhub.services.items.ItemFilter`,
"everything matching"), in one transaction with one ``item.assign`` audit event, written as ``UPDATE ... WHERE
id IN`` in chunks: an even split of 100k items among 5 members took 1.3 s on SQLite and 4-6 s on PostgreSQL,
about what one UPDATE of every row costs there. A member removed from the project, or made a viewer, loses their
assignments on items not labelled yet (:func:`clear_open_assignments`), as does a deactivated user in every project
(:func:`clear_user_assignments`); what they labelled keeps its history.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import BigInteger, Table, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from labelhub.domain.assignment import AssignMode, even_counts, split_runs
from labelhub.domain.enums import ItemStatus, Role
from labelhub.domain.permissions import Action, allows
from labelhub.errors import ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.items import ItemFilter, filtered_items, specs_for
from labelhub.storage.models import Item, Membership, Project, User

__all__ = [
    "MAX_IDS",
    "OPEN",
    "AssignMode",
    "AssignResult",
    "Selection",
    "assign_items",
    "clear_open_assignments",
    "clear_user_assignments",
    "parse_assignee",
    "usernames",
]

MAX_IDS = 10_000  # explicit ids per request, as for the other bulk changes; a filter has no limit
MAX_ASSIGNEES = 500
OPEN = (ItemStatus.NEW.value, ItemStatus.IN_PROGRESS.value)  # not labelled yet
_CHUNK = 5_000  # ids per UPDATE or SELECT: well under SQLite's and PostgreSQL's bound-parameter limits
_PG_CHUNK = 20_000  # ids per PostgreSQL UPDATE, bound as one array
_ITEMS = cast(Table, Item.__table__)
_ASSIGNEE = re.compile(r"[0-9]{1,9}")
_SHOWN_IDS = 100  # the audit event lists the item ids of a call this small


def parse_assignee(raw: str | None, actor: Actor) -> tuple[int | None, bool]:
    """Return the list filter's (assignee id, unassigned) for ``assignee=me|none|<user id>`` (None: no filter).

    ``me`` is the actor (the system actor, who has no id, matches nothing). Anything else is a ValidationError
    naming ``assignee``.
    """
    if raw is None or raw == "":
        return None, False
    if raw == "me":
        return actor.user_id or 0, False
    if raw == "none":
        return None, True
    if _ASSIGNEE.fullmatch(raw):
        return int(raw), False
    raise ValidationError(f"assignee must be me, none or a user id, not {raw[:40]!r}", field="assignee")


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which items a call changes: ``item_ids`` (every one the project's), or the items matching ``filter``.

    ``open_only`` keeps only items not labelled yet (status new or in progress), as the workload counts them.
    """

    item_ids: Sequence[int] | None = None
    filter: ItemFilter | None = None
    open_only: bool = False


@dataclass(frozen=True, slots=True)
class AssignResult:
    """What a call did: ``counts`` per assignee (user id -> items now theirs), or ``unassigned`` items."""

    items: int
    changed: int  # items whose assignee is another than before
    mode: str  # "one", "even" or "unassign"
    counts: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    unassigned: int = 0


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Return the usernames of ``user_ids`` (None left out), one query."""
    wanted = sorted({u for u in user_ids if u is not None})
    if not wanted:
        return {}
    return {r[0]: r[1] for r in session.execute(select(User.id, User.username).where(User.id.in_(wanted)))}


def _assignees(session: Session, project_id: int, user_ids: Sequence[int]) -> dict[int, str]:
    """Return user id -> username for the assignees, refusing (``user_ids``) any who may not label here."""
    wanted = list(dict.fromkeys(user_ids))
    if len(wanted) > MAX_ASSIGNEES:
        raise ValidationError(f"at most {MAX_ASSIGNEES} assignees at once, got {len(wanted)}", field="user_ids")
    rows = session.execute(
        select(User.id, User.username, User.is_active, Membership.role)
        .outerjoin(Membership, (Membership.user_id == User.id) & (Membership.project_id == project_id))
        .where(User.id.in_(wanted))
    ).all()
    found = {r.id: r for r in rows}
    problems: list[str] = []
    for uid in wanted:
        r = found.get(uid)
        if r is None:
            problems.append(f"there is no user {uid}")
        elif r.role is None:
            problems.append(f"{r.username} (user {uid}) is not a member of this project")
        elif not r.is_active:
            problems.append(f"{r.username} (user {uid}) is deactivated")
        elif not allows(Role(r.role), Action.ANNOTATE):
            problems.append(f"{r.username} (user {uid}) is a {r.role} and may not label")
    if problems:
        raise ValidationError(
            f"items can only be assigned to active members who may label (annotators and above): {'; '.join(problems)}",
            field="user_ids",
        )
    return {uid: found[uid].username for uid in wanted}


def _selected(session: Session, project: Project, sel: Selection) -> tuple[list[tuple[int, int | None, str]], str]:
    """Return the selected items' (id, assignee, status) in id order, and the request field that picked them."""
    project_id = project.id
    if (sel.item_ids is None) == (sel.filter is None):
        raise ValidationError("give either item_ids or filter (the item list's filters)", field="item_ids")
    cols = (Item.id, Item.assignee_id, Item.status)
    if sel.filter is not None:
        listed = filtered_items(project_id, sel.filter, specs_for(session, project, sel.filter))
        stmt = listed.with_only_columns(*cols, maintain_column_froms=True)
        if sel.open_only:
            stmt = stmt.where(Item.status.in_(OPEN))
        return [(r[0], r[1], r[2]) for r in session.execute(stmt)], "filter"
    wanted = sorted(set(sel.item_ids or ()))
    if not wanted:
        raise ValidationError("select at least one item", field="item_ids")
    if len(wanted) > MAX_IDS:
        raise ValidationError(
            f"at most {MAX_IDS:,} item ids at once, got {len(wanted):,}; assign by filter instead", field="item_ids"
        )
    rows: list[tuple[int, int | None, str]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        q = select(*cols).where(Item.project_id == project_id, Item.id.in_(chunk)).order_by(Item.id)
        rows += [(r[0], r[1], r[2]) for r in session.execute(q)]
    if len(rows) != len(wanted):
        missing = sorted(set(wanted) - {r[0] for r in rows})
        shown = ", ".join(map(str, missing[:10])) + (f" and {len(missing) - 10:,} more" if len(missing) > 10 else "")
        raise ValidationError(f"items {shown} are not in project {project_id}; nothing was assigned", field="item_ids")
    if sel.open_only:
        rows = [r for r in rows if r[2] in OPEN]
    return rows, "item_ids"


def _open_loads(session: Session, project_id: int, user_ids: Iterable[int]) -> dict[int, int]:
    """Each member's open load: items assigned to them and not labelled yet."""
    ids = list(user_ids)
    rows = session.execute(
        select(Item.assignee_id, func.count())
        .where(Item.project_id == project_id, Item.assignee_id.in_(ids), Item.status.in_(OPEN))
        .group_by(Item.assignee_id)
    )
    found = {int(r[0]): int(r[1]) for r in rows if r[0] is not None}
    return {uid: found.get(uid, 0) for uid in ids}


def _write(session: Session, project_id: int, ids: Sequence[int], assignee: int | None) -> None:
    """Set ``assignee`` on the items ``ids``: ``id IN`` chunks; on PostgreSQL ``id = ANY(array)`` chunks, one bound
    array each, which wrote 100k rows in about the time of one unconditional UPDATE, where 5,000-id IN lists took
    twice as long."""
    pg = session.get_bind().dialect.name == "postgresql"
    size = _PG_CHUNK if pg else _CHUNK
    for start in range(0, len(ids), size):
        chunk = list(ids[start : start + size])
        which = _ITEMS.c.id == any_(bindparam("ids", chunk, type_=ARRAY(BigInteger))) if pg else _ITEMS.c.id.in_(chunk)
        session.execute(update(_ITEMS).where(_ITEMS.c.project_id == project_id, which).values(assignee_id=assignee))


def assign_items(
    session: Session,
    actor: Actor,
    project_id: int,
    selection: Selection,
    user_ids: Sequence[int] | None,
    mode: AssignMode = AssignMode.ONE,
) -> AssignResult:
    """Assign the selected items to one member, split them evenly across several, or (no ``user_ids``) unassign.

    Needs the manager role (``Action.ASSIGN``). ``even`` levels the members' open loads (see
    :func:`labelhub.domain.assignment.even_counts`); items of the selection that are already one of theirs count
    as handed out again, not as load. Refuses (422): ``user_ids`` naming anyone not an active member who may label,
    ``mode=one`` with several members, a selection that is empty or holds another project's item. Records one
    ``item.assign`` audit event.
    """
    project = require(session, actor, project_id, Action.ASSIGN, doing="assigning items")
    members = _assignees(session, project_id, user_ids or [])
    if mode is AssignMode.ONE and len(members) > 1:
        raise ValidationError(
            f"mode one assigns to one member, got {len(members)}; use mode even to split the items among them",
            field="user_ids",
        )
    rows, picked_by = _selected(session, project, selection)
    if not rows:
        raise ValidationError(
            "no items match" + (" (none of them is still to label)" if selection.open_only else "")
            + "; nothing was assigned",
            field=picked_by,
        )  # fmt: skip
    ids = [r[0] for r in rows]
    if not members:
        _write(session, project_id, ids, None)
        changed = sum(1 for r in rows if r[1] is not None)
        result = AssignResult(len(ids), changed, "unassign", unassigned=len(ids))
    else:
        if len(members) == 1:
            runs = {next(iter(members)): ids}
        else:
            loads = _open_loads(session, project_id, members)
            mine = Counter(r[1] for r in rows if r[1] in members and r[2] in OPEN)
            level = {uid: loads[uid] - mine.get(uid, 0) for uid in members}
            runs = split_runs(ids, even_counts(level, len(ids)))
        new_of = {iid: uid for uid, run in runs.items() for iid in run}
        for uid, run in runs.items():
            _write(session, project_id, run, uid)
        changed = sum(1 for r in rows if r[1] != new_of[r[0]])
        counts = {uid: len(run) for uid, run in runs.items()}
        result = AssignResult(len(ids), changed, mode.value, counts=counts, names=members)
    detail: dict[str, Any] = {
        "count": result.items,
        "changed": result.changed,
        "mode": result.mode,
        "by": picked_by,
        "assignees": [{"id": uid, "name": members[uid], "count": n} for uid, n in result.counts.items()],
    }
    if len(ids) <= _SHOWN_IDS:
        detail["item_ids"] = ids
    audit.record(session, actor, "item.assign", "project", project_id, project_id=project_id, detail=detail)
    return result


def clear_open_assignments(session: Session, project_id: int, user_id: int) -> int:
    """Take the member's assignments off the project's items not labelled yet; return how many.

    Called when a member leaves the project or is made a viewer, in that change's transaction. Items they
    labelled keep their assignee (their history); the open ones go back to the unassigned pool.
    """
    res = session.execute(
        update(_ITEMS)
        .where(_ITEMS.c.project_id == project_id, _ITEMS.c.assignee_id == user_id, _ITEMS.c.status.in_(OPEN))
        .values(assignee_id=None)
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def clear_user_assignments(session: Session, actor: Actor, user_id: int, username: str) -> int:
    """Take a deactivated user's assignments off every item not labelled yet; return how many, in all projects.

    Called by :func:`labelhub.services.users.update_user` in the deactivation's transaction. Each project that
    had some gets an ``item.assign`` event (``mode`` unassign, ``by`` deactivation), so its activity log, live
    grids, workload and webhooks learn of it; items the user labelled keep their assignee.
    """
    projects = session.scalars(
        select(_ITEMS.c.project_id)
        .where(_ITEMS.c.assignee_id == user_id, _ITEMS.c.status.in_(OPEN))
        .distinct()
        .order_by(_ITEMS.c.project_id)
    ).all()
    total = 0
    for project_id in projects:
        cleared = clear_open_assignments(session, int(project_id), user_id)
        total += cleared
        detail = {"count": cleared, "changed": cleared, "mode": "unassign", "by": "deactivation",
                  "assignees": [], "user": {"id": user_id, "name": username}}  # fmt: skip
        audit.record(session, actor, "item.assign", "project", project_id, project_id=project_id, detail=detail)
    return total
