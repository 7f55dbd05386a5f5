"""A filtered list's size and an item's place in it, with annotation filters: the right numbers on both databases,
and on SQLite read by item id from the label index rather than by ranges of it (benchmarks/bench_scale.py found a
label-filtered position at half of a 1M-item project taking over ten minutes that way)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from tests.builders import shuffled_texts

from labelhub.domain.enums import AnnotationState, ItemStatus
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.item_order import ItemOrder
from labelhub.services.items import ItemFilter, count_items, item_position, list_items

SYSTEM = Actor.system()
NAMES = [f"img{i}" for i in range(40)]
CAT = ItemFilter(label="cat")


@pytest.fixture
def project(hub: Hub) -> int:
    """40 text items imported shuffled, every other one with a ``cat``; the first four sent to review."""
    pid = shuffled_texts(hub, "counts", NAMES, seed=5)
    with hub.db.session(write=True) as s:
        first = list_items(s, SYSTEM, pid, ItemFilter(), limit=4).items
        for it in first:
            it.status = ItemStatus.REVIEWED.value
    return pid


FILTERS = [CAT, ItemFilter(label="cat", state=AnnotationState.ACCEPTED), ItemFilter(label="cat", status=ItemStatus.NEW),
           ItemFilter(label="dog")]  # fmt: skip


def test_the_count_is_the_number_of_items_the_list_shows(hub: Hub, project: int) -> None:
    with hub.db.session() as s:
        cats = list_items(s, SYSTEM, project, CAT, limit=1000).items
        for f in FILTERS:
            listed = list_items(s, SYSTEM, project, f, limit=1000).items
            assert count_items(s, SYSTEM, project, f) == len(listed), f
            expected = (
                [it for it in cats if f.status is None or it.status == f.status.value] if f.label == "cat" else []
            )
            assert [it.id for it in listed] == [it.id for it in expected], f
    assert len(cats) == 20


def test_every_item_is_placed_among_the_labelled_ones(hub: Hub, project: int) -> None:
    """Items with and without the label: the position is the number of labelled items before it in the order."""
    with hub.db.session() as s:
        cats = {it.id for it in list_items(s, SYSTEM, project, CAT, limit=1000).items}
        for order in (ItemOrder.ID, ItemOrder.ID_DESC):
            every = [it.id for it in list_items(s, SYSTEM, project, ItemFilter(), limit=1000, order=order).items]
            for i, item_id in enumerate(every):
                expected = sum(1 for other in every[:i] if other in cats)
                assert item_position(s, SYSTEM, project, CAT, item_id, order) == expected, (order, i)


def test_pages_after_and_before_an_item_hold_the_labelled_neighbours(hub: Hub, project: int) -> None:
    with hub.db.session() as s:
        every = [it.id for it in list_items(s, SYSTEM, project, ItemFilter(), limit=1000).items]
        cats = [i for i in every if i in {it.id for it in list_items(s, SYSTEM, project, CAT, limit=1000).items}]
        middle = every[len(every) // 2]
        after = [it.id for it in list_items(s, SYSTEM, project, CAT, after=middle, limit=3).items]
        before = [it.id for it in list_items(s, SYSTEM, project, CAT, before=middle, limit=3).items]
    assert after == [i for i in cats if i > middle][:3]
    assert before == [i for i in cats if i < middle][-3:]


@contextmanager
def _statements(hub: Hub) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "annotations" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(hub.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_reads_the_label_index_by_item_not_by_range(hub: Hub, project: int) -> None:
    """A page at depth, its predecessor page, the count and a position, each with a label filter: no plan searches
    the label index by an ``item_id`` range per item (a full range read for every item without the label)."""
    with hub.db.session() as s:
        every = [it.id for it in list_items(s, SYSTEM, project, ItemFilter(), limit=1000).items]
        middle = every[len(every) // 2]
        with _statements(hub) as seen:
            list_items(s, SYSTEM, project, CAT, after=middle)
            list_items(s, SYSTEM, project, CAT, before=middle)
            count_items(s, SYSTEM, project, CAT)
            item_position(s, SYSTEM, project, CAT, middle)
            item_position(s, SYSTEM, project, CAT, middle, ItemOrder.ID_DESC)
        plans = []
        for statement, params in seen:
            rows = s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            plans.append(" | ".join(str(r[-1]) for r in rows))
    label_searches = [p for p in plans if "ix_ann_project_label_item" in p]
    assert len(label_searches) >= 5
    for plan in label_searches:
        correlated = "CORRELATED" in plan
        # A per-item probe must be by the item; a list read once (IN) may take a range of it.
        assert not correlated or "item_id=?" in plan, plan
