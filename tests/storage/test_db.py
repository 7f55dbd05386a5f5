"""The database layer: migrations, SQLite's WAL set-up, and transactions that roll back on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from labelhub.config import Settings
from labelhub.errors import ConfigurationError
from labelhub.hub import Hub
from labelhub.storage.db import Database, json_loads
from labelhub.storage.migrate import is_current
from labelhub.storage.models import Base, User


def test_migrated_database_is_at_head(hub: Hub) -> None:
    assert is_current(hub.db)


def test_session_rolls_back_on_error(hub: Hub) -> None:
    with pytest.raises(RuntimeError), hub.db.session(write=True) as s:
        s.add(User(username="ghost", password_hash="x"))
        s.flush()
        raise RuntimeError("boom")
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, dev=True)
    h = Hub.open(settings)
    with h.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert h.db.url.endswith("labelhub.db")
    h.close()


def test_unknown_database_url_is_refused() -> None:
    with pytest.raises(ConfigurationError) as err:
        Database("mysql://localhost/x")
    assert err.value.context["field"] == "LABELHUB_DATABASE_URL"


def test_no_secret_key_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    # LABELHUB_SECRET_KEY is accepted but not used (nothing is signed): a missing or short one is fine.
    monkeypatch.delenv("LABELHUB_SECRET_KEY", raising=False)
    monkeypatch.delenv("LABELHUB_DEV", raising=False)
    assert Settings.from_env().secret_key is None
    monkeypatch.setenv("LABELHUB_SECRET_KEY", "short")
    assert Settings.from_env().secret_key == "short"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("LABELHUB_WORKER_THREADS", "0", "LABELHUB_WORKER_THREADS must be at least 1, got 0"),
        ("LABELHUB_SESSION_HOURS", "-5", "LABELHUB_SESSION_HOURS must be at least 1, got -5"),
        ("LABELHUB_MAX_UPLOAD_MB", "0", "LABELHUB_MAX_UPLOAD_MB must be at least 1"),
        ("LABELHUB_AUTH_CACHE_SECONDS", "-1", "LABELHUB_AUTH_CACHE_SECONDS must be at least 0"),
        ("LABELHUB_LOGIN_FAILURES_PER_USER", "0", "LABELHUB_LOGIN_FAILURES_PER_USER must be at least 1, got 0"),
        ("LABELHUB_LOGIN_WINDOW_MINUTES", "0", "LABELHUB_LOGIN_WINDOW_MINUTES must be at least 1, got 0"),
    ],
)
def test_settings_have_lower_bounds(monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env()
    assert said in str(err.value)
    assert err.value.context["field"] == variable


def test_a_home_that_is_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigurationError, match="is not a writable folder") as err:
        Settings(home=tmp_path / "f").ensure_dirs()
    assert err.value.context["field"] == "LABELHUB_HOME"


def test_postgres_has_the_keyset_indexes(hub: Hub) -> None:
    if hub.db.dialect != "postgresql":
        pytest.skip("checks PostgreSQL's catalogue")
    with hub.db.session() as s:
        names = set(s.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'items'")).scalars())
    assert {"ix_items_project_id_id", "ix_items_project_status_id"} <= names


def test_migrations_create_exactly_the_models_schema(hub: Hub) -> None:
    """A model change without a migration (or the reverse) shows up here, on both backends."""
    with hub.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_timestamps_read_back_in_utc(hub: Hub) -> None:
    with hub.db.session(write=True) as s:
        s.add(User(username="tz", password_hash="x"))
    with hub.db.session() as s:
        created = s.scalar(select(User.created_at).where(User.username == "tz"))
    assert created is not None and created.utcoffset() is not None and created.utcoffset().total_seconds() == 0


def test_a_read_only_home_is_a_configuration_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A read-only mount: the folders exist, so mkdir succeeds; the write check must catch it (root included).
    Settings(home=tmp_path / "h").ensure_dirs()
    monkeypatch.setattr("labelhub.config.os.access", lambda path, mode: False)
    with pytest.raises(ConfigurationError, match=f"LABELHUB_HOME {tmp_path / 'h'} cannot be written by this user"):
        Settings(home=tmp_path / "h").ensure_dirs()


def test_a_sub_folder_labelhub_cannot_write_is_named_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA ops finding 4: a media folder owned by another user failed every import as 128 "bad items"."""
    settings = Settings(home=tmp_path / "h")
    settings.ensure_dirs()
    monkeypatch.setattr("labelhub.config.os.access", lambda path, mode: Path(path) != settings.media_dir)
    with pytest.raises(ConfigurationError, match=r"LABELHUB_HOME's media folder .*/h/media cannot be written") as err:
        settings.ensure_dirs()
    assert err.value.context == {"field": "LABELHUB_HOME"}


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ('{"n": 123456789012345678901}', {"n": 123456789012345678901}),  # beyond 64 bits: an int, not a float
        ('{"n": -12345678901234567890}', {"n": -12345678901234567890}),
        (b'{"n": 99999999999999999999}', {"n": 99999999999999999999}),
        ('{"s": 0.00012345678901234568}', {"s": float("0.00012345678901234568")}),  # a long fraction
        ('{"s": 0.50468685581739030}', {"s": 0.5046868558173903}),
        ('{"x": NaN}', None),  # what Python's json writes; orjson refuses it
    ],
)
def test_json_columns_read_back_what_was_stored(stored: str | bytes, read: dict[str, float] | None) -> None:
    got = json_loads(stored)
    if read is None:
        assert got["x"] != got["x"]  # NaN
    else:
        assert got == read and [type(v) for v in got.values()] == [type(v) for v in read.values()]
