"""Schema versions at start-up: a newer database is refused in one line, an older one is upgraded and says so,
concurrent start-ups on a fresh PostgreSQL database migrate once, and postgres:// URLs are accepted."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from tests._concurrency import at_once
from tests.cli._support import run
from tests.conftest import PG_SERVER, pg_admin

from labelhub.config import Settings
from labelhub.errors import ConfigurationError
from labelhub.hub import Hub
from labelhub.storage.db import Database, normalize_url
from labelhub.storage.migrate import SchemaTooNew, Upgraded, head_revision, is_current, upgrade

HEAD = head_revision()


@pytest.fixture
def scratch_pg() -> Iterator[str]:
    """A new, empty PostgreSQL database (URL with the libpq scheme ``postgresql://``), dropped afterwards."""
    name = f"labelhub_schema_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = pg_admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    url: str = request.getfixturevalue("scratch_pg")
    return url


def _env(tmp_path: Path, url: str) -> dict[str, str | None]:
    return {"LABELHUB_HOME": str(tmp_path / "home"), "LABELHUB_DATABASE_URL": url, "LABELHUB_DEV": "1",
            "COLUMNS": "200"}  # fmt: skip


def _stamp(url: str, revision: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.dispose()


def _revision(url: str) -> str:
    db = Database(url)
    with db.engine.connect() as conn:
        value: str = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    db.dispose()
    return value


def test_a_newer_schema_is_refused_naming_both_revisions(fresh_url: str, tmp_path: Path) -> None:
    Hub.open(Settings(home=tmp_path / "home", database_url=fresh_url)).close()
    _stamp(fresh_url, "0099")
    with pytest.raises(SchemaTooNew) as err:
        Hub.open(Settings(home=tmp_path / "home", database_url=fresh_url))
    assert "0099" in err.value.detail and f"up to {HEAD}" in err.value.detail
    assert "upgrade" in err.value.detail and "backup" in err.value.detail
    assert err.value.context["field"] == "LABELHUB_DATABASE_URL"
    assert _revision(fresh_url) == "0099"  # left untouched

    result = run(_env(tmp_path, fresh_url), "user", "list")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("error: the database schema is at revision 0099"), result.output
    assert len(lines) == 2 and lines[1].strip() == "field: LABELHUB_DATABASE_URL", result.output
    assert "Traceback" not in result.output


def test_a_newer_sqlite_home_names_the_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    Hub.open(settings).close()
    _stamp(settings.db_url, "0099")
    with pytest.raises(SchemaTooNew) as err:
        Hub.open(settings)
    assert err.value.context["field"] == "LABELHUB_HOME"


def test_an_older_schema_is_upgraded_and_the_upgrade_is_logged(
    fresh_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(fresh_url)
    assert upgrade(db, "0003") == Upgraded(None, "0003")
    db.dispose()
    with caplog.at_level(logging.INFO, logger="labelhub.storage"):
        hub = Hub.open(Settings(home=tmp_path / "home", database_url=fresh_url))
    assert is_current(hub.db)
    hub.close()
    upgraded = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in upgraded] == [f"database upgraded from revision 0003 to {HEAD}"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="labelhub.storage"):
        Hub.open(Settings(home=tmp_path / "home", database_url=fresh_url)).close()
    assert caplog.records == []  # nothing to do, nothing said


def test_a_read_only_command_still_upgrades_and_prints_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = Database(f"sqlite:///{home / 'labelhub.db'}")
    upgrade(db, "0003")
    db.dispose()
    env = {**os.environ, "LABELHUB_HOME": str(home), "LABELHUB_DEV": "1"}
    env.pop("LABELHUB_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "labelhub", "user", "list"], env=env, capture_output=True,
                         text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines() == [f"database upgraded from revision 0003 to {HEAD}"]
    assert _revision(f"sqlite:///{home / 'labelhub.db'}") == HEAD


def test_threads_migrating_one_fresh_postgresql_database_all_succeed(scratch_pg: str) -> None:
    """Under the advisory lock the first migrates and the others wait, then find nothing to do."""
    dbs = [Database(scratch_pg) for _ in range(3)]
    try:
        results = at_once(upgrade, dbs)  # raises what a migration raised
    finally:
        for db in dbs:
            db.dispose()
    assert sorted(results, key=lambda r: r.changed) == [Upgraded(HEAD, HEAD)] * 2 + [Upgraded(None, HEAD)]


def test_processes_starting_on_one_fresh_postgresql_database_all_succeed(scratch_pg: str, tmp_path: Path) -> None:
    env = {**os.environ, "LABELHUB_HOME": str(tmp_path / "home"), "LABELHUB_DATABASE_URL": scratch_pg,
           "LABELHUB_DEV": "1"}  # fmt: skip
    procs = [subprocess.Popen([sys.executable, "-m", "labelhub", "user", "list"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    assert _revision(scratch_pg) == HEAD


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://", "postgresql+psycopg://"])
def test_postgres_urls_of_every_spelling_use_psycopg(scheme: str) -> None:
    db = Database(f"{scheme}u:secretpw@127.0.0.1:1/db")
    assert db.engine.dialect.name == "postgresql" and db.engine.dialect.driver == "psycopg"
    assert db.url == "postgresql+psycopg://u:secretpw@127.0.0.1:1/db"
    db.dispose()
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_postgres_url_that_cannot_connect_hides_its_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as err:
        Hub.open(Settings(home=tmp_path / "home", database_url="postgres://u:secretpw@127.0.0.1:1/db"))
    assert "127.0.0.1:1" in err.value.detail and "secretpw" not in err.value.detail
    result = run(_env(tmp_path, "postgres://u:secretpw@127.0.0.1:1/db"), "user", "list")
    assert result.exit_code == 1 and "secretpw" not in result.output and "unsupported" not in result.output


def test_postgres_scheme_works_against_the_server(scratch_pg: str, tmp_path: Path) -> None:
    url = scratch_pg.replace("postgresql://", "postgres://", 1)
    hub = Hub.open(Settings(home=tmp_path / "home", database_url=url))
    assert is_current(hub.db)
    hub.close()
