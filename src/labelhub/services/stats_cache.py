"""A big project's counts (``GET /projects/{id}/stats``), kept until the project changes.

The counts are one pass over the project's annotations: 2.6 s at 10M annotations on PostgreSQL, 1.5 s at 1M on
SQLite, paid on every visit of the project page. A count that took less than :attr:`StatsCache.min_seconds`
(0.2 s) is never kept: small projects are counted on every call, as before.

The keeping is :class:`~.kept_counts.KeptCounts`, shared with the item lists' totals (:mod:`.item_totals`): its
docstring says what tells that a project changed (its newest audit event), where that is not exact (an open job,
a PostgreSQL write still committing: an age bound of 5-60 s), that access is checked on every call before
anything kept is served, and that two calls for the same project and options at once count once. Here the key is
the ``attributes`` option; ``?fresh=true`` (the page's "Recount") counts again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from labelhub.services.access import Actor
from labelhub.services.kept_counts import KeptCounts, Signal, age_bound, read_signal
from labelhub.services.stats import count_project
from labelhub.storage.models import Project

__all__ = ["Signal", "StatsCache", "age_bound", "read_signal"]


class StatsCache:
    """Kept counts of the most recently asked ``max_entries`` (project, attributes) pairs (module docstring).

    ``min_seconds``: a quicker count is not kept; ``clock`` (seconds) times counts and ages them, ``wall`` says
    ``counted_at``; ``counter`` counts (:func:`.stats.count_project`)."""

    def __init__(
        self,
        *,
        min_seconds: float = 0.2,
        max_entries: int = 64,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        counter: Callable[[Session, Project, bool], dict[str, Any]] = lambda s, p, a: count_project(s, p, attributes=a),
    ) -> None:
        self._kept: KeptCounts[bool, dict[str, Any]] = KeptCounts(
            min_seconds=min_seconds, max_entries=max_entries, clock=clock, wall=wall
        )
        self._counter = counter

    @property
    def min_seconds(self) -> float:
        return self._kept.min_seconds

    @min_seconds.setter
    def min_seconds(self, seconds: float) -> None:
        self._kept.min_seconds = seconds

    @property
    def counts(self) -> int:
        """Counts made (kept or not), for tests and figures."""
        return self._kept.counts

    def stats(
        self, session: Session, actor: Actor, project_id: int, *, attributes: bool = False, fresh: bool = False
    ) -> dict[str, Any]:
        """The project's counts (:func:`.stats.project_stats`) with ``counted_at`` (ISO UTC) and ``cached``
        (True when they were counted by an earlier call); ``fresh`` counts again whatever is kept."""
        counter = self._counter
        kept = self._kept.get(
            session, actor, project_id, attributes, lambda s, p: counter(s, p, attributes), fresh=fresh
        )
        return {**kept.value, "counted_at": kept.counted_at.isoformat(), "cached": kept.cached}
