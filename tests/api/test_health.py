"""/health: 200 only with a reachable database at this version's schema; 503 problem+json otherwise, saying why
without the database URL or its password."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text
from tests.conftest import PG_SERVER
from tests.storage.test_schema_versions import scratch_pg

from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.storage.migrate import head_revision

__all__ = ["scratch_pg"]  # the fixture, imported for the tests below
API = "/api/v1"


def test_health_is_ok_with_the_current_schema(client: TestClient) -> None:
    r = client.get(f"{API}/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["revision"] == head_revision()


def _problem(r: Response) -> dict[str, object]:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    assert body["status"] == 503 and body["title"] == "Database unavailable"
    return body


def test_an_empty_database_is_not_healthy(tmp_path: Path) -> None:
    hub = Hub.open(Settings(home=tmp_path / "home", dev=True), migrate=False)  # a file with no schema
    try:
        with TestClient(create_app(hub, run_worker=False)) as client:
            body = _problem(client.get(f"{API}/health"))
    finally:
        hub.close()
    assert body["database"] == "schema missing" and "empty" in str(body["detail"])


def test_a_schema_of_another_revision_is_not_healthy(tmp_path: Path, _sqlite_template: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(_sqlite_template, home / "labelhub.db")
    hub = Hub.open(Settings(home=home, dev=True), migrate=False)
    try:
        with hub.db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
        with TestClient(create_app(hub, run_worker=False)) as client:
            body = _problem(client.get(f"{API}/health"))
    finally:
        hub.close()
    assert body["database"] == "schema mismatch"
    assert body["revision"] == "0003" and body["expected_revision"] == head_revision()


def test_a_dropped_postgresql_database_is_503_without_the_password(scratch_pg: str, tmp_path: Path) -> None:
    name = scratch_pg.rsplit("/", 1)[1]
    # Trust authentication ignores the password, so the URL can carry one to check it is never shown.
    url = scratch_pg.replace("postgresql://postgres@", "postgresql://postgres:hunter2secret@", 1)
    assert "hunter2secret" in url
    hub = Hub.open(Settings(home=tmp_path / "home", database_url=url, dev=True))
    try:
        with TestClient(create_app(hub, run_worker=False), raise_server_exceptions=False) as client:
            assert client.get(f"{API}/health").status_code == 200
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                for _ in range(2):  # the pool's dropped connection, then a new one to a missing database
                    r = client.get(f"{API}/health")
                    body = _problem(r)
                    assert body["database"] == "unreachable"
                    assert "hunter2secret" not in r.text and name not in r.text
                admin.execute(f'CREATE DATABASE "{name}"')  # back, but empty
                body = _problem(client.get(f"{API}/health"))
                assert body["database"] == "schema missing"
    finally:
        hub.close()
