"""A merged consensus item sent back to labelling starts a new round (old replicas gone, audited), and the
agreement report reads the pair scores each merge keeps instead of comparing the replicas again (items merged
before the scores were kept are still compared)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from tests.services.test_consensus import World, _actions, _read, _save, _set, _world, box, tag

from labelhub.domain.enums import ItemStatus
from labelhub.hub import Hub
from labelhub.services.agreement_report import AgreementReport, project_agreement
from labelhub.services.annotations import replace_annotations
from labelhub.storage.models import AuditEvent, Item
from labelhub.storage.team_models import ConsensusReplica


@pytest.fixture
def world(hub: Hub) -> World:
    return _world(hub)


def _merge(hub: Hub, w: World, item: int, people: dict[str, list[Any]]) -> None:
    _set(hub, w, len(people), [item])
    for who, anns in people.items():
        _save(hub, w, who, anns, 0, done=True, item=item)


def _item(hub: Hub, item_id: int) -> Item:
    with hub.db.session() as s:
        item = s.get(Item, item_id)
        assert item is not None
        s.expunge(item)
        return item


def test_a_merged_item_sent_back_to_labelling_starts_consensus_afresh(hub: Hub, world: World) -> None:
    item = world.items[0]
    _merge(hub, world, item, {"ann1": [tag("cat")], "ann2": [tag("dog")]})  # a tie: tagged consensus-tie
    merged = _item(hub, item)
    assert merged.status == "labeled" and "consensus-tie" in merged.meta["tags"]
    with hub.db.session(write=True) as s:  # a reviewer clears it and sends it back to labelling
        replace_annotations(s, world.actors["reviewer"], world.pid, item, expected_version=merged.version,
                            annotations=[], status=ItemStatus.NEW)  # fmt: skip
    again = _item(hub, item)
    assert (again.status, again.overlap) == ("new", 2)  # still labelled by two people
    assert not {"agreement", "consensus"} & set(again.meta) and "consensus-tie" not in again.meta["tags"]
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsensusReplica)) == 0
        reset = s.scalars(select(AuditEvent).where(AuditEvent.action == "consensus.reset")).one()
    assert reset.object_id == str(item) and reset.user_id == world.actors["reviewer"].user_id
    people = [world.actors["ann1"].user_id, world.actors["ann2"].user_id]
    assert reset.detail == {"actor": "reviewer", "replicas": 2, "users": people, "overlap": 2, "agreement": 0.0,
                            "status": ["labeled", "new"]}  # fmt: skip
    # A new round: everyone starts from nothing, and the merge waits for two new submissions.
    mine = _read(hub, world, "ann1", item)
    assert mine is not None and (mine.version, mine.annotations, mine.consensus.submitted_count) == (0, [], 0)
    first = _save(hub, world, "ann1", [tag("cat")], 0, done=True, item=item)
    assert not first.consensus.merged and first.consensus.submitted_count == 1
    last = _save(hub, world, "ann3", [tag("cat")], 0, done=True, item=item)
    assert last.consensus.merged and [a["label"] for a in last.annotations] == ["cat"]
    assert _item(hub, item).meta["agreement"] == 1.0
    assert _actions(hub, world.pid)[-4:] == ["consensus.reset", "consensus.submit", "consensus.submit",
                                             "consensus.merge"]  # fmt: skip


def _report(hub: Hub, w: World) -> AgreementReport:
    with hub.db.session() as s:
        return project_agreement(s, w.actors["reviewer"], w.pid)


def test_the_report_reads_the_pair_scores_kept_at_the_merge(hub: Hub, world: World) -> None:
    a, b, c, d = world.items
    _merge(hub, world, a, {"ann1": [tag("cat"), box("cat", 10, 10, 50, 50)], "ann2": [tag("cat")],
                           "ann3": [tag("dog"), box("cat", 12, 12, 52, 52)]})  # fmt: skip
    _merge(hub, world, b, {"ann1": [tag("dog")], "ann2": [tag("dog")]})
    _merge(hub, world, c, {"ann2": [box("dog", 0, 0, 10, 10)], "ann3": [box("dog", 1, 1, 11, 11)]})
    _set(hub, world, 3, [d])  # open: two of three submitted, compared from the replicas
    _save(hub, world, "ann1", [tag("cat")], 0, done=True, item=d)
    _save(hub, world, "ann3", [tag("dog")], 0, done=True, item=d)
    kept = _item(hub, a).meta["consensus"]
    u1, u2, u3 = (world.actors[p].user_id for p in ("ann1", "ann2", "ann3"))
    assert [p[:2] for p in kept["pairs"]] == [[u1, u2], [u1, u3], [u2, u3]]
    assert kept["classes"] == {str(u1): ["cat"], str(u2): ["cat"], str(u3): ["dog"]}
    stored = _report(hub, world)

    with hub.db.session(write=True) as s:  # as items merged before the scores were kept
        for iid in (a, b, c):
            meta = dict(s.get(Item, iid).meta)  # type: ignore[union-attr]
            meta["consensus"] = {k: v for k, v in meta["consensus"].items() if k not in ("pairs", "classes")}
            s.execute(update(Item).where(Item.id == iid).values(meta=meta))
    assert _report(hub, world) == stored  # the same figures, compared from the replicas

    with hub.db.session(write=True) as s:  # kept scores are what the report reads
        meta = dict(s.get(Item, b).meta)  # type: ignore[union-attr]
        meta["consensus"] = {**meta["consensus"], "pairs": [[u1, u2, 0.25]], "classes": {}}
        s.execute(update(Item).where(Item.id == b).values(meta=meta))
    lowest = {x.item_id: x.agreement for x in _report(hub, world).lowest}
    assert lowest[b] == 0.25 and stored.items_scored == 4 and stored.items_open == 1 and stored.items_merged == 3
