"""Bring a database to the newest schema with Alembic; labelhub runs this at start-up.

Several processes may start at once on one database (``serve`` and a ``labelhub worker``, or two services after an
upgrade): on PostgreSQL the migration runs under an advisory lock, so the second process waits for the first and
then finds nothing to do; on SQLite the write transaction (BEGIN IMMEDIATE) serialises them the same way.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from labelhub.errors import ConfigurationError
from labelhub.storage.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# The key of the PostgreSQL advisory lock that serialises migrations (any fixed 64-bit number; "labelhub").
MIGRATION_LOCK_KEY = 0x6C6162656C687562
log = logging.getLogger("labelhub.storage")


class SchemaTooNew(ConfigurationError):
    """The database was migrated by a newer labelhub than this one."""


@dataclass(frozen=True, slots=True)
class Upgraded:
    """What :func:`upgrade` did: the revision found (None: an empty database) and the one it left."""

    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(url: str) -> Config:
    """Return an Alembic config that points at the migrations shipped inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@functools.cache
def head_revision() -> str | None:
    """The newest revision this labelhub ships (read from the package once)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The database's revision (None when it has no labelhub schema yet)."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(heads) if heads else None


def check_known(url: str, revision: str | None) -> None:
    """Raise :class:`SchemaTooNew` when ``revision`` is not one of this labelhub's migrations."""
    if revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {rev.revision for rev in script.walk_revisions()}
    if all(part in known for part in revision.split(",")):
        return
    raise SchemaTooNew(
        f"the database schema is at revision {revision}, newer than this labelhub knows (up to "
        f"{script.get_current_head()}): it was upgraded by a newer labelhub; install that labelhub version (or newer), "
        "or restore a backup taken before the upgrade",
        field="LABELHUB_DATABASE_URL",
    )


def upgrade(db: Database, revision: str = "head") -> Upgraded:
    """Apply every migration up to ``revision``, once even when several processes start together.

    A database at a revision this labelhub does not know (a newer labelhub migrated it) raises
    :class:`SchemaTooNew` and is left as it is. An upgrade is logged as one WARNING line.
    """
    cfg = alembic_config(db.url)
    with db._write_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Released at the end of this transaction; a second process waits here, then sees the committed result.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        before = current_revision(conn)
        check_known(db.url, before)
        target = head_revision() if revision == "head" else revision
        if before == target:
            return Upgraded(before, before)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        after = current_revision(conn)
    done = Upgraded(before, after)
    if before is None:
        log.info("database schema created at revision %s", after)
    else:
        log.warning("database upgraded from revision %s to %s", before, after)
    return done


def is_current(db: Database) -> bool:
    """True when the database is at the newest revision."""
    head = head_revision()
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head
