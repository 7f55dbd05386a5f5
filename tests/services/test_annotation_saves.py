"""Saves planned in one transaction and written in another: the item's version guards the gap."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from tests.builders import new_project

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import ItemRecord
from labelhub.errors import ConflictError, NotFoundError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.annotations import AnnotationInput, apply_save, list_annotations, plan_save
from labelhub.services.imports import import_records
from labelhub.storage.models import Item

SYSTEM = Actor.system()


def _item(hub: Hub) -> tuple[int, int]:
    pid = new_project(hub, "p", ItemKind.IMAGE)
    import_records(hub, SYSTEM, pid, [ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=100, height=80)],
                   labels=["cat"], format_name="test", options=ImportOptions(media="none"))  # fmt: skip
    with hub.db.session() as s:
        iid = s.scalar(select(Item.id).where(Item.project_id == pid))
    assert iid is not None
    return pid, iid


def _box(x: float) -> AnnotationInput:
    return AnnotationInput(kind=AnnotationKind.BOX, label="cat", geometry={"bbox": [x, 1, x + 10, 11]})


def test_a_plan_overtaken_by_another_save_is_a_conflict_and_writes_nothing(hub: Hub) -> None:
    pid, iid = _item(hub)
    with hub.db.session() as s:
        mine = plan_save(s, SYSTEM, pid, iid, expected_version=1, annotations=[_box(1), _box(20)])
        theirs = plan_save(s, SYSTEM, pid, iid, expected_version=1, annotations=[_box(40)])
    with hub.db.session(write=True) as s:
        assert apply_save(s, SYSTEM, theirs) == 2
    with pytest.raises(ConflictError) as err, hub.db.session(write=True) as s:
        apply_save(s, SYSTEM, mine)
    assert err.value.context["current_version"] == 2
    with hub.db.session() as s:
        assert [r.geometry["bbox"][0] for r in list_annotations(s, iid)] == [40.0]


def test_a_stale_version_is_refused_while_planning(hub: Hub) -> None:
    pid, iid = _item(hub)
    with pytest.raises(ConflictError), hub.db.session() as s:
        plan_save(s, SYSTEM, pid, iid, expected_version=7, annotations=[_box(1)])


def test_an_item_deleted_between_plan_and_write_is_not_found(hub: Hub) -> None:
    pid, iid = _item(hub)
    with hub.db.session() as s:
        plan = plan_save(s, SYSTEM, pid, iid, expected_version=1, annotations=[_box(1)])
    with hub.db.session(write=True) as s:
        s.execute(delete(Item).where(Item.id == iid))
    with pytest.raises(NotFoundError), hub.db.session(write=True) as s:
        apply_save(s, SYSTEM, plan)


def _save(hub: Hub, pid: int, iid: int, annotations: list[AnnotationInput]) -> str:
    """Save as a reviewer would (the system actor may review) and return the item's status afterwards."""
    with hub.db.session(write=True) as s:
        version = s.get_one(Item, iid).version
        apply_save(s, SYSTEM, plan_save(s, SYSTEM, pid, iid, expected_version=version, annotations=annotations))
    with hub.db.session() as s:
        return s.get_one(Item, iid).status


def test_an_item_is_labelled_by_an_accepted_annotation_not_by_a_proposal_or_a_rejected_one(hub: Hub) -> None:
    pid, iid = _item(hub)

    def proposal(state: AnnotationState, ann_id: int | None = None) -> AnnotationInput:
        return AnnotationInput(kind=AnnotationKind.BOX, label="cat", geometry={"bbox": [1, 1, 11, 11]},
                               source=Source.MODEL, model_version="m@1", score=0.6, state=state, id=ann_id)  # fmt: skip

    assert _save(hub, pid, iid, [proposal(AnnotationState.PROPOSED)]) == "new"  # pre-labelled: still to label
    with hub.db.session() as s:
        (ann_id,) = [r.id for r in list_annotations(s, iid)]
    assert _save(hub, pid, iid, [proposal(AnnotationState.REJECTED, ann_id)]) == "new"  # the reviewer said no
    assert _save(hub, pid, iid, [proposal(AnnotationState.ACCEPTED, ann_id)]) == "labeled"
    assert _save(hub, pid, iid, [proposal(AnnotationState.ACCEPTED, ann_id), _box(30)]) == "labeled"
    # Every label removed: the item is to label again, not "labelled" with nothing on it.
    assert _save(hub, pid, iid, []) == "new"
