"""Duplicates: exact copies by content hash, near copies from the index, and keeping one of a group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from sqlalchemy import select
from tests.services._search import (
    NEAR_TEXTS,
    SYSTEM,
    banking_rows,
    coco_images,
    configure,
    image_project,
    item_ids,
    text_project,
)
from tests.services._search import tiny_clip as tiny_clip

from labelhub.errors import PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.search import near_duplicates, open_index
from labelhub.services._neighbours import _searched, leader_groups, neighbours
from labelhub.services._spaces import index_folder
from labelhub.services.access import Actor
from labelhub.services.duplicates import find_duplicates, forget_in_indexes, resolve_duplicates
from labelhub.services.embeddings import embed_project
from labelhub.services.search import search_text
from labelhub.services.users import create_user
from labelhub.storage.models import AuditEvent, Item, Membership


@pytest.fixture
def texts(hub: Hub, tmp_path: Path) -> int:
    pid = text_project(hub, tmp_path / "data", NEAR_TEXTS + banking_rows(per_class=3)[3:])
    embed_project(hub, SYSTEM, pid)
    return pid


def test_exact_and_near_text_duplicates(hub: Hub, texts: int) -> None:
    ids = item_ids(hub, texts)
    with hub.db.session() as s:
        space, groups = find_duplicates(s, hub, SYSTEM, texts, threshold=0.9)
    assert space == "ngram"
    exact = [g for g in groups if g.kind == "exact"]
    near = [g for g in groups if g.kind == "near"]
    assert [[m.item_id for m in g.items] for g in exact] == [[ids["t002"], ids["t003"]]]
    assert [m.similarity for m in exact[0].items] == [1.0, 1.0]
    assert [sorted(m.item_id for m in g.items) for g in near] == [[ids["t000"], ids["t001"]]]
    assert 0.9 <= near[0].items[1].similarity < 1.0 and near[0].items[0].similarity == 1.0
    assert near[0].items[0].name in ("t000", "t001") and near[0].items[0].thumb_url is None


def test_a_higher_threshold_finds_fewer_near_groups(hub: Hub, texts: int) -> None:
    with hub.db.session() as s:
        _, loose = find_duplicates(s, hub, SYSTEM, texts, threshold=0.9)
        _, strict = find_duplicates(s, hub, SYSTEM, texts, threshold=0.999)
    assert sum(g.kind == "near" for g in loose) == 1
    assert [g.kind for g in strict] == ["exact"]


def test_resolve_deletes_the_others_with_audit_and_index(hub: Hub, texts: int) -> None:
    ids = item_ids(hub, texts)
    keep, drop = ids["t000"], [ids["t001"]]
    with hub.db.session(write=True) as s:
        assert resolve_duplicates(s, hub, SYSTEM, texts, keep, drop) == 1
    forget_in_indexes(hub, texts, drop)
    with hub.db.session() as s:
        assert s.get(Item, drop[0]) is None and s.get(Item, keep) is not None
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "item.delete")))
        hits = search_text(s, hub, SYSTEM, texts, "how do I locate my card", k=5).hits
        _, groups = find_duplicates(s, hub, SYSTEM, texts, threshold=0.9)
    assert [(e.object_id, e.detail["kept"], e.detail["reason"]) for e in events] == [(str(drop[0]), keep, "duplicate")]
    assert drop[0] not in open_index(index_folder(hub.settings, texts, "ngram"))
    assert drop[0] not in [h.item_id for h in hits] and hits[0].item_id == keep
    assert [g.kind for g in groups] == ["exact"]


def test_resolve_refuses_bad_requests_and_deletes_nothing(hub: Hub, texts: int, tmp_path: Path) -> None:
    ids = item_ids(hub, texts)
    other = text_project(hub, tmp_path / "other", banking_rows(per_class=1), name="other")
    foreign = next(iter(item_ids(hub, other).values()))
    cases = [([ids["t000"]], "both kept and dropped"), ([], "which items"), ([ids["t001"], foreign], "not in project")]
    for drop, message in cases:
        with hub.db.session(write=True) as s, pytest.raises(ValidationError, match=message):
            resolve_duplicates(s, hub, SYSTEM, texts, ids["t000"], drop)
    with hub.db.session(write=True) as s:
        viewer = create_user(s, SYSTEM, "vera", "vera-password-long")
        s.add(Membership(project_id=texts, user_id=viewer.id, role="viewer"))
    with hub.db.session(write=True) as s, pytest.raises(PermissionDenied):
        resolve_duplicates(s, hub, Actor(viewer.id, "vera"), texts, ids["t000"], [ids["t001"]])
    assert len(item_ids(hub, texts)) == len(ids) and foreign in item_ids(hub, other).values()


def test_image_copies_by_content_and_by_embedding(hub: Hub, tmp_path: Path, tiny_clip: dict[str, str]) -> None:
    first, second = coco_images(2)
    brighter = tmp_path / "brighter.jpg"
    ImageEnhance.Brightness(Image.open(first)).enhance(1.03).save(brighter, quality=95)
    files = {"x/a.jpg": first, "x/b.jpg": first, "x/c.jpg": brighter, "x/d.jpg": second}
    pid = image_project(hub, tmp_path / "imgs", files)
    ids = {name.rsplit("/", 1)[-1]: i for name, i in item_ids(hub, pid).items()}
    with hub.db.session() as s:
        space, groups = find_duplicates(s, hub, SYSTEM, pid)
    assert space is None  # nothing embedded and no image embedder set up: exact groups only
    assert [(g.kind, [m.item_id for m in g.items]) for g in groups] == [("exact", [ids["a.jpg"], ids["b.jpg"]])]
    assert groups[0].items[0].thumb_url == f"/api/v1/projects/{pid}/items/{ids['a.jpg']}/thumbnail?size=256"
    configure(hub, {"open_clip": tiny_clip})
    embed_project(hub, SYSTEM, pid)
    with hub.db.session() as s:
        # A random model puts any two photos at cosine ~0.98, the brighter copy at ~0.9999: hence the threshold.
        space, groups = find_duplicates(s, hub, SYSTEM, pid, threshold=0.995)
    assert space == "open_clip"
    kinds = {g.kind: sorted(m.item_id for m in g.items) for g in groups}
    assert kinds["exact"] == [ids["a.jpg"], ids["b.jpg"]]
    assert kinds["near"] == sorted([ids["a.jpg"], ids["c.jpg"]])  # the brighter copy; b is already grouped


def test_the_cached_graph_groups_as_near_duplicates_does(hub: Hub, tmp_path: Path) -> None:
    pid = text_project(hub, tmp_path / "bank", banking_rows(per_class=12), name="bank")
    embed_project(hub, SYSTEM, pid)
    index = open_index(index_folder(hub.settings, pid, "ngram"))
    graph = neighbours(index)
    assert neighbours(index) is graph  # computed once per saved state of the index
    searched = _searched(index, index.ids(), 10)  # the path of large (hnswlib) indexes
    assert np.array_equal(np.sort(searched.nbr, axis=1), np.sort(graph.nbr, axis=1))
    for threshold in (0.5, 0.6, 0.7):
        expected = [(g.keep, list(g.others)) for g in near_duplicates(index, threshold)]
        assert leader_groups(graph, threshold) == expected and expected
