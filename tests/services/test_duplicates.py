"""Duplicates: exact copies by content hash, near copies from the index, and keeping one of a group."""

from __future__ import annotations

import csv
import logging
from collections import OrderedDict
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
from labelhub.search import VectorIndex, near_duplicates, open_index
from labelhub.services import _neighbours
from labelhub.services._neighbours import GRAPH_FILE, K, Neighbours, Tick, _searched, leader_groups, neighbours
from labelhub.services._spaces import index_folder
from labelhub.services.access import Actor
from labelhub.services.duplicates import find_duplicates, forget_in_indexes, resolve_duplicates
from labelhub.services.embeddings import embed_project
from labelhub.services.imports import import_source
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


# --- the graph saved beside the index by the embedding job --------------------------------------------------
_COMPUTE = _neighbours.compute_neighbours


def _near(hub: Hub, pid: int, threshold: float = 0.9) -> list[list[int]]:
    with hub.db.session() as s:
        _, groups = find_duplicates(s, hub, SYSTEM, pid, threshold=threshold)
    return [sorted(m.item_id for m in g.items) for g in groups if g.kind == "near"]


def _as_a_fresh_process(monkeypatch: pytest.MonkeyPatch, *, compute: bool) -> list[int]:
    """Forget the graphs held in memory; when not ``compute``, computing one fails the test. Return a call log."""
    calls: list[int] = []

    def counted(index: VectorIndex, k: int = K, tick: Tick | None = None) -> Neighbours:
        calls.append(1)
        if not compute:
            raise AssertionError("the neighbour graph was computed, not read from its file")
        return _COMPUTE(index, k, tick)

    monkeypatch.setattr(_neighbours, "_CACHE", OrderedDict())
    monkeypatch.setattr(_neighbours, "compute_neighbours", counted)
    return calls


def test_the_graph_of_the_embed_job_answers_a_fresh_process(
    hub: Hub, texts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (index_folder(hub.settings, texts, "ngram") / GRAPH_FILE).is_file()
    ids = item_ids(hub, texts)
    _as_a_fresh_process(monkeypatch, compute=False)
    assert _near(hub, texts) == [[ids["t000"], ids["t001"]]]
    assert _near(hub, texts, 0.999) == []  # another threshold: the same graph, held in memory now


def test_items_embedded_since_are_grouped_not_the_old_graph(
    hub: Hub, texts: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(_near(hub, texts)) == 1  # the graph is now in memory and in its file
    folder = index_folder(hub.settings, texts, "ngram")
    old = (folder / GRAPH_FILE).read_bytes()
    path = tmp_path / "more.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "text", "label"), ("extra", "How do I locate my card ?", "card_arrival")])
    import_source(hub, SYSTEM, texts, path, fmt="text")
    embed_project(hub, SYSTEM, texts)
    ids = item_ids(hub, texts)
    expected = [[ids["t000"], ids["t001"], ids["extra"]]]
    assert _near(hub, texts) == expected  # this process
    _as_a_fresh_process(monkeypatch, compute=False)
    assert _near(hub, texts) == expected  # another worker: the job's new file
    (folder / GRAPH_FILE).write_bytes(old)  # a file of the index before the run is not used
    calls = _as_a_fresh_process(monkeypatch, compute=True)
    assert _near(hub, texts) == expected and calls == [1]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_broken_graph_file_is_computed_again_with_a_warning(
    hub: Hub, texts: int, damage: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = index_folder(hub.settings, texts, "ngram") / GRAPH_FILE
    whole = path.read_bytes()
    path.write_bytes(
        {"truncated": whole[: len(whole) // 2], "garbage": b"PK\x03\x04" + b"x" * 500, "empty": b""}[damage]
    )
    calls = _as_a_fresh_process(monkeypatch, compute=True)
    ids = item_ids(hub, texts)
    with caplog.at_level(logging.WARNING, logger="labelhub.services._neighbours"):
        assert _near(hub, texts) == [[ids["t000"], ids["t001"]]]
    assert calls == [1]
    assert [r.levelno for r in caplog.records] == [logging.WARNING] and GRAPH_FILE in caplog.records[0].getMessage()
    _as_a_fresh_process(monkeypatch, compute=False)
    assert _near(hub, texts) == [[ids["t000"], ids["t001"]]]  # the graph computed again was saved whole
