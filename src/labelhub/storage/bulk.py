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
    "sort_key",  # labelhub.domain.natural.natural_key(name): the writer's caller computes it, as the ORM would
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


# Tables that received at least this many rows get fresh planner statistics before the import commits.
ANALYZE_MIN_ROWS = 10_000


class BulkWriter(Protocol):
    def reserve_item_ids(self, n: int) -> list[int]: ...
    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int: ...
    def timestamp(self, when: datetime) -> Any: ...
    def finish(self) -> None: ...


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

    def finish(self) -> None:
        """Nothing to do: SQLite plans these queries well without statistics."""


class PostgresBulkWriter:
    """Streams rows with COPY FROM STDIN on the session's psycopg connection."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._raw: psycopg.Connection[Any] = _driver_connection(session, psycopg.Connection)
        self._written: dict[str, int] = {}

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
        self._written[table] = self._written.get(table, 0) + n
        return n

    def timestamp(self, when: datetime) -> Any:
        return when

    def finish(self) -> None:
        """ANALYZE the tables that grew a lot, inside the import's transaction (it counts the new rows).

        Without statistics the planner guesses: right after a 100k-item import a page of items took 50-60 ms
        (a sequential scan of annotations for the counts) instead of under 1 ms. Autovacuum catches up only
        later, and never where it is turned off. ANALYZE samples, so it costs well under a second at any size.
        """
        for table, n in self._written.items():
            if n >= ANALYZE_MIN_ROWS:
                self.session.execute(text(f"ANALYZE {table}"))


def bulk_writer(session: Session) -> BulkWriter:
    """Return the bulk writer for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresBulkWriter(session)
    return SqliteBulkWriter(session)
