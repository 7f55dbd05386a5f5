"""The labelling queue: priority first, then the strategy's order with the active model, random without one."""

from __future__ import annotations

import numpy as np
from sqlalchemy import update
from tests.model_servers import http_contract, register_http, serve, text_project

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.duplicates import resolve_duplicates
from labelhub.services.item_delete import forget_items
from labelhub.services.queue import next_item, queue
from labelhub.storage.models import Annotation, Embedding, Item

SYSTEM = Actor.system()
# Entropy of (p, 1 - p) is highest at p = 0.5: the queue should ask for 0.5, 0.6, 0.8, 0.9, 0.99 in that order.
TEXTS = ["p=0.9", "p=0.5", "p=0.99", "p=0.6", "p=0.8"]


def test_without_a_model_the_order_is_random_but_fixed(hub: Hub) -> None:
    pid, ids = text_project(hub, "random", [f"p=0.{i}" for i in range(1, 9)])
    with hub.db.session() as s:
        first = queue(s, hub, SYSTEM, pid, limit=8)
        again = queue(s, hub, SYSTEM, pid, limit=8)
    order = [e.id for e in first.items]
    assert sorted(order) == ids and order == [e.id for e in again.items]
    assert order != ids  # a permutation, not the id order (fixed by the project's seed)
    assert first.model_version is None and all(e.reason.startswith("random") for e in first.items)


def test_entropy_asks_for_the_least_sure_items_first(hub: Hub) -> None:
    pid, ids = text_project(hub, "entropy", TEXTS)
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            view = queue(s, hub, SYSTEM, pid, strategy="entropy")
    assert view.strategy == "entropy" and view.model_version == "remote@1" and view.pool == 5 and not view.capped
    assert [e.id for e in view.items] == [ids[1], ids[3], ids[4], ids[0], ids[2]]
    scores = [e.score for e in view.items]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert view.items[0].score == np.round(np.log(2), 6)


def test_priority_first_and_labelled_items_leave(hub: Hub) -> None:
    pid, ids = text_project(hub, "priority", TEXTS)
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == ids[2]).values(meta={"priority": 1}))
        s.add(Annotation(item_id=ids[1], project_id=pid, kind="class", label="pos", source="human", state="accepted"))
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            view = queue(s, hub, SYSTEM, pid, strategy="least_confidence")
            after_first = next_item(s, hub, SYSTEM, pid, after=ids[2])
            gone = next_item(s, hub, SYSTEM, pid, after=ids[1])  # the item just labelled: the queue's first
    assert [e.id for e in view.items] == [ids[2], ids[3], ids[4], ids[0]]
    assert view.items[0].reason.startswith("sent to labelling")
    assert after_first == ids[3] and gone == ids[2]


def test_strategies_the_model_cannot_feed_fall_back_and_say_so(hub: Hub) -> None:
    pid, ids = text_project(hub, "fallback", TEXTS)
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            bald = queue(s, hub, SYSTEM, pid, strategy="bald")
            hybrid = queue(s, hub, SYSTEM, pid, strategy="hybrid")
    assert "bald needs SWAG samples" in bald.items[0].reason and bald.items[0].id == ids[1]
    assert "hybrid needs embeddings" in hybrid.items[0].reason and hybrid.items[0].id == ids[1]


def test_hybrid_uses_the_stored_embeddings(hub: Hub) -> None:
    pid, ids = text_project(hub, "hybrid", TEXTS)
    rng = np.random.default_rng(0)
    with hub.db.session(write=True) as s:
        for iid in ids:
            vec = rng.normal(size=8).astype("<f4")
            s.add(Embedding(project_id=pid, item_id=iid, space="test", embedder_version="1", source_hash="x", dim=8,
                            vector=vec.tobytes()))  # fmt: skip
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            view = queue(s, hub, SYSTEM, pid, strategy="hybrid", limit=3)
    assert len(view.items) == 3 and len({e.id for e in view.items}) == 3
    assert all(e.reason.startswith("hybrid;") and "needs" not in e.reason for e in view.items)


def test_a_label_ranks_again_without_asking_the_model_about_the_items_it_already_scored(hub: Hub) -> None:
    texts = [f"p=0.{i:02d}" for i in range(1, 100)]
    pid, _ = text_project(hub, "cached", texts)
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            first = queue(s, hub, SYSTEM, pid, strategy="margin", limit=5)
        asked = [len(body["items"]) for path, body in srv.requests if path == "/predict"]
        assert sum(asked) == 99  # the whole pool, once
        with hub.db.session(write=True) as s:
            s.add(Annotation(item_id=first.items[0].id, project_id=pid, kind="class", label="pos", source="human",
                             state="accepted"))  # fmt: skip
        with hub.db.session() as s:
            again = queue(s, hub, SYSTEM, pid, strategy="margin", limit=5)
            entropy = queue(s, hub, SYSTEM, pid, strategy="entropy", limit=5)
        # Ranked again (the labelled item left) from what the model said before: no item was sent to it again.
        assert [len(body["items"]) for path, body in srv.requests if path == "/predict"] == asked
    assert first.items[0].id not in [e.id for e in again.items]
    assert [e.id for e in again.items] == [e.id for e in first.items[1:]] + [again.items[-1].id]
    assert [e.id for e in entropy.items] == [e.id for e in again.items]  # two classes: the same order


def test_a_batch_strategy_opens_the_first_item_of_the_list_whatever_its_length(hub: Hub) -> None:
    rng = np.random.default_rng(1)
    pid, ids = text_project(hub, "batch", [f"p=0.{i:02d}" for i in rng.integers(1, 99, size=60)])
    with hub.db.session(write=True) as s:
        for iid in ids:
            s.add(Embedding(project_id=pid, item_id=iid, space="test", embedder_version="1", source_hash="x", dim=8,
                            vector=rng.normal(size=8).astype("<f4").tobytes()))  # fmt: skip
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            for strategy in ("hybrid", "kcenter", "cluster_margin", "badge"):
                firsts = {queue(s, hub, SYSTEM, pid, strategy=strategy, limit=n).items[0].id for n in (1, 5, 10, 50)}
                listed = [e.id for e in queue(s, hub, SYSTEM, pid, strategy=strategy, limit=50).items]
                assert len(firsts) == 1, (strategy, firsts)
                assert [e.id for e in queue(s, hub, SYSTEM, pid, strategy=strategy, limit=10).items] == listed[:10]
            # The editor's "next" (the project's strategy) opens what the queue panel lists first.
            panel = queue(s, hub, SYSTEM, pid, limit=10)
            assert panel.strategy == "hybrid" and next_item(s, hub, SYSTEM, pid) == panel.items[0].id


def test_a_new_item_in_a_deleted_items_place_is_scored_for_its_own_text(hub: Hub) -> None:
    pid, ids = text_project(hub, "reused", TEXTS)
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with hub.db.session() as s:
            before = queue(s, hub, SYSTEM, pid, strategy="entropy")
        with hub.db.session(write=True) as s:
            resolve_duplicates(s, hub, SYSTEM, pid, keep=ids[0], drop=[ids[-1]])  # "p=0.8", the last id
        forget_items(hub, pid, [ids[-1]])
        with hub.db.session(write=True) as s:
            new = Item(project_id=pid, kind="text", name="new", text="p=0.5")
            s.add(new)
            s.flush()
            new_id = new.id  # SQLite gives it the deleted item's id; PostgreSQL a new one
        with hub.db.session() as s:
            after = queue(s, hub, SYSTEM, pid, strategy="entropy")
    assert before.items[2].id == ids[-1] and before.items[2].score == round(
        float(-0.8 * np.log(0.8) - 0.2 * np.log(0.2)), 6
    )
    scores = {e.id: e.score for e in after.items}
    assert scores[new_id] == np.round(np.log(2), 6)  # the new item's own text, not the deleted one's prediction
    assert [e.id for e in after.items][:2] in ([ids[1], new_id], [new_id, ids[1]])
