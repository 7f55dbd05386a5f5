"""The review queue's "next" hands each reviewer a labelled item of their own: what one reviewer was sent, the
others' "next" passes over until they move on or the claim expires; deciding moves on and frees the item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests._concurrency import at_once
from tests.model_servers import text_project
from tests.services.test_queue_claims import member

from labelhub.domain.enums import ItemStatus, Role
from labelhub.errors import PermissionDenied
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.items import review_item
from labelhub.services.queue import next_item
from labelhub.services.review_queue import claim_for_review, held_for_review, next_to_review
from labelhub.storage.models import Item, utcnow
from labelhub.storage.team_models import ItemClaim

Team = tuple[int, list[int], Actor, Actor]  # a project of 6 labelled texts (ids in order) and two reviewers


def labelled(hub: Hub, name: str, n: int) -> tuple[int, list[int]]:
    pid, _ = text_project(hub, name, [f"text {i}" for i in range(n)])
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.project_id == pid).values(status=ItemStatus.LABELED.value))
        ids = list(s.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.id)))
    return pid, ids


def next_for(hub: Hub, actor: Actor, pid: int, after: int | None = None) -> int | None:
    with hub.db.session(write=True) as s:
        return next_to_review(s, actor, pid, after, minutes=hub.settings.queue_claim_minutes)


def claims(hub: Hub) -> dict[int, int]:
    with hub.db.session() as s:
        return {r[0]: r[1] for r in s.execute(select(ItemClaim.item_id, ItemClaim.user_id))}


@pytest.fixture
def team(hub: Hub) -> Team:
    pid, ids = labelled(hub, "to review", 6)
    return pid, ids, member(hub, pid, "rita", Role.REVIEWER), member(hub, pid, "rob", Role.REVIEWER)


def test_two_reviewers_pressing_next_get_different_items(hub: Hub, team: Team) -> None:
    pid, ids, rita, rob = team
    assert next_for(hub, rita, pid) == ids[0]
    assert next_for(hub, rob, pid) == ids[1]  # not rita's: the review queue no longer sends both to its start
    assert next_for(hub, rita, pid) == ids[0]  # "next" again from the queue page: still hers
    with hub.db.session() as s:
        assert held_for_review(s, rob, pid) == [ids[0]]  # the queue page marks what others are deciding
        assert held_for_review(s, rita, pid) == [ids[1]]
    # Rita moves on without deciding: she skips rob's item, and hers is free again.
    assert next_for(hub, rita, pid, after=ids[0]) == ids[2]
    assert claims(hub) == {ids[1]: rob.user_id, ids[2]: rita.user_id}


def test_after_a_decision_next_moves_on_frees_the_item_and_wraps_to_the_start(hub: Hub, team: Team) -> None:
    pid, ids, rita, rob = team
    first = next_for(hub, rita, pid)
    assert first == ids[0] and next_for(hub, rob, pid, after=ids[4]) == ids[5]
    with hub.db.session(write=True) as s:
        review_item(s, rita, pid, ids[0], approve=True)
    assert next_for(hub, rita, pid, after=ids[0]) == ids[1]
    assert claims(hub) == {ids[1]: rita.user_id, ids[5]: rob.user_id}
    # Rob at the end of the queue wraps to its start, past rita's item.
    assert next_for(hub, rob, pid, after=ids[5]) == ids[2]
    # Nothing left but what others hold: null; rob keeps the item on his screen until he decides it.
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id.in_(ids[3:])).values(status=ItemStatus.REVIEWED.value))
    assert next_for(hub, rob, pid, after=ids[2]) is None
    assert claims(hub) == {ids[1]: rita.user_id, ids[2]: rob.user_id}
    with hub.db.session(write=True) as s:
        review_item(s, rob, pid, ids[2], approve=False, comment="the label is wrong")
    assert next_for(hub, rob, pid, after=ids[2]) is None
    assert claims(hub) == {ids[1]: rita.user_id}  # his claim is let go


def test_an_expired_claim_frees_the_item(hub: Hub, team: Team) -> None:
    pid, ids, rita, rob = team
    assert next_for(hub, rita, pid) == ids[0]
    with hub.db.session(write=True) as s:
        s.execute(update(ItemClaim).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert next_for(hub, rob, pid) == ids[0]
    assert claims(hub) == {ids[0]: rob.user_id}


def test_viewers_and_annotators_may_not_ask_and_claim_nothing(hub: Hub, team: Team) -> None:
    pid, ids, rita, _ = team
    for role in (Role.VIEWER, Role.ANNOTATOR):
        with pytest.raises(PermissionDenied):
            next_for(hub, member(hub, pid, f"someone-{role}", role), pid)
    assert claims(hub) == {}
    assert next_for(hub, rita, pid) == ids[0]


def test_labelling_and_review_claims_share_one_table_without_getting_in_each_others_way(hub: Hub) -> None:
    """The labelling queue only offers new items and the review queue labelled ones; what an annotator kept of the
    labelling queue on the item they labelled last does not hold it back from the reviewers."""
    pid, _ = text_project(hub, "both", [f"text {i}" for i in range(4)])
    ann, rita = member(hub, pid, "ann"), member(hub, pid, "rita", Role.REVIEWER)
    with hub.db.session() as s:
        labelled_last = next_item(s, hub, ann, pid)
    assert labelled_last is not None and claims(hub) == {labelled_last: ann.user_id}
    with hub.db.session(write=True) as s:  # ann saved it (labelled); her "next" found nothing more to do
        s.execute(update(Item).where(Item.id == labelled_last).values(status=ItemStatus.LABELED.value))
    assert next_for(hub, rita, pid) == labelled_last
    assert claims(hub) == {labelled_last: rita.user_id}
    with hub.db.session() as s:  # the reviewer's claim is on no item the labelling queue offers
        assert next_item(s, hub, ann, pid) not in (None, labelled_last)


def test_many_reviewers_pressing_next_at_once_each_get_their_own_item(hub: Hub) -> None:
    pid, ids = labelled(hub, "busy review", 10)
    people = [member(hub, pid, f"reviewer{k}", Role.REVIEWER) for k in range(8)]
    got = at_once(lambda actor: next_for(hub, actor, pid), people)
    assert None not in got and len(set(got)) == len(people) and set(got) <= set(ids)
    assert claims(hub) == {item: actor.user_id for item, actor in zip(got, people, strict=True)}


def test_claims_off_sends_every_reviewer_the_first_item(hub: Hub, team: Team) -> None:
    pid, ids, rita, rob = team
    off = Hub.open(hub.settings.model_copy(update={"queue_claim_minutes": 0}), migrate=False)
    try:
        assert next_for(off, rita, pid) == next_for(off, rob, pid) == ids[0]
    finally:
        off.close()
    assert claims(hub) == {}


def test_an_item_opened_from_the_list_is_claimed_and_skipped_by_the_others_next(hub: Hub, team: Team) -> None:
    pid, ids, rita, rob = team
    minutes = hub.settings.queue_claim_minutes
    with hub.db.session(write=True) as s:
        assert claim_for_review(s, rita, pid, ids[0], minutes=minutes)  # rita opens the first item from the list
    assert next_for(hub, rob, pid) == ids[1]  # rob's "next" passes over it
    with hub.db.session(write=True) as s:
        # Rob's: she may still decide it, and she left the first one, which is free again.
        assert not claim_for_review(s, rita, pid, ids[1], minutes=minutes)
        s.execute(update(Item).where(Item.id == ids[5]).values(status=ItemStatus.REVIEWED.value))
    with hub.db.session(write=True) as s:
        assert not claim_for_review(s, rita, pid, ids[5], minutes=minutes)  # reviewed already: nothing to claim
    assert claims(hub) == {ids[1]: rob.user_id}
