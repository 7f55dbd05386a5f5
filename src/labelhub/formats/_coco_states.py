"""What a COCO annotation says of its review state: ``score`` marks a model's proposal, ``state`` labelhub's state.

COCO detection results carry a ``score`` per annotation, and nothing else tells a proposal from a label a
person drew. So an annotation with a ``score`` imports as a model proposal (source ``model``, state
``proposed``, with that score), as YOLO's sixth value does. labelhub's export writes ``"state"`` beside the
score, and for every annotation not accepted (``"state": "rejected"``), so a round trip keeps each state:
an accepted model annotation comes back accepted with its score, a rejected one rejected. Both keys are
extra keys of an annotation object, which pycocotools and other COCO readers ignore.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from labelhub.domain.enums import AnnotationState, Source
from labelhub.domain.records import AnnotationRecord

_STATES = {s.value: s for s in AnnotationState}


class StateError(Exception):
    """A ``score`` or ``state`` that cannot be read; ``key`` is the annotation's key at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def mark_state(records: Iterable[AnnotationRecord], ann: dict[str, Any]) -> None:
    """Give ``records`` (one COCO annotation's box, polygons, mask and keypoints) the score, source and state
    that ``ann``'s ``score`` and ``state`` keys say; raise StateError when one cannot be read."""
    score = ann.get("score")
    if score is not None and (type(score) not in (int, float) or not math.isfinite(score) or not 0 <= score <= 1):
        raise StateError("score", f"score must be a number from 0 to 1, got {score!r}")
    raw = ann.get("state")
    if raw is None:
        state = AnnotationState.PROPOSED if score is not None else AnnotationState.ACCEPTED
    elif not isinstance(raw, str) or raw not in _STATES:
        raise StateError("state", f"state must be one of {', '.join(_STATES)}, got {raw!r}")
    else:
        state = _STATES[raw]
    source = Source.MODEL if score is not None else Source.HUMAN
    for rec in records:
        rec.score = float(score) if score is not None else None
        rec.source, rec.state = source, state


def state_keys(members: Iterable[AnnotationRecord]) -> dict[str, Any]:
    """The ``score`` and ``state`` keys of the COCO annotation that ``members`` make (empty for an accepted
    annotation without a score: a plain COCO annotation)."""
    members = list(members)
    score = next((a.score for a in members if a.score is not None), None)
    state = members[0].state if members else AnnotationState.ACCEPTED
    out: dict[str, Any] = {}
    if score is not None:
        out["score"] = score
    if score is not None or state is not AnnotationState.ACCEPTED:
        out["state"] = state.value
    return out
