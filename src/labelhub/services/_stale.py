"""The 409 every write guarded by an item's version raises when the client's copy is stale."""

from __future__ import annotations

from labelhub.errors import ConflictError


def stale_item(item_id: int, expected: int, current: int | None) -> ConflictError:
    """Return the ConflictError for a write made at ``expected`` on an item now at ``current``."""
    return ConflictError(
        f"item {item_id} was changed by someone else (you had version {expected}, it is now {current}); "
        "reload it, your edits are kept in the editor",
        field="version",
        current_version=current,
    )
