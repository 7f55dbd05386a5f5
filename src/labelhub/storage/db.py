"""Engine and session factory: SQLite in WAL mode by default, PostgreSQL (psycopg 3) for teams."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from labelhub.errors import ConfigurationError, ConflictError
from labelhub.storage.write_lock import SqliteWriteLock

WRITE_LOCK_TIMEOUT_S = 30.0  # the same as SQLite's busy timeout below


# 19 digits in a row may be an integer beyond 64 bits, which orjson would read as a float. ASCII digits only (a
# JSON number has no others): `[0-9]` scans a str twice as fast as `\d`, which checks every Unicode digit. A run
# after a decimal point is a fraction, which both parsers read as the same float however long it is (a score of
# 0.00012345678901234568 has 20 digits in a row), so only the runs' first characters' neighbours are looked at
# (a lookbehind in the pattern would make every scan 4x slower).
_RUNS, _RUNS_B = re.compile(r"[0-9]{19}"), re.compile(rb"[0-9]{19}")
_IN_A_NUMBER = "0123456789."


def _long_integer(data: str | bytes) -> bool:
    """Whether ``data`` holds 19 digits in a row that do not follow a digit or a decimal point."""
    if isinstance(data, bytes):
        return any(m.start() == 0 or chr(data[m.start() - 1]) not in _IN_A_NUMBER for m in _RUNS_B.finditer(data))
    return any(m.start() == 0 or data[m.start() - 1] not in _IN_A_NUMBER for m in _RUNS.finditer(data))


def json_loads(data: str | bytes) -> Any:
    """Decode a JSON column value with orjson, about 5x faster than ``json`` (SQLAlchemy's default; 700k values
    in an export of 300k boxes), falling back to ``json`` for what orjson refuses or reads differently (NaN and
    Infinity, which ``json.dumps`` writes, lone surrogates, integers beyond 64 bits): values read back as before.
    """
    if not _long_integer(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (as hosting panels and libpq tools write them) as the driver labelhub
    ships, ``postgresql+psycopg://``; any other URL unchanged. Only the scheme is rewritten (the password stays
    where it is and is never printed)."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def make_engine(url: str, *, immediate: bool = False, **kwargs: Any) -> Engine:
    """Return an engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys on every connection.

    With ``immediate=True`` a SQLite transaction takes the write lock at BEGIN, so concurrent writers queue
    on the busy timeout instead of failing when a read transaction tries to upgrade.
    """
    url = normalize_url(url)
    kwargs.setdefault("json_deserializer", json_loads)
    if url.startswith("sqlite"):
        # A pool as large as the server's thread pool is busy: a connection opened past ``pool_size`` is closed
        # on return, and opening one (with the pragmas below) cost more than a save's own SQL.
        if url not in ("sqlite://", "sqlite:///:memory:") and "mode=memory" not in url:
            kwargs.setdefault("pool_size", 20)
            kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql(begin_sql)

        return engine
    if url.startswith("postgresql"):
        # No pre-ping: it costs a round trip on every checkout, twice per request. A connection the server dropped
        # fails one request, and SQLAlchemy then discards the pool's other connections of that generation.
        return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600, **kwargs)
    raise ConfigurationError(
        f"unsupported database URL {url.split(':', 1)[0]!r}; use sqlite:/// or postgresql:// (postgres:// and "
        "postgresql+psycopg:// are accepted too)",
        field="LABELHUB_DATABASE_URL",
    )


class Database:
    """Owns the engine and hands out sessions; pass one instance down instead of using globals."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        url = normalize_url(url)
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one write lock per file: writers queue on SqliteWriteLock (see there) before BEGIN IMMEDIATE.
        self._write_lock: SqliteWriteLock | None = None
        if is_sqlite(self.engine):
            self._write_engine = make_engine(url, immediate=True, **engine_kwargs)
            self._write_factory = sessionmaker(self._write_engine, expire_on_commit=False)
            db_file = self.engine.url.database
            in_memory = not db_file or db_file == ":memory:" or db_file.startswith("file::memory:")
            self._write_lock = SqliteWriteLock(None if in_memory else Path(f"{db_file}-writelock"))
        else:
            self._write_engine = self.engine
            self._write_factory = self._factory

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """Yield a session in one transaction, committed on success and rolled back on any error.

        Pass ``write=True`` for a transaction that writes: on SQLite it takes the write lock up front.
        """
        factory = self._write_factory if write else self._factory
        lock = self._write_lock if write else None
        with lock.hold(WRITE_LOCK_TIMEOUT_S) if lock is not None else nullcontext(), factory() as session:
            try:
                yield session
                session.commit()
            except IntegrityError as exc:
                # A unique key that a concurrent writer claimed between our check and our write.
                session.rollback()
                raise ConflictError(
                    f"the change conflicts with data written at the same time; reload and retry ({exc.orig})"
                ) from exc
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        self._write_engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()
