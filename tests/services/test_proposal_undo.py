"""Undoing a decision on a model's proposal gives the proposal back: open, the model's, with its score."""

from __future__ import annotations

import pytest
from tests.builders import new_project

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Role, Source
from labelhub.domain.records import ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.annotations import AnnotationInput, apply_save, list_annotations, plan_save
from labelhub.services.imports import import_records
from labelhub.services.projects import set_member
from labelhub.services.users import create_user
from labelhub.storage.models import Item

SYSTEM = Actor.system()
BOX = [1.0, 1.0, 11.0, 11.0]


def _proposal(ann_id: int | None = None, bbox: list[float] = BOX, **changes: object) -> AnnotationInput:
    fields: dict[str, object] = {"kind": AnnotationKind.BOX, "label": "cat", "geometry": {"bbox": bbox},
                                 "source": Source.MODEL, "model_version": "m@1", "score": 0.6,
                                 "state": AnnotationState.PROPOSED, "id": ann_id, **changes}  # fmt: skip
    return AnnotationInput(**fields)  # type: ignore[arg-type]


def _save(hub: Hub, actor: Actor, pid: int, iid: int, annotations: list[AnnotationInput]) -> list[dict[str, object]]:
    with hub.db.session(write=True) as s:
        version = s.get_one(Item, iid).version
        apply_save(s, actor, plan_save(s, actor, pid, iid, expected_version=version, annotations=annotations))
    with hub.db.session() as s:
        return [{"id": r.id, "source": r.source, "state": r.state, "score": r.score, "model_version": r.model_version,
                 "reviewed_by": r.reviewed_by, "bbox": r.geometry["bbox"], "status": s.get_one(Item, iid).status}
                for r in list_annotations(s, iid)]  # fmt: skip


@pytest.fixture
def item(hub: Hub) -> tuple[int, int, int]:
    """A project with one image holding one open proposal of m@1; (project id, item id, annotation id)."""
    pid = new_project(hub, "p", ItemKind.IMAGE)
    import_records(hub, SYSTEM, pid, [ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=100, height=80)],
                   labels=["cat"], format_name="test", options=ImportOptions(media="none"))  # fmt: skip
    with hub.db.session() as s:
        iid = s.query(Item.id).filter(Item.project_id == pid).scalar()
    assert iid is not None
    (row,) = _save(hub, SYSTEM, pid, iid, [_proposal()])
    return pid, iid, int(row["id"])  # type: ignore[call-overload]


def _annotator(hub: Hub, pid: int) -> Actor:
    with hub.db.session(write=True) as s:
        user = create_user(s, SYSTEM, "annie", "a-long-password-1")
        set_member(s, SYSTEM, pid, user.id, Role.ANNOTATOR)
        return Actor(user.id, user.username, False)


@pytest.mark.parametrize("who", ["reviewer", "annotator"])
def test_undoing_an_edit_of_a_proposal_gives_the_proposal_back(hub: Hub, item: tuple[int, int, int], who: str) -> None:
    pid, iid, aid = item
    actor = SYSTEM if who == "reviewer" else _annotator(hub, pid)
    (edited,) = _save(hub, actor, pid, iid, [_proposal(aid, bbox=[1.0, 1.0, 31.0, 11.0])])
    assert (edited["source"], edited["state"], edited["score"], edited["status"]) == (
        "human",
        "accepted",
        None,
        "labeled",
    )
    (undone,) = _save(hub, actor, pid, iid, [_proposal(aid)])  # what the editor's undo sends: the proposal as it was
    assert undone == {"id": aid, "source": "model", "state": "proposed", "score": 0.6, "model_version": "m@1",
                      "reviewed_by": None, "bbox": BOX, "status": "new"}  # fmt: skip


def test_undoing_an_accept_reopens_the_proposal_without_a_reviewer(hub: Hub, item: tuple[int, int, int]) -> None:
    pid, iid, aid = item
    (accepted,) = _save(hub, SYSTEM, pid, iid, [_proposal(aid, state=AnnotationState.ACCEPTED)])
    assert (accepted["source"], accepted["state"], accepted["status"]) == ("model", "accepted", "labeled")
    (undone,) = _save(hub, SYSTEM, pid, iid, [_proposal(aid)])
    assert (undone["state"], undone["reviewed_by"], undone["status"]) == ("proposed", None, "new")


def test_a_persons_label_sent_back_as_proposed_stays_an_accepted_label(hub: Hub, item: tuple[int, int, int]) -> None:
    pid, iid, aid = item
    _save(hub, SYSTEM, pid, iid, [_proposal(aid, bbox=[1.0, 1.0, 31.0, 11.0])])  # now the person's
    # A client that says "proposed" without giving it back to its model: not a proposal, a person's label.
    (row,) = _save(hub, SYSTEM, pid, iid, [_proposal(aid, source=Source.HUMAN, model_version=None)])
    assert (row["source"], row["state"], row["score"], row["status"]) == ("human", "accepted", None, "labeled")
    # Nor can a save give it to a model it did not come from.
    (other,) = _save(hub, SYSTEM, pid, iid, [_proposal(aid, model_version="other@2")])
    assert (other["source"], other["state"], other["model_version"]) == ("human", "accepted", "m@1")
