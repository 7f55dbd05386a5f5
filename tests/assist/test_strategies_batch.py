"""Batch-aware strategies: BADGE's k-means++ on gradient embeddings and cluster-margin spread a round out."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from labelhub.assist import Pool, get_strategy, select, strategy_names
from labelhub.assist.batch_strategies import badge_select, cluster_margin_select, gradient_embedding_norms
from labelhub.errors import ValidationError


def _two_clusters() -> tuple[np.ndarray, np.ndarray]:
    # 200 items: 15 very uncertain ones in one tight cluster, 5 nearly as uncertain in another, 180 sure ones.
    rng = np.random.default_rng(0)
    probs = np.array([[0.5, 0.5]] * 15 + [[0.52, 0.48]] * 5 + [[0.99, 0.01]] * 180)
    centres = np.repeat(np.eye(3) * 5.0, [15, 5, 180], axis=0)
    emb = centres + rng.normal(0, 1.0, (200, 3)) * np.repeat([0.05, 0.05, 1.0], [15, 5, 180])[:, None]
    return probs, emb


def test_new_strategies_are_registered_after_the_old_ones() -> None:
    assert strategy_names()[-2:] == ["badge", "cluster_margin"]
    assert get_strategy("badge").needs_embeddings and get_strategy("cluster_margin").needs_embeddings
    assert not get_strategy("badge").needs_samples


def test_gradient_embedding_length_is_the_doubt_times_the_feature_length() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [1.0, 0.0, 0.0]])
    emb = np.array([[3.0, 4.0], [1.0, 0.0]])  # scaled to unit length inside
    # Explicit gradient of the cross-entropy at the predicted class w.r.t. a linear layer: (p - onehot) ⊗ h.
    explicit = [np.outer(p - np.eye(3)[p.argmax()], h / np.linalg.norm(h)) for p, h in zip(probs, emb, strict=True)]
    assert np.allclose(gradient_embedding_norms(probs, emb), [np.linalg.norm(g) for g in explicit])
    assert gradient_embedding_norms(probs, emb)[1] == 0.0  # a sure item has nothing to teach


@pytest.mark.parametrize("seed", range(5))
def test_badge_starts_with_the_longest_gradient_and_never_repeats_a_duplicate(seed: int) -> None:
    # Ten copies of one uncertain item and four distinct ones: a copy adds nothing once one is picked
    # (its squared distance to the picks is 0), so a batch of five holds exactly one copy, whatever the seed.
    rng = np.random.default_rng(seed)
    copies = np.tile([[0.5, 0.5, 0.0]], (10, 1))
    others = np.array([[0.6, 0.4, 0.0], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.2, 0.7, 0.1]])
    probs = np.concatenate([copies, others])
    emb = np.concatenate([np.tile([[1.0, 0.0, 0.0, 0.0]], (10, 1)), rng.normal(size=(4, 4))])
    picks = badge_select(probs, emb, 5, seed=seed)
    assert picks[0] == int(np.argmax(gradient_embedding_norms(probs, emb)))
    assert sum(int(p) < 10 for p in picks) == 1 and sorted(int(p) for p in picks if p >= 10) == [10, 11, 12, 13]


def test_badge_is_reproducible_and_sparse_rows_pick_as_dense_rows_do() -> None:
    probs, emb = _two_clusters()
    pool = Pool(probs=probs, embeddings=emb)
    picks = select("badge", pool, 10, seed=3)
    assert len(set(picks.tolist())) == 10 and np.array_equal(picks, select("badge", pool, 10, seed=3))
    assert np.array_equal(badge_select(probs, sp.csr_matrix(emb), 10, seed=3), picks)
    assert sorted(badge_select(probs, emb, 200, seed=1).tolist()) == list(range(200))


def test_cluster_margin_takes_one_uncertain_item_from_each_cluster() -> None:
    probs, emb = _two_clusters()
    pool = Pool(probs=probs, embeddings=emb)
    assert all(p < 15 for p in select("margin", pool, 2))  # top-2 margin: both from the big cluster
    picks = select("cluster_margin", pool, 2)
    assert sorted(int(p) >= 15 for p in picks) == [False, True] and all(p < 20 for p in picks)
    assert sorted(cluster_margin_select(probs, emb, 20, candidates=1).tolist()) == list(range(20))  # shortlist only


@pytest.mark.parametrize("name", ["badge", "cluster_margin"])
def test_batch_strategies_need_embeddings(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        select(name, Pool(probs=np.eye(2)), 1)
    assert err.value.context["field"] == "embeddings"
