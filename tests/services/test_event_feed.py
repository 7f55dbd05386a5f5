"""The event feed: committed audit events after a cursor, a project's own, and held back at a gap a transaction
still open may fill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from tests.builders import new_project

from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.event_feed import GAP_WAIT, horizon, last_id, matches, read_after
from labelhub.storage.models import AuditEvent

SYSTEM = Actor.system()


def _record(hub: Hub, action: str, project_id: int | None, **detail: object) -> None:
    with hub.db.session(write=True) as s:
        audit.record(s, SYSTEM, action, "item", 1, project_id=project_id, detail=dict(detail))


def test_a_consumer_sees_its_projects_events_in_order_and_its_cursor_moves_past_the_others(hub: Hub) -> None:
    p, q = new_project(hub, "p"), new_project(hub, "q")
    with hub.db.session() as s:
        start = last_id(s)
    _record(hub, "item.approve", p, status="reviewed")
    _record(hub, "item.reject", q)
    _record(hub, "annotations.replace", p, count=3)
    with hub.db.session() as s:
        events, cursor = read_after(s, start, project_id=p)
        assert [e.action for e in events] == ["item.approve", "annotations.replace"]
        assert events[0].detail == {"status": "reviewed"} and events[0].actor == "system"
        assert events[1].body()["detail"] == {"count": 3}
        assert cursor == last_id(s)  # q's event is behind the cursor too
        assert read_after(s, cursor, project_id=p) == ([], cursor)
        # A quiet project's cursor still moves on, so it never scans the same events twice.
        assert read_after(s, start, project_id=q + 1000) == ([], cursor)


def test_a_young_gap_holds_the_feed_back_until_it_has_lasted_gap_wait(hub: Hub) -> None:
    p = new_project(hub, "p")
    with hub.db.session() as s:
        start = last_id(s)
    now = datetime.now(UTC)
    with hub.db.session(write=True) as s:  # ids start+1 and start+3 committed; start+2 still "open"
        for gap in (1, 3):
            s.execute(insert(AuditEvent).values(id=start + gap, at=now, project_id=p, action=f"a{gap}",
                                                object_type="item", detail={}))  # fmt: skip
    with hub.db.session() as s:
        assert horizon(s, start, now=now) == start + 1
        events, cursor = read_after(s, start, project_id=p, now=now)
        assert [e.action for e in events] == ["a1"] and cursor == start + 1
        later = now + timedelta(seconds=GAP_WAIT + 1)  # the missing id never came: it rolled back
        events, cursor = read_after(s, cursor, project_id=p, now=later)
        assert [e.action for e in events] == ["a3"] and cursor == start + 3


def test_on_postgresql_an_event_committed_after_a_later_one_is_not_skipped(hub: Hub) -> None:
    if hub.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: its ids commit in order")
    p = new_project(hub, "p")
    with hub.db.session() as s:
        start = last_id(s)
    with hub.db.session(write=True) as slow:
        audit.record(slow, SYSTEM, "slow", "item", 1, project_id=p)
        slow.flush()
        _record(hub, "fast", p)  # takes the next id and commits first
        with hub.db.session() as s:
            events, cursor = read_after(s, start, project_id=p)
            assert events == [] and cursor == start
    with hub.db.session() as s:
        events, _ = read_after(s, start, project_id=p)
        assert [e.action for e in events] == ["slow", "fast"]


def test_patterns_match_every_action_a_kind_or_one_action() -> None:
    assert matches("item.approve", ["*"])
    assert matches("item.approve", ["annotations.*", "item.*"])
    assert matches("item.approve", ["item.approve"]) and not matches("item.approved", ["item.approve"])
    assert not matches("annotations.replace", ["item.*"]) and not matches("item.approve", [])
