"""Shared fixtures: every storage and API test runs against SQLite and PostgreSQL.

PostgreSQL tests use a database created for this test run (one per xdist worker) on the server in
``LABELHUB_TEST_PG`` (default: the local server with trust auth). When the server is not reachable those
tests are skipped, unless ``LABELHUB_REQUIRE_PG=1`` (set by CI), which turns that into a failure.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

# The CLI's rich console takes its width once, when labelhub.cli is first imported, from COLUMNS (80 without
# a terminal). Set it before any test module imports the CLI, so wide tables print whole wherever they run.
os.environ.setdefault("COLUMNS", "200")

from labelhub._gc import tune_for_long_run
from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.security import hash_password
from labelhub.services.users import issue_token
from labelhub.storage.db import Database
from labelhub.storage.migrate import upgrade
from labelhub.storage.models import User

# A test process is a long run too: what the imports made is frozen before the first test, as a server does at
# start-up (api+services 279 -> 249 s, formats+storage+jobs+domain 91 -> 85 s at -n 2 in one trial each).
tune_for_long_run()

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
PG_SERVER = os.environ.get("LABELHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
TABLES = ("audit_events", "annotations", "items", "jobs", "memberships", "api_tokens", "media", "projects", "users",
          "login_failures", "event_cursors")  # fmt: skip


def data_path(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the test when that data is not on this machine."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data {p} is not available")
    return p


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


def pg_admin() -> psycopg.Connection[Any]:
    """An autocommit connection to the server's ``postgres`` database, to create and drop test databases; skips
    the test when PostgreSQL is not reachable (fails it under LABELHUB_REQUIRE_PG=1, as CI sets)."""
    try:
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("LABELHUB_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL at {PG_SERVER} is required but not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_SERVER} is not reachable: {exc}")


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    name = f"labelhub_test_{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = pg_admin()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "labelhub.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_pg_database")
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    db.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=db_url, dev=True,
                    import_roots=[DATA, tmp_path], job_heartbeat_seconds=0.2, job_stale_seconds=1.0)  # fmt: skip


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    h = Hub.open(settings)
    yield h
    h.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    """An API client without a background worker; tests run queued jobs with LocalExecutor.run_once()."""
    with TestClient(create_app(hub, run_worker=False)) as c:
        yield c


@functools.cache
def _password_hash(password: str) -> str:
    """A real Argon2 hash of ``password``, made once per test process: the same few names ("admin", "alice")
    are made in hundreds of tests, and each hash costs ~0.1 s of CPU (64 MB)."""
    return hash_password(password)


def make_user(hub: Hub, name: str, *, admin: bool = False) -> dict[str, str]:
    """Create a user who can log in with the password ``{name}-password``, recorded in the audit log as
    ``create_user`` does, and return Authorization headers with a fresh token for them. (services.users'
    ``create_user`` itself, with its checks and its hashing, is tested in tests/services and tests/api.)"""
    with hub.db.session(write=True) as s:
        user = User(username=name, password_hash=_password_hash(f"{name}-password"), is_admin=admin, is_active=True)
        s.add(user)
        s.flush()
        audit.record(s, Actor.system(), "user.create", "user", user.id, detail={"username": name, "admin": admin})
        token = issue_token(s, user, "test").token
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_headers(hub: Hub) -> dict[str, str]:
    return make_user(hub, "admin", admin=True)


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """One PyTorch thread for a test that trains a model (tests/assist does it for the whole folder): two
    spinning OpenMP threads per process make every step several times slower on a busy 2-core machine."""
    import torch  # only the model tests need it

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
