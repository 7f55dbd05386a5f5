"""Search with a sentence-transformers model set up for the hub: the default space of text projects, and a query
in words the project's texts never use that finds them by meaning (the n-gram space cannot)."""

from __future__ import annotations

from pathlib import Path

from tests.assist._encoders import synonym_encoder, synonym_texts
from tests.services._search import SYSTEM, configure, text_project

from labelhub.hub import Hub
from labelhub.services.embedding_map import item_labels
from labelhub.services.embeddings import embed_project
from labelhub.services.search import search_text


def test_a_query_in_other_words_finds_the_texts_it_means(hub: Hub, tmp_path: Path) -> None:
    folder, words = synonym_encoder(tmp_path / "model")
    texts, labels = synonym_texts(words, 0, 24, seed=1)
    pid = text_project(hub, tmp_path / "data", list(zip(texts, labels, strict=True)))
    configure(hub, {"sentence": {"path": str(folder)}})
    embed_project(hub, SYSTEM, pid)
    embed_project(hub, SYSTEM, pid, space="ngram")
    with hub.db.session() as s:
        of_item = item_labels(s, pid)
    for intent in ("loan", "fraud"):
        query = " ".join(words[intent][1][:2])  # two of its synonyms: no text of the project holds them
        with hub.db.session() as s:
            meaning = search_text(s, hub, SYSTEM, pid, query, k=6)
            ngrams = search_text(s, hub, SYSTEM, pid, query, k=6, space="ngram")
        assert (meaning.space, meaning.indexed) == ("sentence", 24)
        assert [of_item[h.item_id] for h in meaning.hits] == [intent] * 6, [h.text for h in meaning.hits]
        assert ngrams.space == "ngram" and sum(of_item[h.item_id] == intent for h in ngrams.hits) < 6
