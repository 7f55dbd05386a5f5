"""Both index backends against exact search on real caption embeddings: add, replace, remove, filter, grow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from tests.search._data import coco_captions, xtd10

from labelhub.errors import ValidationError
from labelhub.search import NgramConfig, VectorIndex, backend_names, create_embedder, create_index

BACKENDS = ["exact", "hnswlib"]
K = 10


@pytest.fixture(scope="module")
def embeddings() -> npt.NDArray[np.float32]:
    """2,395 real texts (COCO-mini captions, XTD10 English and German) embedded with hashed n-grams."""
    texts = [c for _, c in coco_captions()] + xtd10("en") + xtd10("de", "MIC")
    return create_embedder("ngram", NgramConfig(dim=256)).embed_texts(texts)


def kth_best(vectors: npt.NDArray[np.float32], q: npt.NDArray[np.float32], k: int) -> float:
    """The k-th highest true score: a hit at or above it is a correct hit (ties count for either id)."""
    return float(np.sort(vectors @ q)[::-1][min(k, len(vectors)) - 1])


def recall(index: VectorIndex, vectors: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], queries: range) -> float:
    """Share of the top K hits that belong to the true top K (exact search in numpy), over ``queries``."""
    row = {int(i): r for r, i in enumerate(ids.tolist())}
    good = 0
    for qi in queries:
        hits = index.search(vectors[qi], K)
        bar = kth_best(vectors, vectors[qi], K) - 1e-5
        good += sum(float(vectors[row[i]] @ vectors[qi]) >= bar for i in hits.ids.tolist())
    return good / (K * len(queries))


def test_registry_lists_both_backends() -> None:
    assert backend_names() == ["exact", "hnswlib"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_agrees_with_exact_search(backend: str, tmp_path: Path, embeddings: npt.NDArray[np.float32]) -> None:
    ids = np.arange(len(embeddings), dtype=np.int64) * 7 + 3  # ids need not be dense
    index = create_index(tmp_path / "ix", dim=256, backend=backend)
    for start in range(0, len(ids), 500):  # added in batches, as the embedding job does
        index.add(ids[start : start + 500], embeddings[start : start + 500])
    assert len(index) == len(ids)
    measured = recall(index, embeddings, ids, range(0, len(ids), 24))
    assert measured == 1.0 if backend == "exact" else measured >= 0.95
    hits = index.search(embeddings[5], K)
    assert hits.ids[0] == ids[5] and hits.scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(hits.scores) == sorted(hits.scores, reverse=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_adding_an_id_again_replaces_its_vector(
    backend: str, tmp_path: Path, embeddings: npt.NDArray[np.float32]
) -> None:
    index = create_index(tmp_path / "ix", dim=256, backend=backend)
    index.add(range(100), embeddings[:100])
    index.add([7], embeddings[500:501])
    assert len(index) == 100
    assert index.search(embeddings[500], 1).ids.tolist() == [7]
    assert np.allclose(index.get([7])[0], embeddings[500], atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_removed_items_are_never_returned(backend: str, tmp_path: Path, embeddings: npt.NDArray[np.float32]) -> None:
    index = create_index(tmp_path / "ix", dim=256, backend=backend)
    ids = np.arange(len(embeddings), dtype=np.int64)
    index.add(ids, embeddings)
    gone = ids[::5]
    assert index.remove(gone) == gone.size
    assert index.remove(gone) == 0  # a second time: nothing left to remove
    assert len(index) == ids.size - gone.size
    assert 5 not in index and 6 in index
    for i in gone[:60].tolist():  # the removed items' own vectors are the queries most likely to find them
        returned = set(index.search(embeddings[i], 50).ids.tolist())
        assert not returned & set(gone.tolist())
    with pytest.raises(ValidationError, match="not in the index") as info:
        index.get([5])
    assert info.value.context["field"] == "ids"
    kept = np.setdiff1d(ids, gone)
    assert recall(index, embeddings[kept], kept, range(0, kept.size, 40)) >= 0.95
    index.add([5], embeddings[5:6])  # and a removed id can come back
    assert index.search(embeddings[5], 1).ids.tolist() == [5]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("share", "limit"), [(0.01, 100), (0.01, 0), (0.6, 100)])
def test_filters_keep_only_allowed_ids(
    backend: str, share: float, limit: int, tmp_path: Path, embeddings: npt.NDArray[np.float32]
) -> None:
    """hnswlib: 1 % allowed is scored exactly (limit 100) or by the graph with its filter (limit 0), 60 % by the
    graph with its filter; the exact backend scores the allowed rows either way."""
    options = {"brute_force_limit": limit} if backend == "hnswlib" else {}
    index = create_index(tmp_path / "ix", dim=256, backend=backend, **options)
    ids = np.arange(len(embeddings), dtype=np.int64)
    index.add(ids, embeddings)
    allowed = np.random.default_rng(1).choice(ids, int(share * ids.size), replace=False)
    found = 0
    for q in range(0, ids.size, 60):
        hits = index.search(embeddings[q], K, allowed_ids=allowed.tolist())
        assert set(hits.ids.tolist()) <= set(allowed.tolist())
        assert len(hits) == min(K, allowed.size)
        bar = kth_best(embeddings[allowed], embeddings[q], K) - 1e-5
        found += sum(float(embeddings[i] @ embeddings[q]) >= bar for i in hits.ids.tolist())
    assert found / (K * len(range(0, ids.size, 60))) >= (1.0 if backend == "exact" or share < 0.1 else 0.9)
    assert len(index.search(embeddings[0], K, allowed_ids=[10**9])) == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_index_grows_past_its_first_capacity(backend: str, tmp_path: Path, embeddings: npt.NDArray[np.float32]) -> None:
    index = create_index(tmp_path / "ix", dim=256, backend=backend)
    for i in range(0, 2_300, 100):
        index.add(range(i, i + 100), embeddings[i : i + 100])
    assert len(index) == 2_300
    assert index.ids().tolist() == list(range(2_300))
    assert index.search(embeddings[2_250], 1).ids.tolist() == [2_250]
