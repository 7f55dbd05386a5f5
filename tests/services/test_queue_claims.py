"""The queue's "next" hands each person an item of their own: what one was sent, the others' "next" passes over
until they move on or the claim expires; claims never stop anyone opening or saving an item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests._concurrency import at_once
from tests.conftest import make_user
from tests.model_servers import text_project

from labelhub.domain.enums import Role
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.projects import set_member
from labelhub.services.queue import next_item, queue
from labelhub.services.queue_claims import claim
from labelhub.storage.models import Item, User, utcnow
from labelhub.storage.team_models import ItemClaim

SYSTEM = Actor.system()
Team = tuple[int, Actor, Actor]  # a project of 6 texts without a model, and two annotators


def member(hub: Hub, pid: int, name: str, role: Role = Role.ANNOTATOR) -> Actor:
    make_user(hub, name)
    with hub.db.session(write=True) as s:
        uid = s.scalars(select(User.id).where(User.username == name)).one()
        set_member(s, SYSTEM, pid, uid, role)
    return Actor(uid, name)


def next_for(hub: Hub, actor: Actor, pid: int, after: int | None = None) -> int | None:
    with hub.db.session() as s:
        return next_item(s, hub, actor, pid, after)


@pytest.fixture
def team(hub: Hub) -> Team:
    pid, _ = text_project(hub, "shared pool", [f"text {i}" for i in range(6)])
    return pid, member(hub, pid, "alice"), member(hub, pid, "bob")


def test_two_annotators_pressing_next_get_different_items(hub: Hub, team: Team) -> None:
    pid, alice, bob = team
    a, b = next_for(hub, alice, pid), next_for(hub, bob, pid)
    assert a is not None and b is not None and a != b
    assert next_for(hub, alice, pid) == a  # "next" again without saving: the same item, still hers
    with hub.db.session() as s:
        bobs_queue = [e.id for e in queue(s, hub, bob, pid, limit=10).items]
    assert a not in bobs_queue and b in bobs_queue and len(bobs_queue) == 5
    # Alice moves on from her item: she holds the next one, and hers is free again for the others.
    c = next_for(hub, alice, pid, after=a)
    assert c not in (a, b)
    with hub.db.session() as s:
        assert a in [e.id for e in queue(s, hub, bob, pid, limit=10).items]


def test_an_expired_claim_frees_the_item(hub: Hub, team: Team) -> None:
    pid, alice, bob = team
    a = next_for(hub, alice, pid)
    with hub.db.session(write=True) as s:
        s.execute(update(ItemClaim).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert next_for(hub, bob, pid) == a  # the queue's first item again, now bob's
    with hub.db.session() as s:
        assert s.scalars(select(ItemClaim.user_id).where(ItemClaim.item_id == a)).all() == [bob.user_id]


def test_a_viewer_and_a_consensus_item_claim_nothing(hub: Hub, team: Team) -> None:
    pid, alice, _ = team
    viewer = member(hub, pid, "victor", Role.VIEWER)
    first = next_for(hub, viewer, pid)
    assert next_for(hub, alice, pid) == first  # the viewer only looked
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.project_id == pid).values(overlap=2))  # several people label each
        s.execute(ItemClaim.__table__.delete())
    carol = member(hub, pid, "carol")
    assert next_for(hub, alice, pid) == next_for(hub, carol, pid) == first
    with hub.db.session() as s:
        assert s.scalars(select(ItemClaim.item_id)).all() == []


def test_claims_off_sends_everyone_the_same_first_item(hub: Hub, team: Team) -> None:
    pid, alice, bob = team
    off = Hub.open(hub.settings.model_copy(update={"queue_claim_minutes": 0}), migrate=False)
    try:
        assert next_for(off, alice, pid) == next_for(off, bob, pid) is not None
    finally:
        off.close()


def test_next_skips_items_claimed_since_its_view_of_the_queue(hub: Hub, team: Team) -> None:
    """Five others claim the queue's first five items after alice's request began reading the queue (its
    snapshot): her "next" reads the queue again and gets the sixth, instead of someone else's item."""
    pid, alice, _ = team
    others = [member(hub, pid, f"other{k}") for k in range(5)]
    with hub.db.session() as s:
        order = [e.id for e in queue(s, hub, alice, pid, limit=10).items]  # the snapshot starts here on SQLite
        for actor, item in zip(others, order, strict=False):
            with hub.db.session(write=True) as w:
                assert claim(w, actor, pid, item, minutes=10)
        got = next_item(s, hub, alice, pid)
    assert got == order[5]
    with hub.db.session() as s:
        assert s.scalars(select(ItemClaim.user_id).where(ItemClaim.item_id == got)).all() == [alice.user_id]


def test_many_annotators_pressing_next_at_once_each_get_their_own_item(hub: Hub) -> None:
    """Eight people press "next" at the same instant on a pool of ten: each is sent an item nobody else was sent
    (before, a "next" that lost its item five reads in a row handed out one someone else held: 409s on save)."""
    pid, _ = text_project(hub, "busy pool", [f"text {i}" for i in range(10)])
    people = [member(hub, pid, f"annotator{k}") for k in range(8)]
    got = at_once(lambda actor: next_for(hub, actor, pid), people)
    assert None not in got and len(set(got)) == len(people)
    with hub.db.session() as s:
        holders = {r[0]: r[1] for r in s.execute(select(ItemClaim.item_id, ItemClaim.user_id))}
    assert holders == {item: actor.user_id for item, actor in zip(got, people, strict=True)}


def test_next_says_nothing_is_left_when_others_hold_every_item(hub: Hub, team: Team) -> None:
    pid, alice, _ = team
    others = [member(hub, pid, f"other{k}") for k in range(6)]
    taken = [next_for(hub, actor, pid) for actor in others]
    assert None not in taken and len(set(taken)) == 6
    assert next_for(hub, alice, pid) is None  # not an item someone else is labelling
    with hub.db.session() as s:
        assert s.scalars(select(ItemClaim.item_id).where(ItemClaim.user_id == alice.user_id)).all() == []
