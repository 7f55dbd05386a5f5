"""Reading the audit log: newest first in keyset pages, filters, user names, and who may read what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from tests.builders import new_project

from labelhub.domain.enums import Role
from labelhub.errors import NotFoundError, PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.audit_log import AuditEntry, AuditFilter, AuditPage, list_events
from labelhub.services.projects import delete_project, set_member, update_project
from labelhub.services.users import create_user
from labelhub.storage.models import AuditEvent, User

SYSTEM = Actor.system()


@dataclass
class World:
    pid: int
    other: int
    actors: dict[str, Actor]


@pytest.fixture
def world(hub: Hub) -> World:
    """Project ``p`` with a member of each role, another project ``q``, and an administrator and an outsider."""
    pid, other = new_project(hub, "p"), new_project(hub, "q")
    actors: dict[str, Actor] = {}
    with hub.db.session(write=True) as s:
        for name in ("viewer", "annotator", "reviewer", "manager", "owner", "outsider", "admin"):
            user = User(username=name, password_hash="!", is_admin=name == "admin", is_active=True)
            s.add(user)
            s.flush()
            actors[name] = Actor(user.id, name, name == "admin")
            if name not in ("outsider", "admin"):
                set_member(s, SYSTEM, pid, user.id, Role(name))
    return World(pid, other, actors)


def _read(hub: Hub, actor: Actor, **kwargs: object) -> AuditPage:
    with hub.db.session() as s:
        return list_events(s, actor, **kwargs)  # type: ignore[arg-type]


def _actions(events: list[AuditEntry]) -> list[str]:
    return [e.action for e in events]


def test_pages_go_newest_first_and_hold_only_the_project_s_events(hub: Hub, world: World) -> None:
    ann = world.actors["annotator"]
    with hub.db.session(write=True) as s:
        for n in range(7):
            audit.record(s, ann, "annotations.replace", "item", 100 + n, project_id=world.pid, detail={"added": n})
        audit.record(s, ann, "annotations.replace", "item", 999, project_id=world.other)
        audit.record(s, ann, "auth.login", "user", ann.user_id)
    manager = world.actors["manager"]

    everything = _read(hub, manager, project_id=world.pid, limit=500)
    assert everything.next_after is None
    ids = [e.id for e in everything.events]
    assert ids == sorted(ids, reverse=True)
    # The member set-up (5 member.set and the project's creation) and the 7 saves; not q's save, not the login.
    assert len(ids) == 13
    assert [e.object_id for e in everything.events[:7]] == [str(106 - n) for n in range(7)]
    assert everything.events[-1].action == "project.create"
    assert all(e.project_id == world.pid for e in everything.events)

    seen: list[int] = []
    after = None
    while True:
        page = _read(hub, manager, project_id=world.pid, after=after, limit=5)
        seen += [e.id for e in page.events]
        assert len(page.events) <= 5
        if page.next_after is None:
            break
        assert page.next_after == page.events[-1].id
        after = page.next_after
    assert seen == ids

    first = everything.events[0]
    assert (first.username, first.user_id, first.object_type, first.detail) == (
        "annotator", ann.user_id, "item", {"actor": "annotator", "added": 6})  # fmt: skip


def test_filters_by_action_user_object_and_time(hub: Hub, world: World) -> None:
    ann, rev = world.actors["annotator"], world.actors["reviewer"]
    with hub.db.session(write=True) as s:
        audit.record(s, ann, "annotations.replace", "item", 7, project_id=world.pid)
        audit.record(s, rev, "item.approve", "item", 7, project_id=world.pid)
        audit.record(s, rev, "item.reject", "item", 8, project_id=world.pid, detail={"comment": "too loose"})
        audit.record(s, ann, "track.create", "item", 9, project_id=world.pid)
        audit.record(s, ann, "annotationsXreplace", "item", 9, project_id=world.pid)  # a prefix is not a pattern
    manager = world.actors["manager"]

    def actions(**f: object) -> list[str]:
        return _actions(_read(hub, manager, project_id=world.pid, filters=AuditFilter(**f)).events)  # type: ignore[arg-type]

    assert actions(action="item.approve") == ["item.approve"]
    assert actions(action="item.") == ["item.reject", "item.approve"]
    assert actions(action="annotations.") == ["annotations.replace"]
    assert actions(action="item") == []  # without the dot: an exact action, and there is none called "item"
    assert actions(user_id=rev.user_id) == ["item.reject", "item.approve"]
    assert actions(user_id=rev.user_id, action="item.approve") == ["item.approve"]
    assert actions(object_type="item", object_id="7") == ["item.approve", "annotations.replace"]
    assert actions(object_type="membership", object_id=str(ann.user_id)) == ["member.set"]

    # Move the events to known times: the approve a day ago, the reject an hour ago, the rest now.
    now = datetime.now(UTC)
    with hub.db.session(write=True) as s:
        s.execute(update(AuditEvent).where(AuditEvent.action == "item.approve").values(at=now - timedelta(days=1)))
        s.execute(update(AuditEvent).where(AuditEvent.action == "item.reject").values(at=now - timedelta(hours=1)))
    day_ago = now - timedelta(days=1)
    assert actions(action="item.", since=now - timedelta(hours=2)) == ["item.reject"]
    assert actions(action="item.", until=now - timedelta(hours=2)) == ["item.approve"]
    assert actions(action="item.", since=day_ago, until=day_ago) == ["item.approve"]  # both bounds included
    # A time without a zone is UTC.
    naive = (now - timedelta(hours=2)).replace(tzinfo=None)
    assert actions(action="item.", since=naive) == ["item.reject"]


def test_the_system_and_a_deleted_user_have_no_username(hub: Hub, world: World) -> None:
    with hub.db.session(write=True) as s:
        gone = create_user(s, SYSTEM, "gone", "a-long-password")
        audit.record(s, Actor(gone.id, "gone"), "item.approve", "item", 1, project_id=world.pid)
    with hub.db.session(write=True) as s:
        s.delete(s.get_one(User, gone.id))
    events = _read(hub, world.actors["owner"], project_id=world.pid).events
    approve = next(e for e in events if e.action == "item.approve")
    assert approve.username is None and approve.detail["actor"] == "gone"
    created = events[-1]
    assert (created.action, created.user_id, created.username) == ("project.create", None, None)
    assert created.detail["actor"] == "system"


def test_managers_owners_and_admins_read_a_project_s_log_others_do_not(hub: Hub, world: World) -> None:
    with hub.db.session(write=True) as s:
        update_project(s, world.actors["manager"], world.pid, expected_version=1, description="new words")
    for who in ("manager", "owner", "admin"):
        assert _read(hub, world.actors[who], project_id=world.pid).events[0].action == "project.update"
    for who in ("viewer", "annotator", "reviewer"):
        with pytest.raises(PermissionDenied) as refused:
            _read(hub, world.actors[who], project_id=world.pid)
        assert refused.value.detail == f"reading the audit log needs the manager role in project 'p'; you are {who}"
    # Someone outside the project, or asking for one that does not exist, learns nothing of it.
    with pytest.raises(NotFoundError, match=f"project {world.pid} not found"):
        _read(hub, world.actors["outsider"], project_id=world.pid)
    with pytest.raises(NotFoundError):
        _read(hub, world.actors["manager"], project_id=world.other)


def test_only_admins_read_the_whole_log(hub: Hub, world: World) -> None:
    mia = world.actors["manager"]
    with hub.db.session(write=True) as s:
        audit.record(s, mia, "auth.login", "user", mia.user_id)
        audit.record(s, mia, "annotations.replace", "item", 3, project_id=world.other)
    whole = _read(hub, world.actors["admin"], whole_log=True).events
    assert _actions(whole[:2]) == ["annotations.replace", "auth.login"]
    assert whole[1].project_id is None and whole[1].username == "manager"
    assert {e.project_id for e in whole} == {None, world.pid, world.other}
    # Narrowed to a project, the whole log also holds a deleted project's history.
    with hub.db.session(write=True) as s:
        delete_project(s, SYSTEM, world.other)
    only_q = _read(hub, world.actors["admin"], whole_log=True, project_id=world.other).events
    assert _actions(only_q) == ["project.delete", "annotations.replace", "project.create"]
    for who in ("manager", "owner", "outsider"):
        with pytest.raises(PermissionDenied, match="whole audit log needs an administrator"):
            _read(hub, world.actors[who], whole_log=True)


@pytest.mark.parametrize("limit", [0, 501])
def test_a_page_holds_1_to_500_events(hub: Hub, world: World, limit: int) -> None:
    with pytest.raises(ValidationError, match="limit must be between 1 and 500"):
        _read(hub, world.actors["admin"], project_id=world.pid, limit=limit)
