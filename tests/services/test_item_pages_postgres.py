"""PostgreSQL: a project's unfiltered pages read through its own index even when its ids come after another
project's rows (the primary key would first skip every one of them)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, insert, text
from tests.builders import new_project

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.item_order import ItemOrder
from labelhub.services.items import ItemFilter, list_items
from labelhub.storage.models import Item

SYSTEM = Actor.system()
pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


def _fill(hub: Hub, name: str, n: int) -> int:
    pid = new_project(hub, name)
    rows = [{"project_id": pid, "kind": "text", "name": f"t{i}", "text": "x", "meta": {}} for i in range(n)]
    with hub.db.session(write=True) as s:
        s.execute(insert(Item), rows)
    return pid


def _page_sql(hub: Hub, call: Any) -> tuple[list[int], list[str]]:
    """Run ``call(session)`` (one list_items) and return the page's ids and the plan of the item query it ran."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT ITEMS."):
            seen.append((statement, params))

    event.listen(hub.db.engine, "before_cursor_execute", record)
    try:
        with hub.db.session() as s:
            page = call(s)
            [(sql, params)] = seen
            plan = [str(r[0]) for r in s.connection().exec_driver_sql(f"EXPLAIN {sql}", params)]
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", record)
    return [it.id for it in page.items], plan


def test_a_later_projects_pages_use_its_own_index_and_match_the_plain_query(hub: Hub) -> None:
    _fill(hub, "older", 5_000)
    pid = _fill(hub, "newer", 30_000)  # most of the table: PostgreSQL's favourite case for the primary key
    with hub.db.engine.connect() as conn:
        conn.execute(text("ANALYZE items"))  # as an import leaves it
        conn.commit()
        ids = [int(i) for i in conn.scalars(text(f"SELECT id FROM items WHERE project_id = {pid} ORDER BY id"))]
    middle = ids[15_000]
    cases = [
        (dict(), ids[:100]),
        (dict(after=middle), ids[15_001:15_101]),
        (dict(before=middle), ids[14_900:15_000]),
        (dict(order=ItemOrder.ID_DESC), ids[::-1][:100]),
        (dict(order=ItemOrder.ID_DESC, after=middle), ids[:15_000][::-1][:100]),
    ]
    for kwargs, expected in cases:
        got, plan = _page_sql(hub, lambda s, kw=kwargs: list_items(s, SYSTEM, pid, ItemFilter(), limit=100, **kw))
        assert got == expected, kwargs
        assert any("ix_items_project_id_id" in step for step in plan), (kwargs, plan)
        assert not any("items_pkey" in step for step in plan), (kwargs, plan)
