"""What the labelling queue keeps between requests: loaded models and finished rankings, held by the hub.

A ranking is keyed by everything that changes it (project, model version, human label count, strategy, pool),
so a stale one is never served: a save that labels an item changes the pool and the next call ranks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelhub._lru import Lru

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from labelhub.assist.predictors import Prediction, Predictor

__all__ = ["QueueCache", "Ranking"]

# (item id, score, reason) best first.
Ranking = list[tuple[int, float | None, str]]


def _ranks() -> Lru[Ranking]:
    return Lru(64)


def _predictors() -> Lru[Any]:
    return Lru(8)


def _per_model() -> Lru[Any]:
    return Lru(2)


@dataclass(slots=True)
class QueueCache:
    """Rankings by their key; by (model version id, its creation time): loaded predictors, and the predictions and
    embeddings they gave, per item (the two most recent models: a SWAG model's predictions of a 5,000-item pool
    take seconds, and do not change when an item is labelled)."""

    ranks: Lru[Ranking] = field(default_factory=_ranks)
    predictors: Lru[Predictor] = field(default_factory=_predictors)
    predictions: Lru[dict[int, Prediction]] = field(default_factory=_per_model)
    features: Lru[dict[int, npt.NDArray[np.float32]]] = field(default_factory=_per_model)

    def forget_items(self, ids: list[int]) -> None:
        """Drop what the models said about deleted items: SQLite gives a deleted last id to the next new item, which
        must not inherit its predictions, nor the rankings made with them (the pool's key would not change)."""
        self.ranks.clear()
        for item_id in ids:
            for predicted in self.predictions.values():
                predicted.pop(item_id, None)
            for embedded in self.features.values():
                embedded.pop(item_id, None)
