"""When an item is labelled per person (consensus labelling): the rule every layer shares."""

from __future__ import annotations

from labelhub.domain.enums import ItemStatus

__all__ = ["MAX_OVERLAP", "OPEN", "under_consensus"]

MAX_OVERLAP = 10  # people labelling one item at most
OPEN = (ItemStatus.NEW.value, ItemStatus.IN_PROGRESS.value)  # not labelled (merged) yet


def under_consensus(overlap: int | None, status: str) -> bool:
    """True while an item is labelled per person: overlap 2 or more and not merged yet (status new/in progress)."""
    return (overlap or 0) >= 2 and status in OPEN
