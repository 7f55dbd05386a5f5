"""Deactivating a user gives back what they had not labelled yet, in every project, in the same transaction; what
they labelled keeps its assignee; the audit log says how many (on SQLite and PostgreSQL, the ``hub`` fixture)."""

from __future__ import annotations

from sqlalchemy import select, update
from tests.builders import new_project

from labelhub.domain.assignment import AssignMode
from labelhub.domain.enums import Role
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.assignment import Selection, assign_items
from labelhub.services.projects import set_member
from labelhub.services.users import update_user
from labelhub.storage.models import AuditEvent, Item, User

SYSTEM = Actor.system()


def test_deactivating_a_user_clears_their_open_assignments_in_every_project(hub: Hub) -> None:
    pids = [new_project(hub, "deact-a"), new_project(hub, "deact-b")]
    with hub.db.session(write=True) as s:
        leaving, staying = User(username="leaving", password_hash="!"), User(username="staying", password_hash="!")
        s.add_all([leaving, staying])
        s.flush()
        for pid in pids:
            set_member(s, SYSTEM, pid, leaving.id, Role.ANNOTATOR)
            set_member(s, SYSTEM, pid, staying.id, Role.ANNOTATOR)
        rows = {pid: [Item(project_id=pid, kind="image", name=f"d{n}.jpg") for n in range(4)] for pid in pids}
        s.add_all([it for r in rows.values() for it in r])
        s.flush()
        ids = {pid: [it.id for it in r] for pid, r in rows.items()}
        uid, other = leaving.id, staying.id
    with hub.db.session(write=True) as s:
        for pid in pids:  # three items each to the one leaving, the fourth to someone staying
            assign_items(s, SYSTEM, pid, Selection(item_ids=ids[pid][:3]), [uid], AssignMode.ONE)
            assign_items(s, SYSTEM, pid, Selection(item_ids=ids[pid][3:]), [other], AssignMode.ONE)
        # In the first project they labelled one item already: it keeps its history.
        s.execute(update(Item).where(Item.id == ids[pids[0]][0]).values(status="labeled", annotator_id=uid))
    with hub.db.session(write=True) as s:
        update_user(s, SYSTEM, uid, is_active=False)
    with hub.db.session() as s:
        got = {i: a for i, a in s.execute(select(Item.id, Item.assignee_id).where(Item.project_id.in_(pids)))}
        user_event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
        per_project = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "item.assign",
                                                              AuditEvent.detail["by"].as_string() == "deactivation")
                                     .order_by(AuditEvent.project_id)))  # fmt: skip
    a, b = ids[pids[0]], ids[pids[1]]
    assert [got[i] for i in a] == [uid, None, None, other]
    assert [got[i] for i in b] == [None, None, None, other]
    assert user_event.detail["changed"] == ["is_active"] and user_event.detail["unassigned"] == 5
    assert [(e.project_id, e.detail["count"], e.detail["mode"], e.detail["user"]["name"]) for e in per_project] == [
        (pids[0], 2, "unassign", "leaving"),
        (pids[1], 3, "unassign", "leaving"),
    ]


def test_deactivating_someone_with_nothing_assigned_records_no_unassignment(hub: Hub) -> None:
    with hub.db.session(write=True) as s:
        user = User(username="idle", password_hash="!")
        s.add(user)
        s.flush()
        update_user(s, SYSTEM, user.id, is_active=False)
    with hub.db.session() as s:
        detail = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "user.update")).one()
        assert "unassigned" not in detail
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "item.assign")) is None
