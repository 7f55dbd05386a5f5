"""When an item is labelled per person (consensus labelling): the rule every layer shares."""

from __future__ import annotations

from labelhub.domain.enums import ItemStatus

__all__ = ["MAX_OVERLAP", "OPEN", "TIE_TAG", "reopened", "under_consensus"]

MAX_OVERLAP = 10  # people labelling one item at most
OPEN = (ItemStatus.NEW.value, ItemStatus.IN_PROGRESS.value)  # not labelled (merged) yet
TIE_TAG = "consensus-tie"  # put on an item whose merge had a tie, so reviewers can filter for them


def under_consensus(overlap: int | None, status: str) -> bool:
    """True while an item is labelled per person: overlap 2 or more and not merged yet (status new/in progress)."""
    return (overlap or 0) >= 2 and status in OPEN


def reopened(before: str | None, after: str) -> bool:
    """True when a write takes an item from labelled (merged, reviewed, rejected) back to labelling (new or in
    progress): an item under consensus then starts a new round (``services.consensus_reset``)."""
    return before is not None and before not in OPEN and after in OPEN
