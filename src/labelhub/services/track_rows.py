"""A track's stored rows: all of them, or only its keyframes (and one frame), as SQL both backends run.

A track is the ``track_box`` annotations of one item sharing a ``track_id`` (see :mod:`labelhub.services.tracks`).
A box is a keyframe when ``attributes.keyframe`` is true, or, when that member is not a boolean, when a person made
it (``source`` human): :func:`is_keyframe` in Python, :func:`keyframe_sql` as a WHERE clause. A keyframe edit needs
only the keyframes and the frame it changes; reading them in SQL (``json_type`` on SQLite, a JSONB comparison on
PostgreSQL, through :func:`labelhub.storage.attribute_values.attribute_is`) skips decoding the JSON of every
propagated box of a long track in Python (10,000 rows, ``benchmarks/bench_long_sequence.py``).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, Source
from labelhub.storage.attribute_values import attribute_is
from labelhub.storage.models import Annotation

__all__ = ["TRACK_BOX", "is_keyframe", "keyframe_rows", "keyframe_sql", "track_rows"]

TRACK_BOX = AnnotationKind.TRACK_BOX.value
_A = cast(Table, Annotation.__table__).c
ROW = (_A.id, _A.track_id, _A.frame, _A.label, _A.geometry, _A.source, _A.score, _A.attributes)


def is_keyframe(source: str, attributes: dict[str, Any] | None) -> bool:
    value = (attributes or {}).get("keyframe")
    return bool(value) if isinstance(value, bool) else source == Source.HUMAN.value


def keyframe_sql() -> ColumnElement[bool]:
    """:func:`is_keyframe` as SQL: ``keyframe`` JSON true, or no boolean there and a person's box."""
    flagged = func.coalesce(attribute_is("keyframe", "true"), False)
    unflagged = and_(
        not_(func.coalesce(attribute_is("keyframe", "true"), False)),
        not_(func.coalesce(attribute_is("keyframe", "false"), False)),
    )
    return or_(flagged, and_(unflagged, _A.source == Source.HUMAN.value))


def track_rows(session: Session, item_id: int, track_id: int | None = None) -> list[Row[Any]]:
    """Every box of the item's tracks (or of one), ordered by track, frame and row id."""
    q = select(*ROW).where(_A.item_id == item_id, _A.kind == TRACK_BOX)
    if track_id is not None:
        q = q.where(_A.track_id == track_id)
    return list(session.execute(q.order_by(_A.track_id, _A.frame, _A.id)))


def keyframe_rows(session: Session, item_id: int, track_id: int, frame: int | None = None) -> list[Row[Any]]:
    """The track's keyframes and, when ``frame`` is given, whatever box it has on that frame, in frame order.

    Empty both for a track that does not exist and for one with neither a keyframe nor a box on ``frame``.
    """
    which = keyframe_sql() if frame is None else or_(_A.frame == frame, keyframe_sql())
    q = select(*ROW).where(_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id == track_id, which)
    return list(session.execute(q.order_by(_A.frame, _A.id)))
