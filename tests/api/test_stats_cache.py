"""A big project's counts are kept until the project changes (labelhub.services.stats_cache).

A big project is one whose count takes longer than the cache's ``min_seconds``: here 0, so the few rows a test
writes are kept as a million would be.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._concurrency import at_once
from tests.api._support import API, create_project, import_coco, item_ids, quick_user, write_coco
from tests.builders import ManualClock, Seconds

from labelhub.hub import Hub
from labelhub.services import jobs
from labelhub.services.access import Actor
from labelhub.services.event_feed import GAP_WAIT
from labelhub.services.stats import count_project
from labelhub.services.stats_cache import StatsCache

BOX = {"kind": "box", "label": "dog", "geometry": {"bbox": [1, 1, 9, 9]}}


@pytest.fixture
def clock() -> Seconds:
    return Seconds()


@pytest.fixture
def big(hub: Hub, clock: Seconds) -> StatsCache:
    """Every project counts as big. The counts are taken a while after the test's writes (as on a project
    nobody touched for a minute), so PostgreSQL's writes still committing (GAP_WAIT) are behind them."""
    hub.stats = StatsCache(min_seconds=0.0, clock=clock, wall=ManualClock(datetime.now(UTC) + timedelta(minutes=1)))
    return hub.stats


def _pets(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path) -> int:
    pid: int = create_project(client, headers, "pets")["id"]
    coco = write_coco(tmp_path / "pets.json", [
        ("a.jpg", 100, 80, [("cat", (1, 1, 10, 10)), ("dog", (5, 5, 50, 50))]),
        ("b.jpg", 100, 80, []),
    ])  # fmt: skip
    import_coco(hub, pid, coco)
    return pid


def _stats(client: TestClient, headers: dict[str, str], pid: int, **query: Any) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{pid}/stats", params=query, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _counts(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("counted_at", "cached")}


def test_a_small_project_is_counted_on_every_call(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    hub.stats = StatsCache(min_seconds=60.0)  # every count is quicker (the default, 0.2 s, is a timing)
    pid = _pets(client, hub, admin_headers, tmp_path)
    first, second = _stats(client, admin_headers, pid), _stats(client, admin_headers, pid)
    assert (first["cached"], second["cached"]) == (False, False)
    assert datetime.fromisoformat(second["counted_at"]).tzinfo is not None
    assert hub.stats.counts == 2


def test_big_counts_are_kept_until_the_project_changes(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: StatsCache, clock: Seconds
) -> None:
    pid = _pets(client, hub, admin_headers, tmp_path)
    first = _stats(client, admin_headers, pid)
    assert first["cached"] is False and first["annotations"]["by_label"] == {"cat": 1, "dog": 1}
    clock.now += 3600  # an hour on, nothing written: the same counts, not counted again
    again = _stats(client, admin_headers, pid)
    assert again["cached"] is True and _counts(again) == _counts(first)
    assert again["counted_at"] == first["counted_at"] and big.counts == 1
    # The attributes flag is a count of its own.
    assert _stats(client, admin_headers, pid, attributes="true")["cached"] is False

    unlabelled = item_ids(client, admin_headers, pid, unlabeled=True)[0]
    r = client.put(f"{API}/projects/{pid}/items/{unlabelled}/annotations",
                   json={"version": 1, "annotations": [BOX]}, headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    after = _stats(client, admin_headers, pid)
    assert after["cached"] is False and after["annotations"]["by_label"] == {"dog": 2, "cat": 1}
    assert after["items"]["by_status"] == {"labeled": 2}
    assert _stats(client, admin_headers, pid)["cached"] is True

    recount = _stats(client, admin_headers, pid, fresh="true")
    assert recount["cached"] is False and _counts(recount) == _counts(after)


def test_while_a_job_is_open_kept_counts_age_out(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: StatsCache, clock: Seconds
) -> None:
    """Pre-labelling commits batch by batch and records its event at the end: while a job is open, a kept
    count is served only within its age bound (5 s for a quick count)."""
    pid = _pets(client, hub, admin_headers, tmp_path)
    with hub.db.session(write=True) as s:
        jobs.enqueue(s, Actor.system(), "prelabel", {}, project_id=pid)
    assert _stats(client, admin_headers, pid)["cached"] is False
    clock.now += 4
    assert _stats(client, admin_headers, pid)["cached"] is True
    clock.now += 2
    assert _stats(client, admin_headers, pid)["cached"] is False
    assert _stats(client, admin_headers, pid, fresh="true")["cached"] is False


def test_kept_counts_are_only_served_to_those_who_may_read_them(
    client: TestClient, hub: Hub, tmp_path: Path, big: StatsCache
) -> None:
    _, alice = quick_user(hub, "alice")
    bob_id, bob = quick_user(hub, "bob")
    pid = _pets(client, hub, alice, tmp_path)
    assert _stats(client, alice, pid)["cached"] is False
    assert _stats(client, alice, pid)["cached"] is True
    r = client.get(f"{API}/projects/{pid}/stats", headers=bob)
    assert r.status_code == 404 and "annotations" not in r.json()
    assert client.get(f"{API}/projects/{pid}/stats", params={"fresh": "true"}, headers=bob).status_code == 404
    # Once a viewer, bob is served (the membership is a write: counted again).
    r = client.put(f"{API}/projects/{pid}/members/{bob_id}", json={"role": "viewer"}, headers=alice)
    assert r.status_code == 200, r.text
    assert _stats(client, bob, pid)["annotations"]["total"] == 2
    assert client.delete(f"{API}/projects/{pid}/members/{bob_id}", headers=alice).status_code == 204
    assert client.get(f"{API}/projects/{pid}/stats", headers=bob).status_code == 404


def test_calls_at_once_count_once(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> None:
    pid = _pets(client, hub, admin_headers, tmp_path)
    entered = threading.Event()

    def slow(s: Any, p: Any, attributes: bool) -> dict[str, Any]:
        entered.set()
        threading.Event().wait(0.3)  # long enough for the others to arrive while it counts
        return count_project(s, p, attributes=attributes)

    cache = StatsCache(
        min_seconds=0.0, counter=slow, wall=ManualClock(datetime.now(UTC) + timedelta(seconds=GAP_WAIT + 5))
    )

    def call(_: int) -> dict[str, Any]:
        with hub.db.session() as s:
            return cache.stats(s, Actor.system(), pid)

    results = at_once(call, range(4), timeout=30)
    assert entered.is_set()
    assert cache.counts == 1
    assert sorted(r["cached"] for r in results) == [False, True, True, True]
    assert len({r["counted_at"] for r in results}) == 1
