"""Who labels what: the assignment modes and the even split, as plain functions (no I/O).

An even split hands out ``n`` items so that the members' open loads (items assigned to them and not labelled yet)
end up as level as they can: whoever has the least gets items first, nobody gets more than brings them one
above another's. Hand-written water-filling (a few lines; no library does exactly this), deterministic: ties go
to the lower user id, and each member's items are one run of the selection in id order, members in user id
order, so the same request on the same project assigns the same items to the same people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

__all__ = ["AssignMode", "even_counts", "split_runs"]


class AssignMode(StrEnum):
    """``one``: every item to one member; ``even``: split across several, balanced by their open load."""

    ONE = "one"
    EVEN = "even"


def even_counts(loads: Mapping[int, int], n: int) -> dict[int, int]:
    """Return how many of ``n`` new items each member gets (user id -> count, every member listed, 0 allowed).

    ``loads`` holds each member's current open load. The result raises the lowest loads first: after it, every
    member who got items has a load within one of every other such member, and no more than one above the
    lowest load of those who got none. Ties (who gets the one extra item) go to the lower user id.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not loads:
        if n:
            raise ValueError("no members to split items among")
        return {}
    # The lowest level L such that filling every load below L up to L takes at least n items.
    lo, hi = min(loads.values()), min(loads.values()) + n
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(max(0, mid - load) for load in loads.values()) >= n:
            hi = mid
        else:
            lo = mid + 1
    level = lo
    # Fill to level - 1, then the rest, one each, to those standing at level - 1 (lowest user id first).
    counts = {uid: max(0, level - 1 - load) for uid, load in loads.items()}
    left = n - sum(counts.values())
    for uid in sorted(loads):
        if left == 0:
            break
        if loads[uid] + counts[uid] == level - 1:
            counts[uid] += 1
            left -= 1
    return counts


def split_runs(item_ids: Sequence[int], counts: Mapping[int, int]) -> dict[int, list[int]]:
    """Cut ``item_ids`` (sorted) into one run per member, in user id order, each ``counts[uid]`` long."""
    if sum(counts.values()) != len(item_ids):
        raise ValueError(f"counts sum to {sum(counts.values())}, not the {len(item_ids)} items")
    out: dict[int, list[int]] = {}
    start = 0
    for uid in sorted(counts):
        out[uid] = list(item_ids[start : start + counts[uid]])
        start += counts[uid]
    return out
