"""Bulk writes for imports: plain ``executemany`` on SQLite and ``COPY`` on PostgreSQL.

Hand-written because the ORM's per-row work (object state, JSON encoding through the type system) costs
more than the database itself at 100k+ rows. Rows arrive here already validated, with JSON columns
pre-encoded by orjson. Ids are assigned by the caller's transaction, which holds the write lock on SQLite
and draws from the sequence on PostgreSQL, so items and their annotations can be linked without RETURNING.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

_C = TypeVar("_C")

ITEM_COLUMNS = (
    "id",
    "project_id",
    "kind",
    "name",
    "media_key",
    "width",
    "height",
    "frame_count",
    "fps",
    "text",
    "meta",
    "split",
    "status",
    "version",
    "created_at",
    "updated_at",
)
ANNOTATION_COLUMNS = (
    "item_id",
    "project_id",
    "kind",
    "label",
    "geometry",
    "frame",
    "track_id",
    "source",
    "model_version",
    "score",
    "state",
    "attributes",
    "author_id",
    "version",
    "created_at",
    "updated_at",
)


class BulkWriter(Protocol):
    def reserve_item_ids(self, n: int) -> list[int]: ...
    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int: ...
    def timestamp(self, when: datetime) -> Any: ...


def _driver_connection(session: Session, expected: type[_C]) -> _C:
    raw = session.connection().connection.driver_connection
    if not isinstance(raw, expected):
        raise TypeError(f"expected a {expected.__name__} connection, got {type(raw).__name__}")
    return raw


class SqliteBulkWriter:
    """Writes through the session's own sqlite3 connection, inside its (IMMEDIATE) transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._raw = _driver_connection(session, sqlite3.Connection)

    def reserve_item_ids(self, n: int) -> list[int]:
        # Safe without a sequence: the transaction holds SQLite's single write lock until commit.
        start = int(self.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar_one()) + 1
        return list(range(start, start + n))

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
        cur = self._raw.cursor()
        before = self._raw.total_changes
        cur.executemany(sql, rows)
        cur.close()
        return int(self._raw.total_changes - before)

    def timestamp(self, when: datetime) -> Any:
        # The text form SQLAlchemy's SQLite DateTime type reads back.
        return when.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class PostgresBulkWriter:
    """Streams rows with COPY FROM STDIN on the session's psycopg connection."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._raw: psycopg.Connection[Any] = _driver_connection(session, psycopg.Connection)

    def reserve_item_ids(self, n: int) -> list[int]:
        if n == 0:
            return []
        rows = self.session.execute(
            text("SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, :n)"),
            {"n": n},
        ).scalars()
        return sorted(int(r) for r in rows)

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        n = 0
        with self._raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n

    def timestamp(self, when: datetime) -> Any:
        return when


def bulk_writer(session: Session) -> BulkWriter:
    """Return the bulk writer for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresBulkWriter(session)
    return SqliteBulkWriter(session)
