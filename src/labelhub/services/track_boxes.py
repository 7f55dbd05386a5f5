"""A video's track boxes for the editor's read, one JSON array per track built by the database.

``GET .../tracks`` of a crowded video reads every box of every track (90,000 for 300 tracks of 300 boxes). Read
as rows, each box costs SQLAlchemy's result processing and two JSON decodes (``geometry`` and ``attributes``),
which was two fifths of the answer's time (``benchmarks/bench_many_tracks.py``). Here the database packs each
track's boxes into one JSON array (SQLite ``json_group_array``, PostgreSQL ``json_agg``), from ``geometry``
only its ``bbox``, and one orjson call per track decodes them. Numbers keep their stored digits: SQLite copies a
JSON number's text, and ``score`` (a REAL column) is written with 17 significant digits (``%!.17g``, which reads
back as the same double); PostgreSQL writes JSONB's numbers as their exact decimals and a double's shortest
exact digits. ``json_agg`` rather than ``jsonb_agg``: the same values, 1.4x faster (1.45 against 1.99 s for
90,000 boxes). Should SQLite refuse a stored value as JSON (NaN or Infinity, which Python's ``json`` writes and
orjson falls back from), the boxes are read row by row instead, as
:func:`labelhub.services.track_rows.track_rows` reads them.

Hand-written: SQLAlchemy's JSON indexing on SQLite quotes what it extracts (``JSON_QUOTE``), so each dialect's
functions are named here.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, Text, case, func, literal, null, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from labelhub.services.track_rows import TRACK_BOX, track_rows
from labelhub.storage.db import is_sqlite, json_loads
from labelhub.storage.models import Annotation

__all__ = ["TrackBox", "track_boxes"]

_A = cast(Table, Annotation.__table__).c


class TrackBox(NamedTuple):
    """One box of a track, as the editor's view reads it."""

    id: int
    frame: int | None
    label: str | None
    source: str
    score: float | None
    bbox: Any  # geometry's "bbox" as stored (a list of 4 numbers, or whatever a damaged import left), or None
    attributes: dict[str, Any] | None


def track_boxes(session: Session, item_id: int, track_id: int | None = None) -> dict[int, list[TrackBox]]:
    """Every box of the item's tracks (or of one), per track id in ascending order, in frame then row id order."""
    where = [_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id.is_not(None)]
    if track_id is not None:
        where.append(_A.track_id == track_id)
    sqlite = is_sqlite(cast(Any, session.get_bind()))
    packed = select(_A.track_id, sql_cast(_packed(sqlite), Text)).where(*where).group_by(_A.track_id)
    try:
        found = session.execute(packed).all()
    except OperationalError:  # SQLite's JSON functions refused a stored value: the statement changed nothing
        if not sqlite:
            raise
        return _row_by_row(session, item_id, track_id)
    out: dict[int, list[TrackBox]] = {}
    for tid, text in sorted(found):
        boxes = [TrackBox(*b) for b in json_loads(text)]
        boxes.sort(key=_order)
        out[tid] = boxes
    return out


def _order(b: TrackBox) -> tuple[int, int]:
    """Frame, then row id; a box without a frame (a damaged import, never drawn) first, as SQLite orders it."""
    return (-1 if b.frame is None else b.frame, b.id)


def _packed(sqlite: bool) -> ColumnElement[Any]:
    """One JSON array per track: ``[id, frame, label, source, score, bbox, attributes]`` per box."""
    if sqlite:
        score = case((_A.score.is_(None), null()), else_=func.json(func.printf(literal("%!.17g"), _A.score)))
        box = func.json_array(_A.id, _A.frame, _A.label, _A.source, score,
                              func.json_extract(_A.geometry, literal("$.bbox")), func.json(_A.attributes))  # fmt: skip
        return func.json_group_array(box)
    box = func.json_build_array(_A.id, _A.frame, _A.label, _A.source, _A.score, _A.geometry.op("->")(literal("bbox")),
                                _A.attributes)  # fmt: skip
    return func.json_agg(box)


def _row_by_row(session: Session, item_id: int, track_id: int | None) -> dict[int, list[TrackBox]]:
    out: dict[int, list[TrackBox]] = {}
    for r in track_rows(session, item_id, track_id):
        if r.track_id is not None:
            bbox = r.geometry.get("bbox") if isinstance(r.geometry, dict) else None
            box = TrackBox(r.id, r.frame, r.label, r.source, r.score, bbox, r.attributes)
            out.setdefault(r.track_id, []).append(box)
    return out
