"""Batch-aware active learning: picks that are uncertain *and* unlike each other within one round.

Top-k uncertainty takes the ``k`` unsurest items at once, and those are often near-duplicates (the same
confusion between two intents, asked 100 times). The two strategies here spread a round's picks out:

- ``badge`` (Ash, Zhang, Krishnamurthy, Langford and Agarwal, "Deep Batch Active Learning by Diverse,
  Uncertain Gradient Lower Bounds", ICLR 2020, arXiv:1906.03671): each item's *gradient embedding* is the
  gradient of the cross-entropy, at the predicted label, with respect to the last linear layer:
  ``g = (p - onehot(argmax p)) ⊗ h`` for features ``h``. Its length grows with the model's doubt, its
  direction says which classes and which features the doubt is about. The batch is the k-means++ seeding on
  these vectors (first the longest, then each next one drawn with probability proportional to its squared
  distance to the nearest one picked), so it is unsure and diverse at once, with no weight to tune between
  the two. Here ``h`` is the pool's embeddings: for a linear head over them the exact last-layer gradient;
  for the text assistant (an MLP over n-grams, LSA embeddings) an approximation that takes the doubt from
  the model and the direction from the embeddings.
- ``cluster_margin`` (Citovsky et al., "Batch Active Learning at Scale", NeurIPS 2021, arXiv:2107.14263):
  the ``candidates x k`` lowest-margin items are clustered (average-linkage agglomerative clustering on
  cosine distance), and picks go round-robin over the clusters, smallest cluster first, the most uncertain
  item of each cluster first. The paper clusters the whole pool once; here only the shortlist is clustered
  in each call (the pool can change between calls, and the shortlist is small enough to do it exactly).

Hand-written because no maintained library fits. The references read were the authors' code
(JordanAsh/badge: the longest gradient first, then D² sampling, as here) and small-text's ``BADGE``, which
builds the ``items x (classes x dim)`` matrix explicitly (7.7M floats for 10,000 items, 77 classes, 100
dimensions) and sets the ``-1`` of the one-hot on whole rows instead of each row's predicted class; baal
has neither strategy (its answer to redundant batches is stochastic acquisition, Kirsch et al. 2022), and
modAL has neither. The distances here never build ``g``: for gradient
embeddings ``<g_i, g_j> = <a_i, a_j> <h_i, h_j>`` with ``a = p - onehot``, so one k-means++ step costs
``O(items x (classes + dim))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]

from labelhub.assist._checks import check_int, check_probs
from labelhub.assist.features import Features

__all__ = ["badge_select", "cluster_margin_select", "gradient_embedding_norms"]

Indices = npt.NDArray[np.int64]


def _dense_or_sparse(x: Features) -> Any:
    return x.normalized()


def _dot_with_row(h: Any, row: int) -> npt.NDArray[np.float64]:
    out = h @ h[row : row + 1].T
    return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=np.float64).ravel()


def _squared_norms(h: Any) -> npt.NDArray[np.float64]:
    if sp.issparse(h):
        return np.asarray(h.multiply(h).sum(axis=1), dtype=np.float64).ravel()
    return np.asarray((h.astype(np.float64) ** 2).sum(axis=1), dtype=np.float64)


def _residuals(probs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    a = probs.astype(np.float64, copy=True)
    a[np.arange(len(a)), a.argmax(axis=1)] -= 1.0
    return a


def gradient_embedding_norms(probs: object, embeddings: object) -> npt.NDArray[np.float64]:
    """Return the length of each item's BADGE gradient embedding, ``|p - onehot(argmax p)| * |h|``."""
    p = check_probs(probs)
    h = Features(embeddings, field="embeddings").normalized()
    a = _residuals(p)
    return np.asarray(np.sqrt((a * a).sum(axis=1) * _squared_norms(h)), dtype=np.float64)


def badge_select(probs: object, embeddings: object, k: int, *, seed: int = 0) -> Indices:
    """Return ``k`` distinct indices picked by k-means++ seeding on gradient embeddings (BADGE).

    ``embeddings`` (dense or sparse) are scaled to unit length first, so every item's ``h`` counts alike
    and the gradient length is the model's doubt alone. The first pick is the longest gradient embedding;
    each next one is drawn with probability proportional to its squared distance to the nearest pick (a
    generator seeded with ``seed``). When every remaining distance is 0 (duplicates of the picks, or a
    model sure of everything) the rest follow the gradient length, ties to the lower index.
    """
    p = check_probs(probs)
    x = Features(embeddings, field="embeddings")
    k = min(check_int(k, "k", low=0), len(x))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    h = _dense_or_sparse(x)
    a = _residuals(p)
    a_sq = (a * a).sum(axis=1)
    g_sq = a_sq * _squared_norms(h)
    rng = np.random.default_rng(seed)
    first = int(np.lexsort((np.arange(len(g_sq)), -g_sq))[0])
    picks = [first]
    taken = np.zeros(len(g_sq), dtype=bool)
    taken[first] = True
    nearest = np.full(len(g_sq), np.inf)
    while len(picks) < k:
        c = picks[-1]
        d2 = g_sq + g_sq[c] - 2.0 * (a @ a[c]) * _dot_with_row(h, c)
        nearest = np.minimum(nearest, np.maximum(d2, 0.0))
        weights = np.where(taken, 0.0, nearest)
        total = weights.sum()
        if total > 0 and np.isfinite(total):
            nxt = int(rng.choice(len(weights), p=weights / total))
        else:
            rest = np.flatnonzero(~taken)
            nxt = int(rest[np.lexsort((rest, -g_sq[rest]))[0]])
        picks.append(nxt)
        taken[nxt] = True
    return np.asarray(picks, dtype=np.int64)


def cluster_margin_select(probs: object, embeddings: object, k: int, *, candidates: int = 10) -> Indices:
    """Return ``k`` distinct indices: the lowest-margin shortlist, clustered, taken round-robin (cluster-margin).

    The shortlist is the ``candidates * k`` items with the smallest gap between the two likeliest classes.
    It is cut into about ``k`` clusters by average-linkage clustering of the unit rows (SciPy; Euclidean
    distance between unit rows orders pairs as cosine distance does); clusters
    are visited smallest first (ties: the one holding the more uncertain item), and each visit takes the
    cluster's most uncertain item not yet picked.
    """
    p = check_probs(probs)
    x = Features(embeddings, field="embeddings")
    k = min(check_int(k, "k", low=0), len(x))
    check_int(candidates, "candidates", low=1)
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if p.shape[1] < 2:
        margin = np.ones(len(p))
    else:
        top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
        margin = top2[:, 1] - top2[:, 0]
    order = np.lexsort((np.arange(len(margin)), margin))  # most uncertain first, ties to the lower index
    short = order[: min(len(order), candidates * k)]
    if len(short) <= k:
        return short[:k].astype(np.int64)
    rows: Any = x.normalized()[short]
    dense = np.asarray(rows.toarray() if sp.issparse(rows) else rows, dtype=np.float64)
    tree = linkage(dense, method="average", metric="euclidean")  # unit rows: monotone in cosine
    cluster_of = fcluster(tree, t=k, criterion="maxclust")
    members: dict[int, list[int]] = {}
    for rank, c in enumerate(cluster_of.tolist()):
        members.setdefault(int(c), []).append(rank)  # ranks are in shortlist order: most uncertain first
    queues = sorted(members.values(), key=lambda m: (len(m), m[0]))
    picks: list[int] = []
    while len(picks) < k:
        for queue in queues:
            if queue and len(picks) < k:
                picks.append(int(short[queue.pop(0)]))
    return np.asarray(picks, dtype=np.int64)
