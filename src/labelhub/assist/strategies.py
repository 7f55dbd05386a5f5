"""Active learning: which unlabelled items a person should label next, by name.

Every strategy takes a :class:`Pool` (the model's view of the unlabelled items) and returns ``k`` distinct
indices into it, best first. Scores (higher = more worth labelling):

- ``random``: a seeded permutation; the baseline every other strategy must beat.
- ``least_confidence``: ``1 - max_c p_c``.
- ``margin``: ``-(p_top1 - p_top2)``: the two likeliest classes are close (Scheffer et al. 2001).
- ``entropy``: ``-sum_c p_c log p_c`` of the (SWAG-averaged) prediction.
- ``bald``: mutual information between the label and the weights, ``H[mean_s p_s] - mean_s H[p_s]``, over
  SWAG's weight samples (Houlsby et al. 2011, arXiv:1112.5745): high where the samples disagree, not where
  each sample is merely unsure. Needs ``Pool.samples``.
- ``kcenter``: k-center greedy on embeddings (Sener and Savarese, ICLR 2018, arXiv:1708.00489): each pick is
  the item farthest (cosine) from everything labelled or picked so far. Needs ``Pool.embeddings``.
- ``hybrid``: the ``candidates x k`` items of highest margin score, then k-center greedy among them, so a
  batch is both uncertain and spread out (the idea of Zhdanov 2019, arXiv:1901.05954, with k-center in
  place of weighted k-means).

Why not baal, small-text or modAL: baal installs Jupyter and its whole stack; modAL needs skorch and pandas
and had no release since 2023; small-text's strategies take its own classifier and dataset classes, its BALD
draws MC-dropout samples from its own PyTorch classifier (not SWAG's), and its greedy core-set recomputes
distances to the whole labelled set for every pick (``O(k * labelled * pool)``, minutes per batch at 2,000
labels and a 10,000-item pool); here the nearest distance is kept and updated, ``O(k * pool)``. The
uncertainty scores are one line of NumPy each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from labelhub.assist._checks import check_int, check_probs, check_sample_probs
from labelhub.assist.batch_strategies import badge_select, cluster_margin_select
from labelhub.assist.features import Features
from labelhub.errors import ValidationError

__all__ = [
    "STRATEGIES",
    "Pool",
    "StrategySpec",
    "bald_scores",
    "entropy_scores",
    "get_strategy",
    "k_center_greedy",
    "least_confidence_scores",
    "margin_scores",
    "select",
    "strategy_names",
]

EPS = 1e-12
Indices = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """The unlabelled items as a model sees them.

    - ``probs``: ``(items, classes)`` predicted probabilities (SWAG: the mean over samples).
    - ``samples``: ``(samples, items, classes)`` per-weight-sample probabilities, for ``bald``.
    - ``embeddings``: ``(items, dim)`` dense or SciPy sparse, for ``kcenter`` and ``hybrid``.
    - ``labelled``: the embeddings of the items already labelled (k-center keeps away from them).
    """

    probs: npt.NDArray[np.float64]
    samples: npt.NDArray[np.float64] | None = None
    embeddings: object | None = None
    labelled: object | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "probs", check_probs(self.probs))
        n = self.probs.shape[0]
        if self.samples is not None:
            s = check_sample_probs(self.samples)
            if s.shape[1:] != self.probs.shape:
                raise ValidationError(f"samples must have shape (samples, {n}, {self.probs.shape[1]}), "
                                      f"got {s.shape}", field="samples")  # fmt: skip
            object.__setattr__(self, "samples", s)
        if self.embeddings is not None:
            e = Features(self.embeddings, field="embeddings")
            if len(e) != n:
                raise ValidationError(f"embeddings has {len(e)} rows for {n} items", field="embeddings")
            object.__setattr__(self, "embeddings", e)
        if self.labelled is not None:
            lab = Features(self.labelled, field="labelled")
            if self.embeddings is None or lab.dim != Features(self.embeddings).dim:
                raise ValidationError("labelled must have the embeddings' columns", field="labelled")
            object.__setattr__(self, "labelled", lab)

    def __len__(self) -> int:
        return int(self.probs.shape[0])


def least_confidence_scores(probs: object) -> npt.NDArray[np.float64]:
    """Return ``1 - max_c p_c`` per item."""
    p = check_probs(probs)
    return np.asarray(1.0 - p.max(axis=1), dtype=np.float64)


def margin_scores(probs: object) -> npt.NDArray[np.float64]:
    """Return ``-(p_top1 - p_top2)`` per item (0 for the closest call; a single class gives -1)."""
    p = check_probs(probs)
    if p.shape[1] < 2:
        return -np.ones(p.shape[0])
    top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
    return np.asarray(top2[:, 0] - top2[:, 1], dtype=np.float64)


def entropy_scores(probs: object) -> npt.NDArray[np.float64]:
    """Return the entropy of each item's predicted distribution (nats)."""
    p = check_probs(probs)
    return np.asarray(-(p * np.log(np.clip(p, EPS, 1.0))).sum(axis=1), dtype=np.float64)


def bald_scores(samples: object) -> npt.NDArray[np.float64]:
    """Return BALD's mutual information per item from ``(samples, items, classes)`` probabilities (nats)."""
    s = check_sample_probs(samples)
    mean = s.mean(axis=0)
    total = -(mean * np.log(np.clip(mean, EPS, 1.0))).sum(axis=1)
    expected = -(s * np.log(np.clip(s, EPS, 1.0))).sum(axis=2).mean(axis=0)
    return np.asarray(np.maximum(total - expected, 0.0), dtype=np.float64)


def _top(scores: npt.NDArray[np.float64], k: int) -> Indices:
    order = np.lexsort((np.arange(len(scores)), -scores))  # highest first, ties to the lower index
    return order[:k].astype(np.int64)


def _unit_rows(x: Features) -> Any:
    return x.normalized()


def _similarity(rows: Any, other: Any) -> npt.NDArray[np.float64]:
    out = rows @ other.T
    return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=np.float64)


def k_center_greedy(embeddings: object, k: int, *, labelled: object | None = None,
                    candidates: npt.ArrayLike | None = None) -> Indices:  # fmt: skip
    """Return ``k`` items (indices into ``embeddings``) picked by k-center greedy on cosine distance.

    Each pick is the candidate whose distance to its nearest centre is largest; centres are the
    ``labelled`` embeddings and the picks so far. With nothing labelled the first pick is the item
    closest to the mean (a typical item, not an outlier). ``candidates`` limits the picks to those rows.
    """
    x = Features(embeddings, field="embeddings")
    k = check_int(k, "k", low=0)
    rows = _unit_rows(x)
    cand = np.arange(len(x)) if candidates is None else np.unique(np.asarray(candidates, dtype=np.int64))
    k = min(k, len(cand))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    sub = rows[cand]
    nearest = np.full(len(cand), np.inf)
    if labelled is not None:
        lab = Features(labelled, field="labelled")
        lab_rows = _unit_rows(lab)
        for start in range(0, len(lab), 1024):
            sim = _similarity(sub, lab_rows[start : start + 1024])
            nearest = np.minimum(nearest, 1.0 - sim.max(axis=1))
    picks: list[int] = []
    if not np.isfinite(nearest).any():
        centre = np.asarray(sub.mean(axis=0)).reshape(1, -1)
        first = int(np.argmax(_similarity(sub, centre)[:, 0]))
        picks.append(first)
        nearest = np.minimum(nearest, 1.0 - _similarity(sub, sub[first : first + 1])[:, 0])
    while len(picks) < k:
        masked = nearest.copy()
        masked[picks] = -np.inf
        best = int(np.argmax(masked))
        picks.append(best)
        nearest = np.minimum(nearest, 1.0 - _similarity(sub, sub[best : best + 1])[:, 0])
    return cand[np.asarray(picks, dtype=np.int64)]


def _random(pool: Pool, k: int, seed: int) -> Indices:
    return np.random.default_rng(seed).permutation(len(pool))[:k].astype(np.int64)


def _bald(pool: Pool, k: int, seed: int) -> Indices:
    if pool.samples is None:
        raise ValidationError("bald needs the weight samples (pool.samples): train with mode swag", field="samples")
    return _top(bald_scores(pool.samples), k)


def _kcenter(pool: Pool, k: int, seed: int) -> Indices:
    if pool.embeddings is None:
        raise ValidationError("kcenter needs pool.embeddings", field="embeddings")
    return k_center_greedy(pool.embeddings, k, labelled=pool.labelled)


def _hybrid(pool: Pool, k: int, seed: int, *, candidates: int = 10) -> Indices:
    if pool.embeddings is None:
        raise ValidationError("hybrid needs pool.embeddings", field="embeddings")
    shortlist = _top(margin_scores(pool.probs), min(len(pool), candidates * k))
    return k_center_greedy(pool.embeddings, k, labelled=pool.labelled, candidates=shortlist)


def _badge(pool: Pool, k: int, seed: int) -> Indices:
    if pool.embeddings is None:
        raise ValidationError("badge needs pool.embeddings", field="embeddings")
    return badge_select(pool.probs, pool.embeddings, k, seed=seed)


def _cluster_margin(pool: Pool, k: int, seed: int) -> Indices:
    if pool.embeddings is None:
        raise ValidationError("cluster_margin needs pool.embeddings", field="embeddings")
    return cluster_margin_select(pool.probs, pool.embeddings, k)


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """A strategy by name: the function, and what it needs from the pool besides ``probs``."""

    name: str
    run: Callable[[Pool, int, int], Indices]
    needs_samples: bool = False
    needs_embeddings: bool = False


def _scored(fn: Callable[[object], npt.NDArray[np.float64]]) -> Callable[[Pool, int, int], Indices]:
    return lambda pool, k, seed: _top(fn(pool.probs), k)


STRATEGIES: Mapping[str, StrategySpec] = MappingProxyType({
    "random": StrategySpec("random", _random),
    "least_confidence": StrategySpec("least_confidence", _scored(least_confidence_scores)),
    "margin": StrategySpec("margin", _scored(margin_scores)),
    "entropy": StrategySpec("entropy", _scored(entropy_scores)),
    "bald": StrategySpec("bald", _bald, needs_samples=True),
    "kcenter": StrategySpec("kcenter", _kcenter, needs_embeddings=True),
    "hybrid": StrategySpec("hybrid", _hybrid, needs_embeddings=True),
    "badge": StrategySpec("badge", _badge, needs_embeddings=True),
    "cluster_margin": StrategySpec("cluster_margin", _cluster_margin, needs_embeddings=True),
})  # fmt: skip


def strategy_names() -> list[str]:
    """Return the registered strategy names."""
    return list(STRATEGIES)


def get_strategy(name: str) -> StrategySpec:
    """Return the strategy called ``name``; raise ValidationError listing the known names otherwise."""
    spec = STRATEGIES.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ValidationError(f"unknown strategy {name!r:.60}; known: {', '.join(STRATEGIES)}", field="strategy")
    return spec


def select(strategy: str, pool: Pool, k: int, *, seed: int = 0) -> Indices:
    """Return ``min(k, len(pool))`` distinct indices into ``pool``, the most worth labelling first."""
    spec = get_strategy(strategy)
    k = check_int(k, "k", low=0)
    if not isinstance(pool, Pool):
        raise ValidationError("pool must be a Pool", field="pool")
    check_int(seed, "seed", low=0)
    return spec.run(pool, min(k, len(pool)), seed)
