"""The 409 every write guarded by an item's version raises when the client's copy is stale."""

from __future__ import annotations

from labelhub.errors import ConflictError


def stale_item(
    item_id: int, expected: int, current: int | None, advice: str = "reload it, your edits are kept in the editor"
) -> ConflictError:
    """Return the ConflictError for a write made at ``expected`` on an item now at ``current``; ``advice`` says
    what to do next."""
    return ConflictError(
        f"item {item_id} was changed by someone else (you had version {expected}, it is now {current}); {advice}",
        field="version",
        current_version=current,
    )
