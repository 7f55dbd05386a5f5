"""The live streams' shared copy of the event feed: one feed read per poll interval for every stream of a
process, each stream still getting exactly its project's events, in order, from wherever it resumes."""

from __future__ import annotations

import anyio
from tests._async import run_async
from tests.builders import new_project

from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.event_feed import last_id
from labelhub.services.live_feed import IDLE_SECONDS, SharedFeed

SYSTEM = Actor.system()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _write(hub: Hub, project_id: int, n: int) -> list[int]:
    with hub.db.session(write=True) as s:
        for k in range(n):
            audit.record(s, SYSTEM, "annotations.replace", "item", k, project_id=project_id)
    with hub.db.session() as s:
        return list(range(last_id(s) - n + 1, last_id(s) + 1))


def test_streams_of_many_projects_share_one_read_per_interval(hub: Hub) -> None:
    p, q = new_project(hub, "p"), new_project(hub, "q")
    feed, clock = SharedFeed(poll_seconds=0.5), Clock()
    with hub.db.session() as s:
        start = last_id(s)
    got: dict[int, list[int]] = {n: [] for n in range(40)}

    async def main() -> None:
        limiter = anyio.CapacityLimiter(4)
        cursors = {n: start for n in got}

        async def poll_all() -> None:
            async with anyio.create_task_group() as tg:
                for n in got:
                    tg.start_soon(one, n)

        async def one(n: int) -> None:
            events, cursors[n] = await feed.read(hub, cursors[n], p if n % 2 else q, limiter, clock)
            got[n] += [e.id for e in events]

        await poll_all()  # the first read: the copy starts at the newest event
        written = {p: _write(hub, p, 3), q: _write(hub, q, 2)}
        await poll_all()  # the copy is fresh: nobody reads the feed again
        assert all(not ids for ids in got.values())
        clock.now += 0.6
        await poll_all()
        assert feed.reads == 2  # 40 streams, two intervals: two reads
        for n, ids in got.items():
            assert ids == written[p if n % 2 else q]

    run_async(main)


def test_a_stream_from_before_the_copy_reads_its_own_and_the_copy_keeps_its_last_events(hub: Hub) -> None:
    p, q = new_project(hub, "p"), new_project(hub, "q")
    feed, clock = SharedFeed(poll_seconds=0.5, keep=4), Clock()

    async def read(after: int, project: int) -> tuple[list[int], int]:
        events, cursor = await feed.read(hub, after, project, anyio.CapacityLimiter(2), clock)
        return [e.id for e in events], cursor

    async def main() -> None:
        old = _write(hub, p, 2)  # before any stream: not in the copy
        await read(old[-1], p)
        clock.now += 1
        ps, qs = _write(hub, p, 3), _write(hub, q, 3)
        ids, cursor = await read(ps[0] - 1, p)  # the refresh read 6 events and kept the last 4 only...
        assert feed.start == ps[1] and ids == ps  # ...so this stream, from before them, read its own
        reads = feed.reads
        assert (await read(ps[1], p))[0] == [ps[2]] and feed.reads == reads  # from the copy
        ids, cursor = await read(old[0] - 1, p)  # a browser back from long ago: its own read, all of it
        assert ids == old + ps and feed.reads == reads + 1
        assert (await read(qs[0], q))[0] == qs[1:]
        assert (await read(cursor, p)) == ([], cursor)

    run_async(main)


def test_after_a_quiet_spell_the_copy_starts_again_at_the_newest_event(hub: Hub) -> None:
    p = new_project(hub, "p")
    feed, clock = SharedFeed(poll_seconds=0.5), Clock()

    async def main() -> None:
        limiter = anyio.CapacityLimiter(2)
        await feed.read(hub, 0, p, limiter, clock)
        missed = _write(hub, p, 5)
        clock.now += IDLE_SECONDS + 1
        events, cursor = await feed.read(hub, missed[-1], p, limiter, clock)
        assert events == [] and feed.start == feed.top == missed[-1] and cursor == missed[-1]
        events, _ = await feed.read(hub, missed[0] - 1, p, limiter, clock)  # what a resuming stream missed
        assert [e.id for e in events] == missed

    run_async(main)


def test_streams_sleep_until_the_copy_is_due_so_an_event_waits_one_interval_at_most(hub: Hub) -> None:
    p = new_project(hub, "p")
    feed, clock = SharedFeed(poll_seconds=0.5), Clock()

    async def main() -> None:
        await feed.read(hub, 0, p, anyio.CapacityLimiter(2), clock)  # read at 1000.0
        assert feed.wait(clock) == 0.5
        clock.now += 0.3
        assert abs(feed.wait(clock) - 0.2) < 1e-9  # due at 1000.5: not a whole interval more
        clock.now += 0.4
        assert feed.wait(clock) == 0.01  # overdue: read at once

    run_async(main)
