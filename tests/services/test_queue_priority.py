"""Items sent to labelling come first in the queue, found through their own partial index (migration 0008), so that
"next" does not read every item still to label of a big project (benchmarks/bench_scale.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text, update
from tests.model_servers import text_project

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.queue import next_item, queue
from labelhub.storage.models import Item

SYSTEM = Actor.system()
NAMES = [f"t{i}" for i in range(12)]


def test_the_items_with_a_priority_come_first_highest_first(hub: Hub) -> None:
    pid, ids = text_project(hub, "prio", NAMES)
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == ids[-1]).values(meta={"priority": 1}))
        s.execute(update(Item).where(Item.id == ids[5]).values(meta={"priority": 3, "source": "map"}))
        s.execute(update(Item).where(Item.id == ids[3]).values(meta={"priority": 0}))  # none: the random order
    with hub.db.session() as s:
        view = queue(s, hub, SYSTEM, pid, limit=12)
        first = next_item(s, hub, SYSTEM, pid)
    assert [e.id for e in view.items[:2]] == [ids[5], ids[-1]]
    assert [e.reason.startswith("sent to labelling") for e in view.items[:3]] == [True, True, False]
    assert sorted(e.id for e in view.items) == ids and first == ids[5]


def test_the_index_holds_only_the_items_with_a_priority(hub: Hub) -> None:
    _pid, ids = text_project(hub, "prio-index", NAMES)
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == ids[4]).values(meta={"priority": 2}))
    with hub.db.session() as s:
        if hub.db.dialect == "sqlite":
            sql = s.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_items_project_priority'"))
        else:
            sql = s.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_project_priority'"))
            # Without statistics on the expression PostgreSQL thinks nearly every item has a priority.
            stats = s.scalar(text("SELECT count(*) FROM pg_statistic_ext WHERE stxname = 'st_items_priority'"))
            assert stats == 1
    assert sql is not None and "priority" in sql and "WHERE" in sql.upper()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_finds_them_by_the_partial_index(hub: Hub) -> None:
    pid, _ids = text_project(hub, "prio-plan", NAMES)
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if "ORDER BY coalesce" in statement:
            seen.append((statement, params))

    event.listen(hub.db.engine, "before_cursor_execute", record)
    try:
        with hub.db.session() as s:
            queue(s, hub, SYSTEM, pid)
            assert seen
            plan = [str(r[-1]) for r in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {seen[0][0]}", seen[0][1])]
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", record)
    assert any("ix_items_project_priority" in step for step in plan), plan
