"""How a model version's proposals fared with people: the share accepted unchanged, the work the model saved.

- proposals: annotations with this version's ``name@version`` (proposals that were deleted leave no row and
  are not counted), including those a person edited (they keep the version they came from);
- reviewed: proposals a person decided on: accepted or rejected by a reviewer (``reviewed_by`` set), or
  relabelled / reshaped (which makes them the person's, source ``human``);
- accepted unchanged: reviewed, state ``accepted``, source still ``model``, annotation version at most 2
  (a reviewer's accept is one update) and, for classifiers, the label still the one the model gives the item;
- auto-accepted: accepted by the project's band and never reviewed; they are not in the share, which is
  ``accepted unchanged / reviewed``: nobody has checked them, so they show no work saved yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelhub.domain.enums import AnnotationState, Source
from labelhub.storage.models import Annotation

__all__ = ["accepted_unchanged"]


def accepted_unchanged(s: Any, project_id: int, tag: str, model_label: dict[int, str] | None) -> dict[str, Any]:
    """Count the proposals of version ``tag`` (``model_label``: a classifier's label per item, else None)."""
    a = Annotation
    stmt = select(a.item_id, a.label, a.source, a.state, a.version, a.reviewed_by).where(
        a.project_id == project_id, a.model_version == tag
    )
    proposals = reviewed = unchanged = auto = 0
    for item_id, label, source, state, version, reviewer in s.execute(stmt):
        proposals += 1
        if source == Source.HUMAN.value:  # a person relabelled or reshaped it: reviewed, changed
            reviewed += 1
        elif reviewer is not None and state != AnnotationState.PROPOSED.value:
            reviewed += 1
            same = model_label is None or model_label.get(item_id) == label
            unchanged += int(state == AnnotationState.ACCEPTED.value and version <= 2 and same)
        elif state == AnnotationState.ACCEPTED.value:
            auto += 1  # accepted by the band, never looked at: no evidence of work saved either way
    return {
        "proposals": proposals,
        "reviewed": reviewed,
        "accepted_unchanged": unchanged,
        "auto_accepted": auto,
        "share": unchanged / reviewed if reviewed else None,
    }
