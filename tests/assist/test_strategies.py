"""Active-learning strategies: distinct valid picks, BALD reads SWAG's disagreement, k-center spreads out."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from labelhub.assist import (
    STRATEGIES,
    Pool,
    bald_scores,
    entropy_scores,
    get_strategy,
    k_center_greedy,
    least_confidence_scores,
    margin_scores,
    select,
    strategy_names,
)
from labelhub.errors import ValidationError


def _pool(n: int = 40, classes: int = 5, samples: int = 8, seed: int = 0) -> Pool:
    rng = np.random.default_rng(seed)
    s = rng.dirichlet(np.full(classes, 0.5), size=(samples, n))
    return Pool(probs=s.mean(axis=0), samples=s, embeddings=rng.normal(size=(n, 6)),
                labelled=rng.normal(size=(3, 6)))  # fmt: skip


def test_every_strategy_is_registered_by_name() -> None:
    assert strategy_names()[:7] == ["random", "least_confidence", "margin", "entropy", "bald", "kcenter", "hybrid"]
    assert get_strategy("bald").needs_samples and get_strategy("hybrid").needs_embeddings
    assert not STRATEGIES["margin"].needs_samples


@pytest.mark.parametrize("name", strategy_names())
@pytest.mark.parametrize("k", [0, 1, 7, 40, 100])
def test_strategies_return_distinct_valid_indices(name: str, k: int) -> None:
    pool = _pool()
    picks = select(name, pool, k, seed=1)
    assert picks.dtype == np.int64
    assert len(picks) == min(k, 40) == len(set(picks.tolist()))
    assert all(0 <= i < 40 for i in picks)
    assert np.array_equal(picks, select(name, pool, k, seed=1))  # the same call picks the same items


def test_bald_prefers_the_items_the_weight_samples_disagree_on() -> None:
    # Item 0: every sample is unsure the same way (uniform). Item 1: each sample is sure, of a different class.
    # Item 2: every sample is sure of class 0. The mean prediction of 0 and 1 is the same uniform distribution.
    samples = np.zeros((4, 3, 4))
    samples[:, 0, :] = 0.25
    samples[:, 1, :] = np.eye(4) * 0.96 + 0.01
    samples[:, 2, :] = [0.97, 0.01, 0.01, 0.01]
    pool = Pool(probs=samples.mean(axis=0), samples=samples)
    scores = bald_scores(samples)
    assert scores[1] > 1.0 and scores[0] == pytest.approx(0.0, abs=1e-9) and scores[2] == pytest.approx(0.0, abs=1e-9)
    assert select("bald", pool, 1).tolist() == [1]
    entropy = entropy_scores(pool.probs)
    assert entropy[0] == pytest.approx(entropy[1])  # entropy alone cannot tell the two apart


def test_uncertainty_scores_order_items_as_expected() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.5, 0.45, 0.05], [0.4, 0.3, 0.3], [1.0, 0.0, 0.0]])
    assert select("least_confidence", Pool(probs=probs), 4).tolist() == [2, 1, 0, 3]
    assert select("margin", Pool(probs=probs), 4).tolist() == [1, 2, 0, 3]
    assert select("entropy", Pool(probs=probs), 1).tolist() == [2]
    assert least_confidence_scores(probs)[3] == 0.0 and margin_scores(probs)[3] == -1.0


def test_k_center_picks_the_unlabelled_cluster_first() -> None:
    # Three directions; the labelled items cover the first two, so the first pick is from the third.
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 10
    x = np.concatenate([c + rng.normal(0, 0.5, (10, 3)) for c in centres])
    labelled = centres[:2] + 0.1
    picks = k_center_greedy(x, 3, labelled=labelled)
    assert 20 <= picks[0] < 30
    # Without labels, three picks cover the three clusters.
    assert sorted(int(p) // 10 for p in k_center_greedy(x, 3)) == [0, 1, 2]
    # Sparse rows give the same picks as the same dense rows.
    assert np.array_equal(k_center_greedy(sp.csr_matrix(x), 3), k_center_greedy(x, 3))


def test_hybrid_picks_uncertain_items_that_are_spread_out() -> None:
    # 200 items: 15 very uncertain ones in one tight cluster, 5 nearly as uncertain in another, 180 sure ones.
    # With k = 2 the shortlist is the 20 uncertain items; margin alone takes two from the big cluster,
    # hybrid one from each.
    rng = np.random.default_rng(0)
    probs = np.array([[0.5, 0.5]] * 15 + [[0.52, 0.48]] * 5 + [[0.99, 0.01]] * 180)
    centres = np.repeat(np.eye(3) * 5.0, [15, 5, 180], axis=0)
    emb = centres + rng.normal(0, 1.0, (200, 3)) * np.repeat([0.05, 0.05, 1.0], [15, 5, 180])[:, None]
    pool = Pool(probs=probs, embeddings=emb)
    assert all(p < 15 for p in select("margin", pool, 2))
    picks = select("hybrid", pool, 2)
    assert sorted(int(p) >= 15 for p in picks) == [False, True] and all(p < 20 for p in picks)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: select("nope", Pool(probs=np.eye(2)), 1), "strategy"),
        (lambda: select("bald", Pool(probs=np.eye(2)), 1), "samples"),
        (lambda: select("kcenter", Pool(probs=np.eye(2)), 1), "embeddings"),
        (lambda: select("margin", Pool(probs=np.eye(2)), -1), "k"),
        (lambda: Pool(probs=np.array([[0.7, 0.7]])), "probs"),
        (lambda: Pool(probs=np.eye(2), samples=np.full((3, 2, 2), 0.25)), "samples"),  # rows sum to 0.5
        (lambda: Pool(probs=np.eye(2), samples=np.ones((3, 5, 2)) / 2), "samples"),
        (lambda: Pool(probs=np.eye(2), embeddings=np.ones((3, 4))), "embeddings"),
        (lambda: Pool(probs=np.eye(2), embeddings=np.ones((2, 4)), labelled=np.ones((2, 3))), "labelled"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        call()  # type: ignore[operator]
    assert err.value.context["field"] == field
