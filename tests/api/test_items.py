"""Items: keyset pages and filters, replacing annotations with validation and versions, and review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import (
    API,
    assert_problem,
    create_project,
    import_coco,
    item_ids,
    quick_user,
    write_coco,
)
from tests.conftest import make_user

from labelhub.api.app import create_app
from labelhub.api.schemas import AnnotationPublic, AnnotationsPublic
from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records

BOX = {"kind": "box", "label": "cat", "geometry": {"bbox": [10, 10, 50, 60]}}
TEXTS = ["I want a REFUND for my card", "refunds take 100% of the time", "card arrived broken, 1000 reasons",
         "where is my card_x", "hello world"]  # fmt: skip


def _image_project(
    client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path, n: int = 30
) -> tuple[int, list[int]]:
    """A project of ``n`` 640x480 images: index % 3 == 0 has a cat, 1 a dog, 2 nothing (split ``val``)."""
    pid = create_project(client, headers, "images", labels=[{"name": "cat"}, {"name": "dog"}])["id"]
    images = [(f"img{i:02}.jpg", 640, 480, [(("cat", "dog")[i % 3], (5, 5, 20, 20))] if i % 3 < 2 else [])
              for i in range(n)]  # fmt: skip
    import_coco(hub, pid, write_coco(tmp / "instances_val.json", images))
    ids = item_ids(client, headers, pid)
    assert len(ids) == n
    return pid, ids


def _text_project(client: TestClient, hub: Hub, headers: dict[str, str]) -> tuple[int, list[int]]:
    pid = create_project(client, headers, "texts", item_kind="text", labels=[{"name": "intent"}])["id"]
    records = [ItemRecord(kind=ItemKind.TEXT, name=f"t{i}", text=t) for i, t in enumerate(TEXTS)]
    import_records(hub, Actor.system(), pid, records, labels=[], format_name="test",
                   options=ImportOptions(media="none"))  # fmt: skip
    return pid, item_ids(client, headers, pid)


def _annotations(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{pid}/items/{iid}/annotations", headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    # The route serialises rows itself: what it sends must be exactly the documented shape.
    AnnotationsPublic.model_validate(out, strict=False)
    assert all(set(a) == set(AnnotationPublic.model_fields) for a in out["annotations"])
    return out


def _put(client: TestClient, headers: dict[str, str], pid: int, iid: int, version: int, anns: list[Any]) -> Any:
    return client.put(f"{API}/projects/{pid}/items/{iid}/annotations",
                      json={"version": version, "annotations": anns}, headers=headers)  # fmt: skip


def test_keyset_paging_visits_every_item_once_in_id_order(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path)
    seen: list[int] = []
    sizes: list[int] = []
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 7} | ({"after": after} if after is not None else {})
        page = client.get(f"{API}/projects/{pid}/items", params=params, headers=admin_headers).json()
        seen += [i["id"] for i in page["items"]]
        sizes.append(len(page["items"]))
        if page["next_after"] is None:
            break
        assert page["next_after"] == page["items"][-1]["id"]
        after = page["next_after"]
    assert seen == sorted(ids) and len(set(seen)) == 30
    assert sizes == [7, 7, 7, 7, 2]
    first = client.get(f"{API}/projects/{pid}/items", params={"limit": 7}, headers=admin_headers).json()
    assert [i["annotation_count"] for i in first["items"]] == [1, 1, 0, 1, 1, 0, 1]


def test_before_gives_the_items_just_before_an_id_with_the_filters(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=12)
    url = f"{API}/projects/{pid}/items"
    page = client.get(url, params={"before": ids[7], "limit": 3}, headers=admin_headers).json()
    assert [i["id"] for i in page["items"]] == ids[4:7] and page["next_after"] is None
    cats = [iid for i, iid in enumerate(ids) if i % 3 == 0]  # the previous cat before the last item
    page = client.get(url, params={"before": ids[-1], "limit": 1, "label": "cat"}, headers=admin_headers).json()
    assert [i["id"] for i in page["items"]] == [c for c in cats if c < ids[-1]][-1:]
    assert client.get(url, params={"before": ids[0]}, headers=admin_headers).json()["items"] == []
    both = client.get(url, params={"before": ids[5], "after": ids[1]}, headers=admin_headers)
    assert_problem(both, 422, field="before")


def test_each_filter_selects_the_right_items(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path)
    model = {"kind": "box", "geometry": {"bbox": [1, 1, 9, 9]}, "source": "model", "model_version": "m1"}
    r = _put(client, admin_headers, pid, ids[0], 1, [{**BOX, "label": "cat"}, {**model, "label": "dog", "score": 0.9}])
    assert r.status_code == 200, r.text
    r = _put(client, admin_headers, pid, ids[2], 1, [{**model, "label": "cat", "score": 0.2, "state": "accepted"}])
    assert r.status_code == 200, r.text
    for iid, approve in ((ids[3], True), (ids[4], False)):
        body = {"approve": approve, "comment": "" if approve else "missing the cat"}
        r = client.post(f"{API}/projects/{pid}/items/{iid}/review", json=body, headers=admin_headers)
        assert r.status_code == 200, r.text

    def q(**query: Any) -> list[int]:
        return item_ids(client, admin_headers, pid, **query)

    dogs = [iid for i, iid in enumerate(ids) if i % 3 == 1]
    empty = [iid for i, iid in enumerate(ids) if i % 3 == 2 and i != 2]
    assert q(status="reviewed") == [ids[3]]
    assert q(status="rejected") == [ids[4]]
    assert q(status="new") == empty
    assert q(label="dog") == sorted([ids[0], *dogs])
    assert q(label="bird") == []
    assert q(source="model") == [ids[0], ids[2]]
    assert q(source="human") == [iid for i, iid in enumerate(ids) if i % 3 < 2]
    assert q(state="proposed") == [ids[0]]
    assert q(min_score=0.8) == [ids[0]]
    assert q(max_score=0.3) == [ids[2]]
    assert q(min_score=0.1, max_score=0.95) == [ids[0], ids[2]]
    assert q(label="cat", source="model") == [ids[2]]  # one annotation must match every condition at once
    assert q(unlabeled=True) == empty
    assert q(split="val") == ids and q(split="train") == []
    assert q(kind="image") == ids and q(kind="text") == []
    assert q(q="img07") == [ids[7]]


def test_text_search_matches_text_and_names_literally(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid, ids = _text_project(client, hub, admin_headers)

    def q(text: str) -> list[int]:
        return item_ids(client, admin_headers, pid, q=text)

    assert q("refund") == [ids[0], ids[1]]  # case-insensitive
    assert q("100%") == [ids[1]]  # % and _ are literal characters, not wildcards
    assert q("card_") == [ids[3]]
    assert q("t4") == [ids[4]]  # the item's name
    assert q("nothing like this") == []


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"min_score": 2}, {"status": "done"}, {"after": "x"}],
    ids=["zero", "too-big", "not-a-number", "score-above-1", "unknown-status", "bad-after"],
)
def test_invalid_query_parameters_are_422_problems(
    client: TestClient, admin_headers: dict[str, str], query: dict[str, Any]
) -> None:
    pid = create_project(client, admin_headers, "p")["id"]
    r = client.get(f"{API}/projects/{pid}/items", params=query, headers=admin_headers)
    assert_problem(r, 422, field=f"query.{next(iter(query))}")


INVALID: list[tuple[str, list[dict[str, Any]], str]] = [
    ("inverted-box", [{**BOX, "geometry": {"bbox": [10, 10, 5, 5]}}], "annotations[0].geometry.bbox"),
    ("three-numbers", [{**BOX, "geometry": {"bbox": [1, 2, 3]}}], "annotations[0].geometry.bbox"),
    ("no-bbox", [{**BOX, "geometry": {}}], "annotations[0].geometry.bbox"),
    ("string-coordinate", [{**BOX, "geometry": {"bbox": [1, "2", 3, 4]}}], "annotations[0].geometry.bbox[1]"),
    ("outside-image", [{**BOX, "geometry": {"bbox": [600, 400, 700, 470]}}], "annotations[0].geometry.bbox"),
    ("below-image", [{**BOX, "geometry": {"bbox": [10, 400, 20, 500]}}], "annotations[0].geometry.bbox"),
    ("negative", [{**BOX, "geometry": {"bbox": [-5, 0, 10, 10]}}], "annotations[0].geometry.bbox"),
    ("second-one", [BOX, {**BOX, "geometry": {"bbox": [0, 0, 0, 0]}}], "annotations[1].geometry.bbox"),
    ("polygon-two-points", [{"kind": "polygon", "label": "cat", "geometry": {"points": [1, 1, 5, 5]}}],
     "annotations[0].geometry.points"),
    ("keypoint-visibility", [{"kind": "keypoints", "label": "cat", "geometry": {"points": [1, 1, 3]}}],
     "annotations[0].geometry.points"),
    ("mask-size", [{"kind": "mask", "label": "cat", "geometry": {"size": [10, 10], "counts": [100]}}],
     "annotations[0].geometry.size"),
    ("mask-counts", [{"kind": "mask", "label": "cat", "geometry": {"size": [480, 640], "counts": [5, 5]}}],
     "annotations[0].geometry.counts"),
    ("class-with-geometry", [{"kind": "class", "label": "cat", "geometry": {"bbox": [1, 1, 2, 2]}}],
     "annotations[0].geometry"),
    ("unknown-label", [{**BOX, "label": "zebra"}], "annotations[0].label"),
    ("missing-label", [{**BOX, "label": None}], "annotations[0].label"),
    ("score-above-1", [{**BOX, "score": 1.5}], "annotations[0].score"),
    ("model-without-version", [{**BOX, "source": "model"}], "annotations[0].model_version"),
    ("unknown-kind", [{**BOX, "kind": "cuboid"}], "annotations[0].kind"),
    ("negative-frame", [{**BOX, "frame": -1}], "annotations[0].frame"),
]  # fmt: skip


@pytest.mark.parametrize(("anns", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_annotations_are_422_naming_the_field_and_write_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path,
    anns: list[dict[str, Any]], field: str,
) -> None:  # fmt: skip
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    before = _annotations(client, admin_headers, pid, ids[0])
    assert_problem(_put(client, admin_headers, pid, ids[0], before["version"], anns), 422, field=field)
    assert _annotations(client, admin_headers, pid, ids[0]) == before


def test_kinds_outside_the_schema_and_spans_past_the_text_are_refused(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid, ids = _text_project(client, hub, admin_headers)
    span = {"kind": "span", "label": "intent"}
    r = _put(client, admin_headers, pid, ids[4], 1, [{**span, "geometry": {"start": 6, "end": 20}}])
    assert "past the text length 11" in assert_problem(r, 422, field="annotations[0].geometry.end")["detail"]
    r = _put(client, admin_headers, pid, ids[4], 1, [{**span, "geometry": {"start": 6, "end": 11}}])
    assert r.status_code == 200 and r.json()["annotations"][0]["geometry"] == {"start": 6, "end": 11}

    boxes_only = create_project(client, admin_headers, "boxes", kinds=["box"], labels=[{"name": "cat"}])["id"]
    r = _put(client, admin_headers, boxes_only, ids[4], 1, [BOX])
    assert_problem(r, 404, field="item_id")  # an item of another project
    import_records(hub, Actor.system(), boxes_only, [ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=64,
                   height=64)], labels=[], format_name="test", options=ImportOptions(media="none"))  # fmt: skip
    iid = item_ids(client, admin_headers, boxes_only)[0]
    poly = {"kind": "polygon", "label": "cat", "geometry": {"points": [1, 1, 5, 1, 5, 5]}}
    assert_problem(_put(client, admin_headers, boxes_only, iid, 1, [poly]), 422, field="annotations[0].kind")


def test_a_stale_version_is_a_409_and_writes_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    start = _annotations(client, admin_headers, pid, ids[0])
    saved = _put(client, admin_headers, pid, ids[0], start["version"], [BOX])
    assert saved.status_code == 200 and saved.json()["version"] == start["version"] + 1
    r = _put(client, admin_headers, pid, ids[0], start["version"], [{**BOX, "label": "dog"}, BOX])
    assert assert_problem(r, 409, field="version")["current_version"] == start["version"] + 1
    assert _annotations(client, admin_headers, pid, ids[0]) == saved.json()


def test_an_unknown_annotation_id_writes_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=2)
    before = _annotations(client, admin_headers, pid, ids[0])
    foreign = _annotations(client, admin_headers, pid, ids[1])["annotations"][0]["id"]
    r = _put(client, admin_headers, pid, ids[0], before["version"], [{**BOX, "id": foreign}])
    assert_problem(r, 422, field="annotations[0].id")
    assert _annotations(client, admin_headers, pid, ids[0]) == before


def test_updating_by_id_keeps_the_id_and_bumps_only_changed_versions(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    first = _put(client, admin_headers, pid, ids[0], 1, [BOX, {**BOX, "label": "dog"}, {**BOX, "label": "cat"}])
    a, b, c = first.json()["annotations"]
    assert [x["version"] for x in (a, b, c)] == [1, 1, 1]
    moved = {"id": a["id"], "kind": "box", "label": "cat", "geometry": {"bbox": [11, 10, 50, 60]}}
    same = {"id": b["id"], "kind": "box", "label": "dog", "geometry": b["geometry"]}
    r = _put(client, admin_headers, pid, ids[0], first.json()["version"], [moved, same])  # c is deleted
    assert r.status_code == 200, r.text
    after = {x["id"]: x for x in r.json()["annotations"]}
    assert set(after) == {a["id"], b["id"]}
    assert after[a["id"]]["version"] == 2 and after[a["id"]]["geometry"]["bbox"] == [11, 10, 50, 60]
    assert after[b["id"]]["version"] == 1 and after[b["id"]]["created_at"] == b["created_at"]


def test_of_two_editors_at_the_same_version_the_first_wins(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    editors = []
    for name in ("ann", "bea"):
        uid, headers = quick_user(hub, name)
        client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": "annotator"}, headers=admin_headers)
        editors.append(headers)
    url = f"{API}/projects/{pid}/items/{ids[0]}/annotations"
    with TestClient(create_app(hub, run_worker=False)) as second:
        v_ann = client.get(url, headers=editors[0]).json()["version"]
        v_bea = second.get(url, headers=editors[1]).json()["version"]
        assert v_ann == v_bea
        won = client.put(url, json={"version": v_ann, "annotations": [BOX]}, headers=editors[0])
        lost = second.put(url, json={"version": v_bea, "annotations": [{**BOX, "label": "dog"}]}, headers=editors[1])
    assert won.status_code == 200
    assert assert_problem(lost, 409)["current_version"] == v_ann + 1
    final = _annotations(client, admin_headers, pid, ids[0])
    assert [x["label"] for x in final["annotations"]] == ["cat"] and final["version"] == v_ann + 1


def test_review_sets_the_item_status(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    item = f"{API}/projects/{pid}/items/{ids[0]}"
    assert client.get(item, headers=admin_headers).json()["status"] == "labeled"
    r = client.post(f"{item}/review", json={"approve": False, "comment": "box too loose"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert client.get(item, headers=admin_headers).json()["status"] == "rejected"
    r = client.post(f"{item}/review", json={"approve": True}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["status"] == "reviewed"
    assert client.get(item, headers=admin_headers).json()["status"] == "reviewed"
    assert_problem(client.post(f"{item}/review", json={}, headers=admin_headers), 422, field="approve")
    assert_problem(client.post(f"{API}/projects/{pid}/items/999999/review", json={"approve": True},
                               headers=admin_headers), 404, field="item_id")  # fmt: skip


def test_a_review_makes_an_editor_s_older_copy_stale(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    before = _annotations(client, admin_headers, pid, ids[0])
    body = {"approve": False, "comment": "loose box"}
    r = client.post(f"{API}/projects/{pid}/items/{ids[0]}/review", json=body, headers=admin_headers)
    assert r.json()["version"] == before["version"] + 1
    # The annotator's editor still holds the pre-review version: its save must not wipe the rejection.
    assert_problem(_put(client, admin_headers, pid, ids[0], before["version"], [BOX]), 409, field="version")
    assert client.get(f"{API}/projects/{pid}/items/{ids[0]}", headers=admin_headers).json()["status"] == "rejected"


def test_an_annotator_who_confirms_or_edits_a_proposal_makes_it_their_own_label(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    model = {"source": "model", "model_version": "m1"}
    proposals = [{**BOX, **model, "score": 0.7}, {**BOX, **model, "geometry": {"bbox": [50, 50, 60, 60]}, "score": 0.6},
                 {**BOX, **model, "geometry": {"bbox": [70, 70, 90, 90]}, "score": 0.5}]  # fmt: skip
    saved = _put(client, admin_headers, pid, ids[0], _annotations(client, admin_headers, pid, ids[0])["version"],
                 proposals).json()  # fmt: skip
    first, second, third = saved["annotations"]
    assert (first["source"], first["state"], first["reviewed_by"]) == ("model", "proposed", None)
    annotator = make_user(hub, "ann")
    uid = client.get(f"{API}/auth/me", headers=annotator).json()["id"]
    client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": "annotator"}, headers=admin_headers)
    v = saved["version"]
    # Rejecting, removing or forging a proposal is refused: each would misstate what the model did.
    assert_problem(_put(client, annotator, pid, ids[0], v, [first, second, {**third, "state": "rejected"}]), 403)
    assert_problem(_put(client, annotator, pid, ids[0], v, [first, second]), 403, field="annotations")
    forged = {**BOX, "source": "model", "model_version": "fake@9", "score": 0.99}
    assert_problem(_put(client, annotator, pid, ids[0], v, [first, second, third, forged]), 403)
    # Confirming one (leaving out its source, as an editor may) and moving another: both become the annotator's
    # own labels, unscored, remembering the model; the third stays the model's open proposal.
    confirmed = {"id": first["id"], "kind": "box", "label": "cat", "geometry": first["geometry"], "state": "accepted"}
    moved = {**second, "geometry": {"bbox": [52, 52, 62, 62]}}
    out = _put(client, annotator, pid, ids[0], v, [confirmed, moved, third]).json()["annotations"]
    by_id = {a["id"]: a for a in out}
    for a in (by_id[first["id"]], by_id[second["id"]]):
        assert (a["source"], a["state"], a["score"], a["model_version"], a["author_id"], a["reviewed_by"]) == (
            "human", "accepted", None, "m1", uid, None)  # fmt: skip
    assert (by_id[third["id"]]["source"], by_id[third["id"]]["state"], by_id[third["id"]]["score"]) == (
        "model", "proposed", 0.5)  # fmt: skip


def test_a_reviewer_who_relabels_a_proposal_makes_it_their_own_label(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _image_project(client, hub, admin_headers, tmp_path, n=1)
    version = _annotations(client, admin_headers, pid, ids[0])["version"]
    model = {"source": "model", "model_version": "m1"}
    proposals = [{**BOX, **model, "score": 0.7}, {**BOX, **model, "geometry": {"bbox": [50, 50, 60, 60]}, "score": 0.6}]
    saved = _put(client, admin_headers, pid, ids[0], version, proposals).json()
    first, second = saved["annotations"]
    me = client.get(f"{API}/auth/me", headers=admin_headers).json()["id"]
    # The editor sends the proposal back with the model's source and score, only the label changed; the other
    # proposal is accepted as it is.
    relabelled = {**first, "label": "dog"}
    accepted = {**second, "state": "accepted"}
    out = _put(client, admin_headers, pid, ids[0], saved["version"], [relabelled, accepted]).json()["annotations"]
    mine, kept = sorted(out, key=lambda a: a["id"])
    assert (mine["label"], mine["source"], mine["state"], mine["score"]) == ("dog", "human", "accepted", None)
    assert (mine["author_id"], mine["model_version"]) == (me, "m1")  # still says which model proposed it
    assert (kept["source"], kept["state"], kept["score"], kept["reviewed_by"]) == ("model", "accepted", 0.6, me)
    # A rejected proposal is not counted on the item's thumbnail.
    version = _annotations(client, admin_headers, pid, ids[0])["version"]
    _put(client, admin_headers, pid, ids[0], version, [mine, {**kept, "state": "rejected"}])
    (listed,) = [i for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
                 if i["id"] == ids[0]]  # fmt: skip
    assert listed["annotation_count"] == 1
    # The item alone and a review's answer count the same as its row in the list.
    item_url = f"{API}/projects/{pid}/items/{ids[0]}"
    assert client.get(item_url, headers=admin_headers).json()["annotation_count"] == 1
    reviewed = client.post(f"{item_url}/review", json={"approve": True}, headers=admin_headers).json()
    assert reviewed["annotation_count"] == 1
