"""The team's workload: per member, what is assigned to them and still open, and what they labelled.

``open`` counts items assigned to the member and not labelled yet (status new or in progress); ``labelled``,
``reviewed`` and ``returned`` count items the member labelled (``annotator_id``) that wait for review, were
approved, or were rejected and sent back to them. ``unassigned_open`` is the pool nobody is assigned to yet.
All of it is one statement: two grouped counts over the project's items joined by UNION ALL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemStatus, Role
from labelhub.domain.permissions import Action, allows
from labelhub.services.access import Actor, require
from labelhub.services.assignment import OPEN, usernames
from labelhub.storage.models import Item, Membership, User

__all__ = ["MemberLoad", "Workload", "workload"]

_DONE = {ItemStatus.LABELED.value: "labelled", ItemStatus.REVIEWED.value: "reviewed",
         ItemStatus.REJECTED.value: "returned"}  # fmt: skip


@dataclass(slots=True)
class MemberLoad:
    user_id: int
    username: str
    role: Role | None  # None: no longer a member (their labels stay theirs)
    active: bool
    open: int = 0
    labelled: int = 0
    reviewed: int = 0
    returned: int = 0


@dataclass(frozen=True, slots=True)
class Workload:
    members: list[MemberLoad]  # by username; members who may label, and anyone else with counts
    unassigned_open: int


def workload(session: Session, actor: Actor, project_id: int) -> Workload:
    """Return the project's workload (manager role, ``Action.ASSIGN``)."""
    require(session, actor, project_id, Action.ASSIGN, doing="reading the team's workload")
    open_q = (
        select(Item.assignee_id.label("uid"), literal("open", String).label("kind"), func.count().label("n"))
        .where(Item.project_id == project_id, Item.status.in_(OPEN))
        .group_by(Item.assignee_id)
    )
    done_q = (
        select(Item.annotator_id, Item.status, func.count())
        .where(Item.project_id == project_id, Item.status.in_(list(_DONE)), Item.annotator_id.is_not(None))
        .group_by(Item.annotator_id, Item.status)
    )
    counts = [(r[0], str(r[1]), int(r[2])) for r in session.execute(union_all(open_q, done_q))]
    rows = session.execute(
        select(User.id, User.username, User.is_active, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project_id)
    ).all()
    by_id = {
        r.id: MemberLoad(r.id, r.username, Role(r.role), r.is_active)
        for r in rows
        if allows(Role(r.role), Action.ANNOTATE)
    }
    unassigned = 0
    others = [int(uid) for uid, _, _ in counts if uid is not None and uid not in by_id]
    if others:
        active = {r[0]: r[1] for r in session.execute(select(User.id, User.is_active).where(User.id.in_(others)))}
        names = usernames(session, others)
        for other in others:
            by_id.setdefault(
                other, MemberLoad(other, names.get(other, f"user #{other}"), None, bool(active.get(other)))
            )
    for uid, kind, n in counts:
        if uid is None:
            unassigned += int(n)
            continue
        load = by_id[int(uid)]
        field = "open" if kind == "open" else _DONE[kind]
        setattr(load, field, getattr(load, field) + int(n))
    members = sorted(by_id.values(), key=lambda m: (m.username.lower(), m.user_id))
    return Workload(members=members, unassigned_open=unassigned)
