"""What the labelling queue keeps between requests: loaded models and finished rankings, held by the hub.

A ranking is keyed by everything that changes it (project, model version, human label count, strategy, pool),
so a stale one is never served: a save that labels an item changes the pool and the next call ranks again.

Of a model's prediction of an item only what a ranking reads is kept (:class:`Scored`): the class
probabilities, and for a SWAG model the item's BALD score, computed once from the weight samples when the item
is predicted. The samples themselves are not kept. Kept, they cost ``samples x items x classes`` float64s per
model, and each item's rows were a view that pinned its whole prediction batch. Measured on the project
``benchmarks/bench_queue.py`` builds (BANKING77's train split, 10,003 texts, 77 classes, a SWAG text model with
30 samples), as the numpy buffers the cache keeps alive (tracemalloc misses them: PyTorch allocated them):
95.5 MB after one BALD ranking of the 5,000-item pool, 185.2 MB once all 9,699 unlabelled items were
predicted. Now 3.1 MB and 6.0 MB: each item's 77 probabilities in its own array, and its score as one float.
The queue's order and scores are the same, as BALD's score of an item depends on its own samples only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from labelhub._lru import Lru

if TYPE_CHECKING:
    from labelhub.assist.predictors import Predictor

__all__ = ["QueueCache", "Ranking", "Scored"]

# (item id, score, reason) best first.
Ranking = list[tuple[int, float | None, str]]


@dataclass(frozen=True, slots=True)
class Scored:
    """What the queue keeps of a model's prediction of one item: its class probabilities (its own float64 array,
    not a view into the predictor's batch) and, from a SWAG model, BALD's mutual information (None without
    weight samples)."""

    probs: npt.NDArray[np.float64]
    bald: float | None = None

    @classmethod
    def of(cls, probs: npt.ArrayLike, bald: float | None = None) -> Scored:
        """Return the item's probabilities copied out of whatever array they are a row of, with its BALD score."""
        return cls(np.array(probs, dtype=np.float64, copy=True), None if bald is None else float(bald))


def _ranks() -> Lru[Ranking]:
    return Lru(64)


def _predictors() -> Lru[Any]:
    return Lru(8)


def _per_model() -> Lru[Any]:
    return Lru(2)


@dataclass(slots=True)
class QueueCache:
    """Rankings by their key; by (model version id, its creation time): loaded predictors, and what their
    predictions and embeddings of each item gave (the two most recent models: a SWAG model's predictions of a
    5,000-item pool take seconds, and do not change when an item is labelled)."""

    ranks: Lru[Ranking] = field(default_factory=_ranks)
    predictors: Lru[Predictor] = field(default_factory=_predictors)
    predictions: Lru[dict[int, Scored]] = field(default_factory=_per_model)
    features: Lru[dict[int, npt.NDArray[np.float32]]] = field(default_factory=_per_model)
    # True where this process serves the API and runs jobs too (``create_app(run_worker=True)``): a training then
    # ranks the queue with its model before it finishes, so the first person to open the queue does not wait.
    warm_after_training: bool = False

    def prediction_bytes(self) -> int:
        """Return the bytes of the arrays the kept predictions hold (each counted once, with what it is a view of)."""
        held: dict[int, int] = {}
        for predicted in self.predictions.values():
            for scored in predicted.values():
                a = scored.probs
                while isinstance(a.base, np.ndarray):
                    a = a.base
                held[id(a)] = a.nbytes
        return sum(held.values())

    def forget_items(self, ids: list[int]) -> None:
        """Drop what the models said about deleted items: SQLite gives a deleted last id to the next new item, which
        must not inherit its predictions, nor the rankings made with them (the pool's key would not change)."""
        self.ranks.clear()
        for item_id in ids:
            for predicted in self.predictions.values():
                predicted.pop(item_id, None)
            for embedded in self.features.values():
                embedded.pop(item_id, None)
