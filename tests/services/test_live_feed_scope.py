"""A stream over several projects (the user's alert stream): the shared copy and a stream's own read, for one from
before the copy, give the same events of those projects with those actions, in id order."""

from __future__ import annotations

import anyio
from tests._async import run_async
from tests.builders import new_project
from tests.services.test_live_feed import SYSTEM, Clock

from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.event_feed import last_id
from labelhub.services.live_feed import Scope, SharedFeed


def _write(hub: Hub, *events: tuple[int, str]) -> list[int]:
    """Record ``(project, action)`` events in order; their ids."""
    with hub.db.session(write=True) as s:
        for project, action in events:
            audit.record(s, SYSTEM, action, "alert", 1, project_id=project)
    with hub.db.session() as s:
        return list(range(last_id(s) - len(events) + 1, last_id(s) + 1))


def test_several_projects_events_of_some_actions_come_merged_in_order_from_the_copy_or_the_feed(hub: Hub) -> None:
    p, q, r = new_project(hub, "p"), new_project(hub, "q"), new_project(hub, "r")
    feed, clock = SharedFeed(poll_seconds=0.5), Clock()
    alerts = frozenset({"alert.raised", "alert.ack"})
    mine, everyone = Scope(frozenset({p, q}), alerts), Scope(None, alerts)

    async def read(after: int, scope: Scope) -> list[int]:
        events, _ = await feed.read_scope(hub, after, scope, anyio.CapacityLimiter(2), clock)
        return [e.id for e in events]

    async def main() -> None:
        before = _write(hub, (p, "alert.raised"))  # before the copy: a stream from back then reads its own
        await read(before[-1], mine)
        clock.now += 1
        ids = _write(hub, (q, "alert.raised"), (r, "alert.raised"), (p, "item.approve"), (p, "alert.ack"),
                     (None, "alert.raised"))  # fmt: skip
        assert await read(before[-1], mine) == [ids[0], ids[3]]  # from the copy
        assert await read(before[-1], everyone) == [*ids[:2], ids[3]]  # every project's, none without one
        assert await read(before[0] - 1, mine) == [*before, ids[0], ids[3]]  # its own read
        assert await read(before[0] - 1, everyone) == [*before, *ids[:2], ids[3]]
        assert await read(before[0] - 1, Scope(frozenset(), alerts)) == []

    run_async(main)
