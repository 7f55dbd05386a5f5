"""Queries on real BANKING77 texts: a text finds its own intent first, filters narrow, "more like this"."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from tests.services._search import (
    SYSTEM,
    banking_rows,
    coco_images,
    configure,
    image_project,
    item_ids,
    text_project,
)
from tests.services._search import tiny_clip as tiny_clip  # a fixture

from labelhub.domain.enums import ItemStatus
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.services.embedding_map import item_labels
from labelhub.services.embeddings import embed_project
from labelhub.services.search import search_text, similar_items
from labelhub.storage.models import Item


@pytest.fixture
def texts(hub: Hub, tmp_path: Path) -> int:
    pid = text_project(hub, tmp_path / "data", banking_rows(per_class=8))
    embed_project(hub, SYSTEM, pid)
    return pid


def _labels(hub: Hub, pid: int) -> dict[int, str]:
    with hub.db.session() as s:
        return item_labels(s, pid)


@pytest.mark.parametrize(
    ("query", "intent"),
    [
        ("what is the exchange rate for euros", "exchange_rate"),
        ("my new card still has not arrived", "card_arrival"),
        ("someone stole my phone", "lost_or_stolen_phone"),
        ("my top-up failed", "top_up_failed"),
    ],
)
def test_a_text_query_ranks_its_intent_first(hub: Hub, texts: int, query: str, intent: str) -> None:
    with hub.db.session() as s:
        result = search_text(s, hub, SYSTEM, texts, query, k=3)
    labels = _labels(hub, texts)
    assert (result.space, result.indexed, len(result.hits)) == ("ngram", 40, 3)
    assert labels[result.hits[0].item_id] == intent, [h.text for h in result.hits]
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    top = result.hits[0]
    assert top.kind == "text" and top.thumb_url is None and top.text and len(top.text) <= 240


def test_an_exact_sentence_is_found_with_cosine_one(hub: Hub, texts: int) -> None:
    rows = banking_rows(per_class=8)
    with hub.db.session() as s:
        hit = search_text(s, hub, SYSTEM, texts, rows[17][0], k=1).hits[0]
    assert hit.item_id == item_ids(hub, texts)["t017"] and hit.score == pytest.approx(1.0, abs=1e-5)


def test_a_label_filter_keeps_only_that_label(hub: Hub, texts: int) -> None:
    with hub.db.session() as s:
        result = search_text(s, hub, SYSTEM, texts, "my card has not arrived", k=50, label="exchange_rate")
    labels = _labels(hub, texts)
    assert len(result.hits) == 8 and {labels[h.item_id] for h in result.hits} == {"exchange_rate"}


def test_a_status_filter_combines_with_similarity(hub: Hub, texts: int) -> None:
    ids = item_ids(hub, texts)
    reviewed = [ids["t000"], ids["t009"], ids["t020"]]  # a card_arrival, an exchange_rate, a stolen phone
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id.in_(reviewed)).values(status=ItemStatus.REVIEWED.value))
    with hub.db.session() as s:
        result = search_text(s, hub, SYSTEM, texts, "exchange rate", status=ItemStatus.REVIEWED)
        both = search_text(s, hub, SYSTEM, texts, "exchange rate", status=ItemStatus.REVIEWED, label="card_arrival")
    assert sorted(h.item_id for h in result.hits) == sorted(reviewed)
    assert result.hits[0].item_id == ids["t009"]
    assert [h.item_id for h in both.hits] == [ids["t000"]]


def test_more_like_this_puts_the_item_first_then_its_intent(hub: Hub, texts: int) -> None:
    target = item_ids(hub, texts)["t008"]
    with hub.db.session() as s:
        result = similar_items(s, hub, SYSTEM, texts, target, k=4)
    labels = _labels(hub, texts)
    assert result.hits[0].item_id == target and result.hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert labels[result.hits[1].item_id] == labels[target]


def test_lang_is_recorded_and_bad_queries_are_refused(hub: Hub, texts: int) -> None:
    with hub.db.session() as s:
        assert search_text(s, hub, SYSTEM, texts, "Wechselkurs exchange rate", lang="de").lang == "de"
        with pytest.raises(ValidationError, match="query"):
            search_text(s, hub, SYSTEM, texts, "   ")
        with pytest.raises(ValidationError, match="k must"):
            search_text(s, hub, SYSTEM, texts, "card", k=0)
        with pytest.raises(ValidationError, match="unknown space"):
            search_text(s, hub, SYSTEM, texts, "card", space="nope")
        with pytest.raises(NotFoundError):
            similar_items(s, hub, SYSTEM, texts, 999_999)


def test_a_changed_embedder_asks_for_a_new_run(hub: Hub, texts: int) -> None:
    configure(hub, {"ngram": {"dim": 1024}})
    with hub.db.session() as s, pytest.raises(ConflictError, match="compute the embeddings again"):
        search_text(s, hub, SYSTEM, texts, "card")
    embed_project(hub, SYSTEM, texts)
    with hub.db.session() as s:
        assert len(search_text(s, hub, SYSTEM, texts, "card").hits) == 24


def test_a_project_without_embeddings_answers_empty(hub: Hub, tmp_path: Path) -> None:
    pid = text_project(hub, tmp_path / "other", banking_rows(per_class=1), name="fresh")
    with hub.db.session() as s:
        result = search_text(s, hub, SYSTEM, pid, "card")
    assert (result.space, result.indexed, result.hits) == ("ngram", 0, [])


def test_text_finds_images_through_an_image_text_space(hub: Hub, tmp_path: Path, tiny_clip: dict[str, str]) -> None:
    configure(hub, {"open_clip": tiny_clip})
    pid = image_project(hub, tmp_path / "imgs", {f"x/{p.name}": p for p in coco_images(6)})
    embed_project(hub, SYSTEM, pid)
    with hub.db.session() as s:
        result = search_text(s, hub, SYSTEM, pid, "ein Hund im Schnee", lang="de", k=4)
        first = result.hits[0].item_id
        again = similar_items(s, hub, SYSTEM, pid, first, k=6)
    # Random weights rank nothing in particular: what is checked is the path from a text to image hits.
    assert (result.space, result.indexed, len(result.hits)) == ("open_clip", 6, 4)
    assert all(h.kind == "image" and h.text is None for h in result.hits)
    assert result.hits[0].thumb_url == f"/api/v1/projects/{pid}/items/{first}/thumbnail?size=256"
    assert again.hits[0].item_id == first and len(again.hits) == 6
