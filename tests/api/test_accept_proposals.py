"""A reviewer accepts the model's open proposals over a grid selection: boxes all, one class per item, a score
floor; the items become labelled with new versions; annotators may not; another project's id changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.storage.models import Annotation, Item


def _propose(hub: Hub, pid: int, item_id: int, kind: str, label: str, score: float) -> int:
    """Store a model proposal as pre-labelling does."""
    geometry: dict[str, Any] = {"bbox": [1, 1, 9, 9]} if kind == "box" else {}
    with hub.db.session(write=True) as s:
        a = Annotation(item_id=item_id, project_id=pid, kind=kind, label=label, geometry=geometry, source="model",
                       model_version="det@1", score=score, state="proposed")  # fmt: skip
        s.add(a)
        s.flush()
        return a.id


def _states(hub: Hub, ids: list[int]) -> dict[int, tuple[str, int | None]]:
    with hub.db.session() as s:
        rows = s.execute(select(Annotation.id, Annotation.state, Annotation.reviewed_by).where(Annotation.id.in_(ids)))
        return {aid: (state, by) for aid, state, by in rows}


def _accept(client: TestClient, headers: dict[str, str], pid: int, ids: list[int], **extra: Any) -> Any:
    return client.post(f"{API}/projects/{pid}/items/accept-proposals", json={"item_ids": ids, **extra}, headers=headers)


def test_a_reviewer_accepts_the_selected_items_proposals_above_a_score(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "boxes", labels=[{"name": "cat"}, {"name": "dog"}])["id"]
    import_coco(hub, pid, write_coco(tmp_path / "c.json", [("a.jpg", 64, 48, [("cat", (1, 1, 5, 5))]),
                                                            ("b.jpg", 64, 48, []), ("c.jpg", 64, 48, [])]))  # fmt: skip
    a, b, c = item_ids(client, admin_headers, pid)
    sure, unsure = _propose(hub, pid, a, "box", "dog", 0.9), _propose(hub, pid, a, "box", "cat", 0.4)
    other = _propose(hub, pid, b, "box", "cat", 0.95)
    rid, reviewer = quick_user(hub, "rita")
    aid, annotator = quick_user(hub, "ann")
    for uid, role in ((rid, "reviewer"), (aid, "annotator")):
        assert client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role},
                          headers=admin_headers).status_code == 200  # fmt: skip
    versions = {
        i["id"]: i["version"] for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
    }

    assert_problem(_accept(client, annotator, pid, [a, b]), 403)
    r = _accept(client, reviewer, pid, [a, b, c], min_score=0.5)
    assert r.status_code == 200, r.text
    assert r.json() == {"items": 2, "accepted": 2, "skipped": 0, "rejected": 0}
    assert _states(hub, [sure, unsure, other]) == {sure: ("accepted", rid), unsure: ("proposed", None),
                                                   other: ("accepted", rid)}  # fmt: skip
    after = {i["id"]: i for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]}
    assert after[b]["status"] == "labeled" and after[b]["version"] == versions[b] + 1
    assert after[a]["version"] == versions[a] + 1 and after[c]["version"] == versions[c]  # c had none
    again = _accept(client, reviewer, pid, [a, b]).json()
    assert again == {"items": 1, "accepted": 1, "skipped": 0, "rejected": 0}  # the 0.4 one
    events = client.get(f"{API}/projects/{pid}/audit", params={"action": "item.accept_proposals"},
                        headers=admin_headers).json()["events"]  # fmt: skip
    assert [e["detail"]["accepted"] for e in events] == [1, 2] and events[0]["username"] == "rita"


def test_one_class_per_item_and_another_project_s_item_changes_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(
        client, admin_headers, "texts", item_kind="text", labels=[{"name": "card"}, {"name": "refund"}]
    )["id"]

    records = [ItemRecord(kind=ItemKind.TEXT, name="labelled", text="my card is lost",
                          annotations=[AnnotationRecord(kind=AnnotationKind.CLASS, label="card")]),
               ItemRecord(kind=ItemKind.TEXT, name="open", text="I want my money back")]  # fmt: skip
    import_records(
        hub, Actor.system(), pid, records, labels=[], format_name="test", options=ImportOptions(media="none")
    )
    labelled, open_ = item_ids(client, admin_headers, pid)
    on_labelled = _propose(hub, pid, labelled, "class", "refund", 0.99)
    first, second = _propose(hub, pid, open_, "class", "refund", 0.8), _propose(hub, pid, open_, "class", "card", 0.7)
    other_pid = create_project(client, admin_headers, "other", item_kind="text")["id"]
    import_records(hub, Actor.system(), other_pid, [ItemRecord(kind=ItemKind.TEXT, name="x", text="x")], labels=[],
                   format_name="test", options=ImportOptions(media="none"))  # fmt: skip
    (foreign,) = item_ids(client, admin_headers, other_pid)

    body = assert_problem(_accept(client, admin_headers, pid, [open_, foreign]), 422, field="item_ids")
    assert str(foreign) in body["detail"] and "nothing was accepted" in body["detail"]
    assert _states(hub, [first, second])[first][0] == "proposed"

    r = _accept(client, admin_headers, pid, [labelled, open_])
    assert r.json() == {"items": 1, "accepted": 1, "skipped": 2, "rejected": 0}
    states = _states(hub, [on_labelled, first, second])
    assert [states[i][0] for i in (on_labelled, first, second)] == ["proposed", "accepted", "proposed"]
    with hub.db.session() as s:
        assert s.get_one(Item, open_).status == "labeled"
