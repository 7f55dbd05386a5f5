"""Migration 0007 (teams and real time) on a database with work in it: items keep their annotations on the way
up and on the way back down (SQLite must not copy the items table, whose DROP would cascade)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select, text
from tests.storage.test_item_sort_key import _scratch_pg

from labelhub.storage.db import Database
from labelhub.storage.migrate import alembic_config, upgrade
from labelhub.storage.models import Annotation, Item, Project


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield from _scratch_pg()


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        items = s.scalar(select(func.count()).select_from(Item)) or 0
        return items, s.scalar(select(func.count()).select_from(Annotation)) or 0


def test_items_keep_their_annotations_up_to_0007_and_back(fresh_url: str) -> None:
    db = Database(fresh_url)
    upgrade(db, "0006")
    now = datetime(2026, 12, 6, tzinfo=UTC)
    with db._write_engine.begin() as conn:
        project = {"id": 1, "name": "p", "description": "", "item_kind": "image", "label_schema": {}}
        conn.execute(insert(Project.__table__).values(**project, created_at=now, updated_at=now, version=1))
        for n in (1, 2):
            conn.execute(text(
                "INSERT INTO items (id, project_id, kind, name, sort_key, meta, status, version, created_at,"
                " updated_at) VALUES (:id, 1, 'image', :name, :name, '{}', 'new', 1, :now, :now)"
            ), {"id": n, "name": f"img{n}", "now": now})  # fmt: skip
            conn.execute(text(
                "INSERT INTO annotations (item_id, project_id, kind, label, geometry, attributes, source, state,"
                " version, created_at, updated_at) VALUES (:id, 1, 'class', 'cat', '{}', '{}', 'human', 'accepted',"
                " 1, :now, :now)"
            ), {"id": n, "now": now})  # fmt: skip
    assert _counts(db) == (2, 2)

    upgrade(db)
    assert _counts(db) == (2, 2)
    with db.session() as s:
        assert s.scalars(select(Item.assignee_id)).all() == [None, None]
    tables = set(inspect(db._write_engine).get_table_names())
    assert {"webhooks", "webhook_deliveries", "alert_rules", "alerts", "event_cursors"} <= tables

    cfg = alembic_config(db.url)
    with db._write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert _counts(db) == (2, 2)
    columns = {c["name"] for c in inspect(db._write_engine).get_columns("items")}
    assert "assignee_id" not in columns and "webhooks" not in set(inspect(db._write_engine).get_table_names())
    db.dispose()
