"""The last propagation of each recently edited track, kept in memory so an edit re-tracks only its segment.

A :class:`~labelhub.tracking.propagate.Propagation` holds the tracking passes; with them, a keyframe edit costs
about one tracker update per recomputed frame. Without them (a restart, or an evicted entry) the next job
propagates from the stored keyframes, which gives the same boxes and costs the whole video.
"""

from __future__ import annotations

from labelhub._lru import Lru
from labelhub.tracking.propagate import Propagation

__all__ = ["PropagationCache"]

DEFAULT_ENTRIES = 32


class PropagationCache(Lru[Propagation]):
    """Propagations by key (the hub uses ``(item id, track id)``), least recently used dropped first."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES) -> None:
        super().__init__(max_entries, field="max_entries")
