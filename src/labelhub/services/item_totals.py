"""How many items a filtered list holds (the item list's ``with_total``), kept until the project changes.

The grid asks for the total beside its first page, and the editor's "item N of M" for its M; counting every item
that matches costs 100 ms at 1M items and 569 ms at 10M on PostgreSQL (benchmarks/README.md, "Scale"), on every
call. A total that took at least :attr:`~.kept_counts.KeptCounts.min_seconds` is kept under exactly the rules of
the project's counts (``/stats``): :class:`~.kept_counts.KeptCounts` says them (served while the
project's newest audit event is the one it was counted at; held to an age bound while a job of the project is
open or a PostgreSQL write may still be committing; access checked on every call before anything kept is served;
one count at a time per key). ``fresh_total=true`` (the grid's "Recount") counts again.

The threshold is 50 ms here, not the 0.2 s of ``/stats``: a page of 100 items has a 20 ms target, and the grid's
first page waits on its total, so a 1M-item project's 100 ms count is worth keeping; a total counted in less is
counted on every call (exact, without the age bound's caveats).

The key is the project and every field of the :class:`~.items.ItemFilter`, read field by field
(:func:`total_key`), with the annotator and assignee ids already resolved (``me`` is the caller's id): nothing else
of the caller changes the list (read access sees every item of the project; no role narrows it), so callers with
the same filter share a total.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from labelhub.services.access import Actor
from labelhub.services.items import ItemFilter, count_items
from labelhub.services.kept_counts import Kept, KeptCounts

__all__ = ["ItemTotals", "total_key"]

FilterKey = tuple[object, ...]
_FIELDS = tuple(f.name for f in fields(ItemFilter))


def total_key(f: ItemFilter) -> FilterKey:
    """What a total is kept under, besides its project: every field of ``f`` by name, so a field added to the
    filter later is part of it whatever its ``compare`` flag (every value is hashable: str, number, bool, enum)."""
    return tuple((name, getattr(f, name)) for name in _FIELDS)


class ItemTotals:
    """Kept totals of the most recently asked ``max_entries`` (project, filter) pairs (module docstring).

    ``min_seconds``, ``clock`` and ``wall`` as :class:`~.kept_counts.KeptCounts`; ``counter`` counts
    (:func:`.items.count_items`)."""

    def __init__(
        self,
        *,
        min_seconds: float = 0.05,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        counter: Callable[[Session, Actor, int, ItemFilter], int] = count_items,
    ) -> None:
        self.kept: KeptCounts[FilterKey, int] = KeptCounts(
            min_seconds=min_seconds, max_entries=max_entries, clock=clock, wall=wall
        )
        self._counter = counter

    def total(
        self, session: Session, actor: Actor, project_id: int, f: ItemFilter, *, fresh: bool = False
    ) -> Kept[int]:
        """How many of the project's items match ``f`` (:func:`.items.count_items`), when it was counted, and
        whether an earlier call counted it; ``fresh`` counts again whatever is kept."""
        counter = self._counter
        key = total_key(f)
        return self.kept.get(session, actor, project_id, key, lambda s, p: counter(s, actor, p.id, f), fresh=fresh)
