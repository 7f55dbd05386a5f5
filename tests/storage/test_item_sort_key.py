"""items.sort_key: migration 0006 fills it for the items already there, every way of adding or renaming an item
keeps it, and the name order is the same on SQLite and on a PostgreSQL database with a linguistic collation."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import insert, select, text
from tests.builders import shuffled_texts
from tests.conftest import PG_SERVER, pg_admin

from labelhub.config import Settings
from labelhub.domain.natural import natural_key
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.item_order import ItemOrder
from labelhub.services.items import ItemFilter, list_items
from labelhub.storage.db import Database
from labelhub.storage.migrate import head_revision, upgrade
from labelhub.storage.models import Item

SYSTEM = Actor.system()
# More than one backfill batch (5,000 rows), and names whose natural order is not their code-point order.
OLD_ITEMS = 5_003


def _scratch_pg(create: str = "") -> Iterator[str]:
    name = f"labelhub_sortkey_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = pg_admin()
    try:
        admin.execute(f'CREATE DATABASE "{name}" {create}')
    except psycopg.Error as exc:
        admin.close()
        pytest.skip(f"this PostgreSQL server cannot create such a database: {exc}")
    try:
        yield f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield from _scratch_pg()


def test_the_upgrade_fills_the_key_of_every_existing_item(fresh_url: str, tmp_path: Path) -> None:
    db = Database(fresh_url)
    upgrade(db, "0005")
    now = datetime(2026, 12, 5, tzinfo=UTC)
    names = [f"img{n}" for n in range(OLD_ITEMS - 3)] + ["B.jpg", "a.jpg", "Stra\u00dfe"]
    with db.engine.begin() as conn:
        pid = conn.execute(
            text("INSERT INTO projects (name, description, item_kind, label_schema, created_at, updated_at, version)"
                 " VALUES ('old', '', 'text', '{}', :now, :now, 1) RETURNING id"), {"now": now},
        ).scalar_one()  # fmt: skip
        conn.execute(
            text("INSERT INTO items (project_id, kind, name, meta, status, version, created_at, updated_at)"
                 " VALUES (:pid, 'text', :name, '{}', 'new', 1, :now, :now)"),
            [{"pid": pid, "name": n, "now": now} for n in names],
        )  # fmt: skip
    upgrade(db)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
        stored = {n: k for n, k in conn.execute(select(Item.name, Item.sort_key))}
    db.dispose()
    assert stored == {n: natural_key(n) for n in names}

    hub = Hub.open(Settings(home=tmp_path / "home", database_url=fresh_url))
    try:
        with hub.db.session() as s:
            page = list_items(s, SYSTEM, pid, ItemFilter(), after_name="img8", limit=4, order=ItemOrder.NAME)
        assert [it.name for it in page.items] == ["img9", "img10", "img11", "img12"]
    finally:
        hub.close()


def test_items_added_or_renamed_outside_the_import_get_their_key(hub: Hub) -> None:
    pid = shuffled_texts(hub, "keys", ["img10"], seed=1)
    with hub.db.session(write=True) as s:
        s.add(Item(project_id=pid, kind="text", name="IMG2", text="orm"))
        s.execute(insert(Item).values(project_id=pid, kind="text", name="Img01", text="core", meta={}))
    with hub.db.session(write=True) as s:
        renamed = s.scalars(select(Item).where(Item.name == "img10")).one()
        renamed.name = "img3"
    with hub.db.session() as s:
        stored = {n: k for n, k in s.execute(select(Item.name, Item.sort_key).where(Item.project_id == pid))}
        listed = [it.name for it in list_items(s, SYSTEM, pid, ItemFilter(), order=ItemOrder.NAME).items]
    assert stored == {n: natural_key(n) for n in ("IMG2", "Img01", "img3")}
    assert listed == ["Img01", "IMG2", "img3"]


@pytest.fixture(params=["sqlite", "postgres-icu"])
def linguistic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """SQLite, or PostgreSQL in a database whose default collation is ICU English (as en_US is for many
    servers): "a" before "A", "_" before digits, "é" before "f". The name order must not follow it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lh.db'}"
        hub = Hub.open(Settings(home=tmp_path / "home", database_url=url))
    else:
        gen = _scratch_pg("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.UTF-8'")
        url = next(gen)
        hub = Hub.open(Settings(home=tmp_path / "home", database_url=url))
    yield hub
    hub.close()
    if request.param != "sqlite":
        next(gen, None)


def test_the_name_order_is_the_same_whatever_the_databases_collation(linguistic: Hub) -> None:
    names = ["fig", "\u00e9lan", "x1", "x_1", "A", "a", "img10", "img2"]
    pid = shuffled_texts(linguistic, "collation", names, seed=2)
    with linguistic.db.session() as s:
        listed = [it.name for it in list_items(s, SYSTEM, pid, ItemFilter(), order=ItemOrder.NAME).items]
        backwards = [it.name for it in list_items(s, SYSTEM, pid, ItemFilter(), order=ItemOrder.NAME_DESC).items]
        after_a = list_items(s, SYSTEM, pid, ItemFilter(), after_name="A", limit=1, order=ItemOrder.NAME).items
    assert listed == ["A", "a", "fig", "img2", "img10", "x1", "x_1", "\u00e9lan"]
    assert backwards == listed[::-1]
    assert [it.name for it in after_a] == ["a"]
