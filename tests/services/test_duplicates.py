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
from labelhub.services._neighbours import (
    GRAPH_FILE,
    K,
    Neighbours,
    Tick,
    _searched,
    drop_from_graph,
    leader_groups,
    neighbours,
)
from labelhub.services._spaces import index_folder
from labelhub.services.access import Actor
from labelhub.services.duplicates import find_duplicates, resolve_duplicates
from labelhub.services.embeddings import embed_project
from labelhub.services.imports import import_source
from labelhub.services.item_delete import forget_items
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
    # Texts have no thumbnail: each member carries its text, which the duplicates page shows instead.
    assert {m.text for m in near[0].items} == {"How do I locate my card?", "how do I locate my card"}


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
    forget_items(hub, texts, drop)
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


def _counted(monkeypatch: pytest.MonkeyPatch, *, compute: bool) -> list[int]:
    """Count the graphs computed from now on; when not ``compute``, computing one fails the test."""
    calls: list[int] = []

    def counted(index: VectorIndex, k: int = K, tick: Tick | None = None) -> Neighbours:
        calls.append(1)
        if not compute:
            raise AssertionError("the neighbour graph was computed, not read from memory or its file")
        return _COMPUTE(index, k, tick)

    monkeypatch.setattr(_neighbours, "compute_neighbours", counted)
    return calls


def _as_a_fresh_process(monkeypatch: pytest.MonkeyPatch, *, compute: bool) -> list[int]:
    """Forget the graphs held in memory; when not ``compute``, computing one fails the test. Return a call log."""
    monkeypatch.setattr(_neighbours, "_CACHE", OrderedDict())
    return _counted(monkeypatch, compute=compute)


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


# --- a resolve patches the graph to the index's new state ----------------------------------------------------
@pytest.fixture
def bank(hub: Hub, tmp_path: Path) -> int:
    """64 texts (the near and exact pairs, 12 of each of 5 classes): a row lists 10 of 63, so a removal leaves
    most rows as they were."""
    pid = text_project(hub, tmp_path / "bank", NEAR_TEXTS + banking_rows(per_class=12), name="bank")
    embed_project(hub, SYSTEM, pid)
    return pid


def _resolve(hub: Hub, pid: int, keep: int, drop: list[int]) -> None:
    with hub.db.session(write=True) as s:
        resolve_duplicates(s, hub, SYSTEM, pid, keep, drop)
    forget_items(hub, pid, drop)


def _assert_same(got: Neighbours, expected: Neighbours) -> None:
    assert np.array_equal(got.ids, expected.ids)
    assert np.array_equal(got.nbr, expected.nbr)
    assert np.array_equal(got.score, expected.score)


@pytest.mark.parametrize("held", ["memory", "file"])
def test_a_resolve_patches_the_graph_as_computing_it_would(
    hub: Hub, bank: int, held: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = item_ids(hub, bank)
    folder = index_folder(hub.settings, bank, "ngram")
    assert _near(hub, bank) == [[ids["t000"], ids["t001"]]]  # the graph is in memory and in its file now
    if held == "memory":
        _counted(monkeypatch, compute=False)
    else:  # another worker resolves: the graph is read from its file
        _as_a_fresh_process(monkeypatch, compute=False)
    _resolve(hub, bank, ids["t000"], [ids["t001"]])
    assert _near(hub, bank) == []  # not computed (that would fail the test): patched at the resolve
    loose = _near(hub, bank, 0.6)
    index = open_index(folder)
    expected = _COMPUTE(index)
    assert np.array_equal(expected.ids, index.ids()) and ids["t001"] not in expected.ids
    _assert_same(neighbours(index), expected)
    _as_a_fresh_process(monkeypatch, compute=False)
    _assert_same(neighbours(open_index(folder)), expected)  # saved under the new state: another worker reads it
    assert _near(hub, bank, 0.6) == loose and loose
    (folder / GRAPH_FILE).unlink()
    calls = _as_a_fresh_process(monkeypatch, compute=True)
    assert _near(hub, bank, 0.6) == loose and calls == [1]  # the groups of the graph computed whole


@pytest.mark.parametrize("path", ["blocked", "searched"])
def test_rows_that_lost_a_neighbour_get_the_next_one(
    hub: Hub, bank: int, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "searched":  # one index search per row, as above BLOCK_LIMIT (on the exact index here)
        monkeypatch.setattr(_neighbours, "BLOCK_LIMIT", 8)
    ids = item_ids(hub, bank)
    index = open_index(index_folder(hub.settings, bank, "ngram"))
    before = _COMPUTE(index)
    drop = [ids["t001"], ids["t010"], ids["t040"]]
    assert index.remove(drop) == 3
    index.save()
    after = drop_from_graph(index, before, drop)
    _assert_same(after, _COMPUTE(index))
    kept = ~np.isin(before.ids, drop)
    lost = kept & np.isin(before.nbr, drop).any(axis=1)
    assert lost.sum() >= 3 and (kept & ~lost).sum() >= 20  # both kinds of rows are there
    again = np.isin(after.ids, before.ids[lost])
    assert (after.nbr[again, K - 1] >= 0).all() and np.isfinite(after.score[again, K - 1]).all()
    assert not np.isin(after.nbr, drop).any()
    assert np.array_equal(after.nbr[~again], before.nbr[kept & ~lost])  # the others are kept as they were
    assert np.array_equal(after.score[~again], before.score[kept & ~lost])


def test_a_resolve_without_a_graph_computes_none(hub: Hub, bank: int, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = index_folder(hub.settings, bank, "ngram")
    (folder / GRAPH_FILE).unlink()
    _as_a_fresh_process(monkeypatch, compute=False)
    ids = item_ids(hub, bank)
    _resolve(hub, bank, ids["t000"], [ids["t001"]])  # computing a graph here would fail the test
    assert not (folder / GRAPH_FILE).exists()
    calls = _as_a_fresh_process(monkeypatch, compute=True)
    assert _near(hub, bank) == [] and calls == [1]  # the next request computes it, as before


def test_a_failed_patch_leaves_the_graph_to_the_next_request(
    hub: Hub, bank: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ids = item_ids(hub, bank)
    assert _near(hub, bank) == [[ids["t000"], ids["t001"]]]

    def broken(*args: object, **kwargs: object) -> Neighbours:
        raise MemoryError("no room for the vectors")

    monkeypatch.setattr(_neighbours, "drop_from_graph", broken)
    with caplog.at_level(logging.WARNING, logger="labelhub.services.item_delete"):
        _resolve(hub, bank, ids["t000"], [ids["t001"]])
    warnings = [r.getMessage() for r in caplog.records if r.name == "labelhub.services.item_delete"]
    assert len(warnings) == 1 and "the next duplicates request computes it" in warnings[0], warnings
    assert ids["t001"] not in open_index(index_folder(hub.settings, bank, "ngram"))  # the removal itself stands
    calls = _counted(monkeypatch, compute=True)
    assert _near(hub, bank) == [] and calls == [1]
