"""What the labelling queue keeps between requests: loaded models and finished rankings, held by the hub.

A ranking is keyed by everything that changes it (project, model version, human label count, strategy, pool),
so a stale one is never served: a save that labels an item changes the pool and the next call ranks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelhub._lru import Lru

if TYPE_CHECKING:
    from labelhub.assist.predictors import Predictor

__all__ = ["QueueCache", "Ranking"]

# (item id, score, reason) best first.
Ranking = list[tuple[int, float | None, str]]


def _ranks() -> Lru[Ranking]:
    return Lru(64)


def _predictors() -> Lru[Any]:
    return Lru(8)


@dataclass(slots=True)
class QueueCache:
    """Rankings by their key, and loaded predictors by (model version id, its creation time)."""

    ranks: Lru[Ranking] = field(default_factory=_ranks)
    predictors: Lru[Predictor] = field(default_factory=_predictors)
