"""The project events a webhook may subscribe to, and the rule its patterns follow.

A pattern is ``*`` (every project event), ``<kind>.*`` (every action on one kind of object, ``item.*``) or one
exact action (``annotations.replace``). Patterns are checked against the actions labelhub records for a
project, so a typo (``item.aprove``) is refused when the hook is saved instead of never matching.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from labelhub.errors import ValidationError

__all__ = ["ACTIONS", "MAX_PATTERNS", "PROJECTLESS", "check_patterns"]

# Every audit action recorded with a project, by kind of object. Keep in step with the calls of
# services/audit.record (tests/services/test_webhooks.py reads the sources to check that).
ACTIONS: dict[str, tuple[str, ...]] = {
    "alert": ("ack", "raised"),
    "alert_rule": ("create", "delete", "update"),
    "annotations": ("fill_between", "replace"),
    "assist": ("settings",),
    "consensus": ("merge", "reset", "set", "submit"),
    "embeddings": ("compute",),
    "federated": ("round", "train"),
    "item": ("accept_proposals", "approve", "assign", "bulk_update", "delete", "reject", "reject_proposals"),
    "job": ("cancel", "create", "finished"),
    "member": ("remove", "set"),
    "model": ("activate", "delete", "evaluate", "prune", "register", "train"),
    "prelabel": ("run",),
    "project": ("create", "delete", "export", "import", "update"),
    "track": (
        "attributes",
        "create",
        "delete",
        "frame_attributes",
        "keyframe",
        "keyframe_remove",
        "merge",
        "rename",
        "split",
        "undo",
    ),
    "webhook": ("create", "delete", "disable", "update"),
}
# Actions about no project (logins, users, tokens): a project's webhook never sees them.
PROJECTLESS = frozenset({"auth", "user", "token"})
MAX_PATTERNS = 50
_SHAPE = re.compile(r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")


def check_patterns(patterns: Sequence[str]) -> list[str]:
    """Return the patterns, trimmed and without repeats, or raise ValidationError (field ``events``) saying
    which one is wrong and what would be right."""
    out: list[str] = []
    for raw in patterns:
        pattern = raw.strip()
        if pattern and pattern not in out:
            _check_one(pattern)
            out.append(pattern)
    if not out:
        raise ValidationError(
            'events must name at least one pattern: "*" for every event, or e.g. "item.*"', field="events"
        )
    if len(out) > MAX_PATTERNS:
        raise ValidationError(f"events may hold at most {MAX_PATTERNS} patterns, got {len(out)}", field="events")
    return ["*"] if "*" in out else out


def _check_one(pattern: str) -> None:
    if not _SHAPE.match(pattern):
        raise ValidationError(
            f'event pattern {pattern!r:.80} is not "*", "<kind>.*" or an action such as "item.approve" '
            "(lower case, no other wildcards)",
            field="events",
        )
    if pattern == "*":
        return
    kind, verb = pattern.split(".", 1)
    if kind in PROJECTLESS:
        raise ValidationError(
            f"{kind}.* events are not about a project; a project's webhook never receives them", field="events"
        )
    if kind not in ACTIONS:
        close = difflib.get_close_matches(kind, ACTIONS, n=1)
        hint = f'; did you mean "{close[0]}.{verb}"?' if close else f"; known kinds: {', '.join(ACTIONS)}"
        raise ValidationError(f"event pattern {pattern!r} names no kind of event labelhub sends{hint}", field="events")
    if verb != "*" and verb not in ACTIONS[kind]:
        known = ", ".join(f"{kind}.{v}" for v in ACTIONS[kind])
        raise ValidationError(
            f"{pattern!r} is not an event labelhub sends; {kind} events are {known} (or {kind}.*)", field="events"
        )
