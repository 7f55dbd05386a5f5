"""Assignment: a manager hands items to members (one, split evenly, or back to nobody); the workload counts them;
members who leave or become viewers give back what they had not labelled; the queue hands out mine first."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select, update
from tests.builders import new_project
from tests.model_servers import http_contract, register_http, serve, text_project

from labelhub.domain.assignment import AssignMode
from labelhub.domain.enums import Role
from labelhub.errors import NotFoundError, PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.assignment import AssignResult, Selection, assign_items
from labelhub.services.items import ItemFilter, count_items
from labelhub.services.projects import remove_member, set_member
from labelhub.services.queue import next_item, queue
from labelhub.services.workload import workload
from labelhub.storage.models import AuditEvent, Item, User

SYSTEM = Actor.system()
PEOPLE = ("manager", "ann1", "ann2", "ann3", "reviewer", "viewer", "gone", "outsider")
ROLE = {"manager": Role.MANAGER, "ann1": Role.ANNOTATOR, "ann2": Role.ANNOTATOR, "ann3": Role.ANNOTATOR,
        "reviewer": Role.REVIEWER, "viewer": Role.VIEWER, "gone": Role.ANNOTATOR}  # fmt: skip


@dataclass
class World:
    pid: int
    items: list[int]  # 20 items; the first 10 in split "train"
    other_item: int
    actors: dict[str, Actor]

    def uid(self, name: str) -> int:
        uid = self.actors[name].user_id
        assert uid is not None
        return uid


@pytest.fixture
def world(hub: Hub) -> World:
    pid, other = new_project(hub, "assign"), new_project(hub, "elsewhere")
    actors: dict[str, Actor] = {}
    with hub.db.session(write=True) as s:
        for name in PEOPLE:
            user = User(username=name, password_hash="!", is_active=True)
            s.add(user)
            s.flush()
            actors[name] = Actor(user.id, name)
            if name in ROLE:
                set_member(s, SYSTEM, pid, user.id, ROLE[name])
        s.execute(update(User).where(User.username == "gone").values(is_active=False))
        rows = [Item(project_id=pid, kind="image", name=f"i{n:03d}.jpg", split="train" if n < 10 else "val")
                for n in range(20)]  # fmt: skip
        s.add_all(rows)
        elsewhere = Item(project_id=other, kind="image", name="x.jpg")
        s.add(elsewhere)
        s.flush()
        return World(pid, [r.id for r in rows], elsewhere.id, actors)


def _assign(hub: Hub, w: World, sel: Selection, names: list[str], mode: AssignMode = AssignMode.ONE,
            actor: str = "manager") -> AssignResult:  # fmt: skip
    with hub.db.session(write=True) as s:
        return assign_items(s, w.actors[actor], w.pid, sel, [w.uid(n) for n in names], mode)


def _assignees(hub: Hub, w: World) -> dict[int, int | None]:
    with hub.db.session() as s:
        return {r[0]: r[1] for r in s.execute(select(Item.id, Item.assignee_id).where(Item.project_id == w.pid))}


def test_assign_by_ids_to_one_member_records_one_audit_event(hub: Hub, world: World) -> None:
    w = world
    r = _assign(hub, w, Selection(item_ids=w.items[:3]), ["ann1"])
    assert (r.items, r.changed, r.mode, r.counts) == (3, 3, "one", {w.uid("ann1"): 3})
    got = _assignees(hub, w)
    assert [got[i] for i in w.items[:4]] == [w.uid("ann1")] * 3 + [None]
    with hub.db.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "item.assign")).all()
    assert len(events) == 1 and events[0].project_id == w.pid and events[0].user_id == w.uid("manager")
    assert events[0].detail["count"] == 3 and events[0].detail["mode"] == "one"
    assert events[0].detail["assignees"] == [{"id": w.uid("ann1"), "name": "ann1", "count": 3}]
    assert events[0].detail["item_ids"] == w.items[:3]
    again = _assign(hub, w, Selection(item_ids=w.items[:3]), ["ann1"])
    assert again.changed == 0  # already theirs


def test_assign_by_the_item_list_filter(hub: Hub, world: World) -> None:
    w = world
    r = _assign(hub, w, Selection(filter=ItemFilter(split="val")), ["ann2"])
    assert r.items == 10
    got = _assignees(hub, w)
    assert [got[i] for i in w.items] == [None] * 10 + [w.uid("ann2")] * 10
    with hub.db.session() as s:
        mine = count_items(s, w.actors["ann2"], w.pid, ItemFilter(assignee_id=w.uid("ann2")))
        nobody = count_items(s, w.actors["ann2"], w.pid, ItemFilter(unassigned=True))
    assert (mine, nobody) == (10, 10)


def test_even_split_levels_the_open_load_and_is_deterministic(hub: Hub, world: World) -> None:
    w = world
    _assign(hub, w, Selection(item_ids=w.items[:4]), ["ann1"])  # ann1 starts with 4 open
    _assign(hub, w, Selection(item_ids=w.items[4:5]), ["ann3"])  # ann3 with 1
    rest = w.items[5:]  # 15 items
    r = _assign(hub, w, Selection(item_ids=rest), ["ann1", "ann2", "ann3"], AssignMode.EVEN)
    # Loads 4, 0, 1 take 15 more: 7 or 6 each (20 in all), the extra one to the lower user id.
    assert r.counts == {w.uid("ann1"): 3, w.uid("ann2"): 7, w.uid("ann3"): 5}
    with hub.db.session() as s:
        loads = {m.username: m.open for m in workload(s, w.actors["manager"], w.pid).members}
    assert (loads["ann1"], loads["ann2"], loads["ann3"]) == (7, 7, 6)
    first = _assignees(hub, w)
    # Each member's items are one run in id order, members in user id order.
    assert [first[i] for i in rest] == [w.uid("ann1")] * 3 + [w.uid("ann2")] * 7 + [w.uid("ann3")] * 5
    # The same split again hands out the same items (items of the selection already theirs are not load).
    again = _assign(hub, w, Selection(item_ids=rest), ["ann3", "ann2", "ann1"], AssignMode.EVEN)
    assert again.counts == r.counts and again.changed == 0 and _assignees(hub, w) == first


def test_unassign_takes_the_assignments_off(hub: Hub, world: World) -> None:
    w = world
    _assign(hub, w, Selection(item_ids=w.items[:5]), ["ann1"])
    r = _assign(hub, w, Selection(item_ids=w.items[3:8]), [])
    assert (r.mode, r.unassigned, r.changed) == ("unassign", 5, 2)
    got = _assignees(hub, w)
    assert [got[i] for i in w.items[:5]] == [w.uid("ann1")] * 3 + [None] * 2


@pytest.mark.parametrize(
    ("who", "says"),
    [
        ("outsider", "outsider (user {uid}) is not a member of this project"),
        ("viewer", "viewer (user {uid}) is a viewer and may not label"),
        ("gone", "gone (user {uid}) is deactivated"),
    ],
)
def test_assignees_must_be_active_members_who_may_label(hub: Hub, world: World, who: str, says: str) -> None:
    w = world
    with pytest.raises(ValidationError) as err:
        _assign(hub, w, Selection(item_ids=w.items[:2]), ["ann1", who], AssignMode.EVEN)
    assert err.value.context["field"] == "user_ids"
    assert says.format(uid=w.uid(who)) in err.value.detail
    assert set(_assignees(hub, w).values()) == {None}  # nothing assigned


def test_refusals_name_the_field(hub: Hub, world: World) -> None:
    w = world
    cases: list[tuple[Selection, list[int], AssignMode, str]] = [
        (Selection(item_ids=w.items[:2]), [w.uid("ann1"), w.uid("ann2")], AssignMode.ONE, "user_ids"),
        (Selection(item_ids=w.items[:2]), [987654], AssignMode.ONE, "user_ids"),
        (Selection(item_ids=[w.items[0], w.other_item]), [w.uid("ann1")], AssignMode.ONE, "item_ids"),
        (Selection(), [w.uid("ann1")], AssignMode.ONE, "item_ids"),
        (Selection(filter=ItemFilter(split="test")), [w.uid("ann1")], AssignMode.ONE, "filter"),
    ]
    for sel, uids, mode, field in cases:
        with pytest.raises(ValidationError) as err, hub.db.session(write=True) as s:
            assign_items(s, w.actors["manager"], w.pid, sel, uids, mode)
        assert err.value.context["field"] == field, (sel, err.value.detail)


@pytest.mark.parametrize(("who", "error"), [("ann1", PermissionDenied), ("reviewer", PermissionDenied),
                                            ("outsider", NotFoundError)])  # fmt: skip
def test_only_managers_assign(hub: Hub, world: World, who: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        _assign(hub, world, Selection(item_ids=world.items[:1]), ["ann1"], actor=who)
    with pytest.raises(error), hub.db.session() as s:
        workload(s, world.actors[who], world.pid)


def _label(hub: Hub, ids: list[int], status: str, annotator: int) -> None:
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id.in_(ids)).values(status=status, annotator_id=annotator))


def test_a_member_who_leaves_or_becomes_a_viewer_gives_back_only_open_items(hub: Hub, world: World) -> None:
    w = world
    _assign(hub, w, Selection(item_ids=w.items[:6]), ["ann1"])
    _assign(hub, w, Selection(item_ids=w.items[6:12]), ["ann2"])
    for who in ("ann1", "ann2"):
        base = 0 if who == "ann1" else 6
        _label(hub, w.items[base : base + 2], "labeled", w.uid(who))
        _label(hub, w.items[base + 2 : base + 3], "in_progress", w.uid(who))
    with hub.db.session(write=True) as s:
        remove_member(s, w.actors["manager"], w.pid, w.uid("ann1"))
        set_member(s, w.actors["manager"], w.pid, w.uid("ann2"), Role.VIEWER)
    got = _assignees(hub, w)
    for who, base in (("ann1", 0), ("ann2", 6)):
        assert [got[i] for i in w.items[base : base + 6]] == [w.uid(who)] * 2 + [None] * 4, who
    with hub.db.session() as s:
        details = [e.detail for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("member.%"))
                                               .order_by(AuditEvent.id.desc()).limit(2))]  # fmt: skip
    assert details[0]["unassigned"] == 4 and details[1]["unassigned"] == 4


def test_a_role_change_that_keeps_labelling_keeps_the_assignments(hub: Hub, world: World) -> None:
    w = world
    _assign(hub, w, Selection(item_ids=w.items[:3]), ["ann1"])
    with hub.db.session(write=True) as s:
        set_member(s, w.actors["manager"], w.pid, w.uid("ann1"), Role.REVIEWER)
    assert list(_assignees(hub, w).values()).count(w.uid("ann1")) == 3


def test_workload_counts_open_labelled_reviewed_and_returned(hub: Hub, world: World) -> None:
    w = world
    _assign(hub, w, Selection(item_ids=w.items[:8]), ["ann1"])
    _label(hub, w.items[:3], "labeled", w.uid("ann1"))
    _label(hub, w.items[3:5], "reviewed", w.uid("ann1"))
    _label(hub, w.items[5:6], "rejected", w.uid("ann1"))
    _label(hub, w.items[10:11], "labeled", w.uid("ann2"))  # labelled without an assignment
    with hub.db.session() as s:
        wl = workload(s, w.actors["manager"], w.pid)
    by = {m.username: m for m in wl.members}
    assert [m.username for m in wl.members] == ["ann1", "ann2", "ann3", "gone", "manager", "reviewer"]
    assert (by["ann1"].open, by["ann1"].labelled, by["ann1"].reviewed, by["ann1"].returned) == (2, 3, 2, 1)
    assert (by["ann2"].open, by["ann2"].labelled) == (0, 1)
    assert by["gone"].active is False and by["ann1"].role is Role.ANNOTATOR
    assert wl.unassigned_open == 11  # 20 items, 8 assigned, one more labelled


def test_the_queue_gives_my_items_first_and_never_another_s(hub: Hub) -> None:
    texts = ["p=0.9", "p=0.5", "p=0.99", "p=0.6", "p=0.8"]  # entropy asks for 1, 3, 4, 0, 2
    pid, ids = text_project(hub, "queue-assign", texts)
    actors: dict[str, Actor] = {}
    with hub.db.session(write=True) as s:
        for name, role in (("me", Role.ANNOTATOR), ("you", Role.ANNOTATOR), ("boss", Role.MANAGER)):
            user = User(username=name, password_hash="!", is_active=True)
            s.add(user)
            s.flush()
            actors[name] = Actor(user.id, name)
            set_member(s, SYSTEM, pid, user.id, role)
    me, you = actors["me"], actors["you"]
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            before = [e.id for e in queue(s, hub, me, pid, strategy="entropy").items]
        assert before == [ids[1], ids[3], ids[4], ids[0], ids[2]]
        with hub.db.session(write=True) as s:
            assign_items(s, actors["boss"], pid, Selection(item_ids=[ids[0], ids[2]]), [me.user_id or 0])
            assign_items(s, actors["boss"], pid, Selection(item_ids=[ids[3]]), [you.user_id or 0])
        with hub.db.session() as s:
            mine = queue(s, hub, me, pid, strategy="entropy")
            yours = [e.id for e in queue(s, hub, you, pid, strategy="entropy").items]
            nobody = [e.id for e in queue(s, hub, SYSTEM, pid, strategy="entropy").items]
            first = next_item(s, hub, me, pid)
            after_mine = next_item(s, hub, me, pid, after=ids[2])
    assert [e.id for e in mine.items] == [ids[0], ids[2], ids[1], ids[4]]
    assert mine.items[0].reason.startswith("assigned to you; entropy")
    assert not mine.items[2].reason.startswith("assigned")
    assert yours == [ids[3], ids[1], ids[4]]
    assert nobody == [ids[1], ids[4]]
    assert (first, after_mine) == (ids[0], ids[1])


def test_the_queue_without_a_model_keeps_the_groups(hub: Hub, world: World) -> None:
    w = world
    _assign(hub, w, Selection(item_ids=w.items[5:10]), ["ann1"])
    _assign(hub, w, Selection(item_ids=w.items[10:15]), ["ann2"])
    with hub.db.session() as s:
        got = [e.id for e in queue(s, hub, w.actors["ann1"], w.pid, limit=50).items]
    assert set(got[:5]) == set(w.items[5:10])
    assert set(got[5:]) == set(w.items[:5] + w.items[15:]) and len(got) == 15
