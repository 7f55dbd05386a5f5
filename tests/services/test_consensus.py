"""Consensus labelling in the services: each person's own replica, the merge at the k-th submission, ties, the
queue handing an item to k different people, who may do what, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from tests._concurrency import at_once

from labelhub.domain.enums import AnnotationKind, ItemKind, ItemStatus, Role
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.services import consensus
from labelhub.services.access import Actor
from labelhub.services.annotations import AnnotationInput, list_annotations, replace_annotations
from labelhub.services.assignment import Selection, assign_items
from labelhub.services.consensus_set import set_overlap
from labelhub.services.projects import create_project, set_member
from labelhub.services.queue import queue
from labelhub.storage.models import AuditEvent, Item, User
from labelhub.storage.team_models import ConsensusReplica

SYSTEM = Actor.system()
PEOPLE = {"manager": Role.MANAGER, "ann1": Role.ANNOTATOR, "ann2": Role.ANNOTATOR, "ann3": Role.ANNOTATOR,
          "reviewer": Role.REVIEWER, "outsider": None}  # fmt: skip


@dataclass
class World:
    pid: int
    items: list[int]
    actors: dict[str, Actor]


def _world(hub: Hub, kind: ItemKind = ItemKind.IMAGE, name: str = "consensus") -> World:
    actors: dict[str, Actor] = {}
    with hub.db.session(write=True) as s:
        pid = create_project(s, SYSTEM, name, item_kind=kind, schema=LabelSchema.from_names(["cat", "dog"])).id
        for person, role in PEOPLE.items():
            user = User(username=f"{name}-{person}", password_hash="!", is_active=True)
            s.add(user)
            s.flush()
            actors[person] = Actor(user.id, person)
            if role is not None:
                set_member(s, SYSTEM, pid, user.id, role)
        rows = [Item(project_id=pid, kind=kind.value, name=f"i{n}", width=100, height=100,
                     text="Ada Lovelace wrote it" if kind is ItemKind.TEXT else None) for n in range(4)]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return World(pid, [r.id for r in rows], actors)


@pytest.fixture
def world(hub: Hub) -> World:
    return _world(hub)


def box(label: str, *xyxy: float) -> AnnotationInput:
    return AnnotationInput(kind=AnnotationKind.BOX, label=label, geometry={"bbox": list(xyxy)})


def tag(label: str) -> AnnotationInput:
    return AnnotationInput(kind=AnnotationKind.CLASS, label=label)


def _set(hub: Hub, w: World, overlap: int, items: list[int] | None = None, who: str = "manager") -> Any:
    with hub.db.session(write=True) as s:
        return set_overlap(s, w.actors[who], w.pid, overlap=overlap, item_ids=items or w.items[:1])


def _save(hub: Hub, w: World, who: str, anns: list[AnnotationInput], version: int, *, done: bool = False,
          item: int | None = None) -> consensus.ReplicaView:  # fmt: skip
    with hub.db.session(write=True) as s:
        view = consensus.save_own(s, w.actors[who], w.pid, item or w.items[0], expected_version=version,
                                  annotations=anns, status=ItemStatus.LABELED if done else None)  # fmt: skip
    assert view is not None
    return view


def _read(hub: Hub, w: World, who: str, item: int | None = None) -> consensus.ReplicaView | None:
    with hub.db.session() as s:
        return consensus.read_own(s, w.actors[who], w.pid, item or w.items[0])


def _actions(hub: Hub, pid: int) -> list[str]:
    with hub.db.session() as s:
        q = select(AuditEvent.action).where(AuditEvent.project_id == pid, AuditEvent.action.like("consensus.%"))
        return list(s.scalars(q.order_by(AuditEvent.id)))


def test_each_person_sees_and_saves_only_their_own_labels(hub: Hub, world: World) -> None:
    assert _set(hub, world, 3).changed == [world.items[0]]
    first = _read(hub, world, "ann1")
    assert first is not None and first.version == 0 and first.annotations == []
    assert first.consensus == consensus.ConsensusState(3, 0, False)
    saved = _save(hub, world, "ann1", [box("cat", 10, 10, 50, 50)], 0)
    assert saved.version == 1 and saved.annotations[0]["geometry"] == {"bbox": [10.0, 10.0, 50.0, 50.0]}
    other = _read(hub, world, "ann2")  # independence: ann2 never sees ann1's box
    assert other is not None and other.annotations == [] and other.version == 0
    with hub.db.session() as s:
        assert list_annotations(s, world.items[0]) == []  # the item itself holds nothing yet
    with pytest.raises(ConflictError) as stale:
        _save(hub, world, "ann1", [], 0)  # a second tab still at version 0
    assert stale.value.context["current_version"] == 1
    assert _read(hub, world, "ann1", world.items[1]) is None  # an ordinary item: the ordinary routes apply


def test_replicas_are_checked_like_annotations(hub: Hub, world: World) -> None:
    _set(hub, world, 2)
    with pytest.raises(ValidationError) as bad:
        _save(hub, world, "ann1", [box("cow", 1, 1, 5, 5)], 0)
    assert bad.value.context["field"] == "annotations[0].label"
    with pytest.raises(ValidationError) as outside:
        _save(hub, world, "ann1", [box("cat", 1, 1, 500, 5)], 0)
    assert outside.value.context["field"] == "annotations[0].geometry.bbox"
    mask = AnnotationInput(kind=AnnotationKind.MASK, label="cat", geometry={"size": [100, 100], "counts": [10000]})
    with pytest.raises(ValidationError) as masks:
        _save(hub, world, "ann1", [mask], 0)
    assert masks.value.context["field"] == "annotations[0].kind"
    # The ordinary save of an item under consensus is refused.
    with pytest.raises(ConflictError), hub.db.session(write=True) as s:
        replace_annotations(s, world.actors["ann1"], world.pid, world.items[0], expected_version=2,
                            annotations=[box("cat", 1, 1, 5, 5)])  # fmt: skip


def test_the_kth_submission_merges_by_majority_and_weighted_box_fusion(hub: Hub, world: World) -> None:
    _set(hub, world, 3)
    _save(hub, world, "ann1", [tag("cat"), box("cat", 10, 10, 50, 50), box("dog", 70, 70, 90, 90)], 0, done=True)
    _save(hub, world, "ann2", [tag("cat"), box("cat", 12, 12, 52, 52)], 0, done=True)
    mid = _read(hub, world, "ann3")
    assert mid is not None and mid.consensus.submitted_count == 2 and not mid.consensus.you_submitted
    last = _save(hub, world, "ann3", [tag("dog"), box("cat", 14, 8, 54, 48)], 0, done=True)
    assert last.consensus.merged
    merged = {(a["kind"], a["label"]): a for a in last.annotations}
    assert set(merged) == {("class", "cat"), ("box", "cat")}  # the dog box: one person of three; the dog tag: 1/3
    assert merged[("box", "cat")]["geometry"]["bbox"] == pytest.approx([12, 10, 52, 50])  # mean of the three
    assert merged[("box", "cat")]["attributes"] == {"consensus_votes": 3, "consensus_of": 3}
    assert merged[("class", "cat")]["attributes"] == {"consensus_votes": 2, "consensus_of": 3}
    assert all(a["source"] == "human" and a["state"] == "accepted" for a in last.annotations)
    with hub.db.session() as s:
        item = s.get(Item, world.items[0])
        assert item is not None and item.status == "labeled"
        assert 0 < item.meta["agreement"] < 1
        assert item.meta["consensus"]["of"] == 3 and item.meta["consensus"]["flags"] == []
    assert _read(hub, world, "ann1") is None  # merged: the ordinary routes show the merged labels
    assert _actions(hub, world.pid) == ["consensus.set", *["consensus.submit"] * 3, "consensus.merge"]


def test_a_class_tie_keeps_no_label_and_flags_the_item(hub: Hub, world: World) -> None:
    _set(hub, world, 2)
    _save(hub, world, "ann1", [tag("cat")], 0, done=True)
    last = _save(hub, world, "ann2", [tag("dog")], 0, done=True)
    assert last.annotations == []
    with hub.db.session() as s:
        item = s.get(Item, world.items[0])
        assert item is not None and item.meta["agreement"] == 0.0
        assert item.meta["consensus"]["flags"] == [
            {"kind": "class_tie", "labels": ["cat", "dog"], "votes": {"cat": 1, "dog": 1}, "of": 2}
        ]
        assert "consensus-tie" in item.meta["tags"]


def test_spans_merge_by_character_majority(hub: Hub) -> None:
    w = _world(hub, ItemKind.TEXT, "spans")
    _set(hub, w, 3)

    def span(start: int, end: int) -> AnnotationInput:
        return AnnotationInput(kind=AnnotationKind.SPAN, label="cat", geometry={"start": start, "end": end})

    _save(hub, w, "ann1", [span(0, 12)], 0, done=True)  # "Ada Lovelace"
    _save(hub, w, "ann2", [span(4, 12)], 0, done=True)  # "Lovelace"
    last = _save(hub, w, "ann3", [span(0, 3)], 0, done=True)  # "Ada"
    # The space after "Ada" is one person's of three: two spans, each character of them covered by two people.
    assert [a["geometry"] for a in last.annotations] == [{"start": 0, "end": 3}, {"start": 4, "end": 12}]
    assert [a["attributes"]["consensus_votes"] for a in last.annotations] == [2, 2]


def test_the_queue_hands_an_item_to_k_different_people(hub: Hub, world: World) -> None:
    _set(hub, world, 2)
    target = world.items[0]

    def offered(who: str) -> bool:
        with hub.db.session() as s:
            return target in [e.id for e in queue(s, hub, world.actors[who], world.pid, limit=50).items]

    assert offered("ann1") and offered("ann2")
    _save(hub, world, "ann1", [tag("cat")], 0)  # a draft: still theirs to finish
    assert offered("ann1")
    _save(hub, world, "ann1", [tag("cat")], 1, done=True)
    assert not offered("ann1") and offered("ann2") and offered("ann3")
    _save(hub, world, "ann2", [tag("cat")], 0, done=True)  # the second of two: merged, labelled
    assert not offered("ann3")


def test_an_assigned_consensus_item_goes_to_its_assignee_first_and_still_to_the_others(hub: Hub, world: World) -> None:
    _set(hub, world, 2)
    target, plain = world.items[0], world.items[1]
    with hub.db.session(write=True) as s:
        for item in (target, plain):
            assign_items(s, world.actors["manager"], world.pid, Selection(item_ids=[item]),
                         [world.actors["ann1"].user_id or 0])  # fmt: skip

    def offered(who: str) -> list[int]:
        with hub.db.session() as s:
            return [e.id for e in queue(s, hub, world.actors[who], world.pid, limit=50).items]

    mine = offered("ann1")
    assert set(mine[:2]) == {target, plain} and mine.count(target) == 1  # hers first, and only once
    theirs = offered("ann2")
    assert target in theirs and plain not in theirs  # an ordinary item assigned to ann1 stays hers


def test_who_may_set_overlap_and_merge(hub: Hub, world: World) -> None:
    with pytest.raises(PermissionDenied):
        _set(hub, world, 2, who="ann1")
    with pytest.raises(NotFoundError):
        _set(hub, world, 2, who="outsider")
    with pytest.raises(ValidationError) as many:
        _set(hub, world, 11)
    assert many.value.context["field"] == "overlap"
    _set(hub, world, 3)
    _save(hub, world, "ann1", [tag("cat")], 0, done=True)
    with pytest.raises(ValidationError) as one, hub.db.session(write=True) as s:
        consensus.force_merge(s, world.actors["manager"], world.pid, world.items[0])
    assert "at least 2" in str(one.value)
    _save(hub, world, "ann2", [tag("cat")], 0, done=True)
    with pytest.raises(PermissionDenied), hub.db.session(write=True) as s:
        consensus.force_merge(s, world.actors["reviewer"], world.pid, world.items[0])
    with hub.db.session(write=True) as s:
        consensus.force_merge(s, world.actors["manager"], world.pid, world.items[0])
    with hub.db.session() as s:
        item = s.get(Item, world.items[0])
        assert item is not None and item.status == "labeled" and item.meta["consensus"]["forced"] is True
        assert [a.label for a in list_annotations(s, world.items[0])] == ["cat"]


def test_labelled_items_are_skipped_and_items_come_out_while_nothing_is_submitted(hub: Hub, world: World) -> None:
    a, b, c = world.items[:3]
    with hub.db.session(write=True) as s:
        replace_annotations(s, SYSTEM, world.pid, c, expected_version=1, annotations=[tag("cat")])
    r = _set(hub, world, 2, [a, b, c])
    assert r.changed == [a, b] and r.skipped == {"already labelled": [c]}
    _save(hub, world, "ann1", [tag("cat")], 0, item=a)  # a draft
    _save(hub, world, "ann2", [tag("cat")], 0, item=b, done=True)
    out = _set(hub, world, 0, [a, b])
    assert out.changed == [a] and out.skipped == {"replicas already submitted": [b]}
    with hub.db.session() as s:
        assert s.scalars(select(ConsensusReplica.item_id)).all() == [b]  # a's draft went with it


@pytest.mark.parametrize("kind", [ItemKind.VIDEO, ItemKind.VOLUME])
def test_video_and_volume_projects_are_refused_naming_the_field(hub: Hub, kind: ItemKind) -> None:
    w = _world(hub, kind, f"refused-{kind.value}")
    with pytest.raises(ValidationError) as refused:
        _set(hub, w, 2)
    assert refused.value.context["field"] == "overlap"
    assert kind.value in str(refused.value)


def test_two_last_submissions_at_the_same_moment_still_merge(hub: Hub, world: World) -> None:
    _set(hub, world, 2)
    at_once(lambda who: _save(hub, world, who, [tag("cat")], 0, done=True), ["ann1", "ann2"])  # raises what they raise
    with hub.db.session() as s:
        item = s.get(Item, world.items[0])
        assert item is not None and item.status == "labeled" and item.meta["consensus"]["of"] == 2
