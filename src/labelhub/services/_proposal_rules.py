"""What a person's save does to a model's proposals: the rules :func:`labelhub.services.annotations.plan_save` applies
to each row it is sent (an undo that gives a proposal back, an open proposal, a relabelled or reshaped one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from sqlalchemy import Row

from labelhub.domain.enums import AnnotationState, Source

if TYPE_CHECKING:
    from labelhub.services.annotations import AnnotationInput


def restores_proposal(a: AnnotationInput, old: Row[Any]) -> bool:
    """True when a save gives a person's label back to the model proposal it was made from (an undo of the edit or
    confirmation that made it the person's): the row was a proposal of that model version, and the client sends it
    as that model's open proposal again."""
    return bool(
        old.model_version
        and a.source is Source.MODEL
        and a.model_version in (None, old.model_version)
        and a.state in (None, AnnotationState.PROPOSED)
    )


def open_proposal(a: Row[Any]) -> bool:
    return bool(a.source == Source.MODEL.value and a.state == AnnotationState.PROPOSED.value)


def edited_proposal(old: Row[Any] | None, row: dict[str, Any]) -> TypeGuard[Row[Any]]:
    """True when a save changes a model annotation's label, shape or attribute values (and does not reject it)."""
    return (
        old is not None
        and old.source == Source.MODEL.value
        and row["state"] != AnnotationState.REJECTED.value
        and (row["label"] != old.label or row["geometry"] != old.geometry or row["attributes"] != old.attributes)
    )
