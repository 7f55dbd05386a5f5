"""A big list's total (``GET .../items?with_total=true``) is kept until the project changes
(labelhub.services.item_totals, on labelhub.services.kept_counts).

A big list is one whose count takes longer than the cache's ``min_seconds``: here 0, so the few rows a test writes
are kept as a million would be.
"""

from __future__ import annotations

import threading
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._concurrency import at_once
from tests.api._support import API, create_project, import_coco, item_ids, quick_user, write_coco
from tests.builders import ManualClock, Seconds

from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus, Source
from labelhub.hub import Hub
from labelhub.services import jobs
from labelhub.services.access import Actor
from labelhub.services.event_feed import GAP_WAIT
from labelhub.services.item_totals import ItemTotals, total_key
from labelhub.services.items import ItemFilter, count_items

BOX = {"kind": "box", "label": "dog", "geometry": {"bbox": [1, 1, 9, 9]}}


@pytest.fixture
def clock() -> Seconds:
    return Seconds()


@pytest.fixture
def wall() -> ManualClock:
    """The counts are taken a while after the test's writes (as on a list nobody touched for a minute), so
    PostgreSQL's writes still committing (GAP_WAIT) are behind them."""
    return ManualClock(datetime.now(UTC) + timedelta(minutes=1))


@pytest.fixture
def big(hub: Hub, clock: Seconds, wall: ManualClock) -> ItemTotals:
    """Every list counts as big."""
    hub.totals = ItemTotals(min_seconds=0.0, clock=clock, wall=wall)
    return hub.totals


def _pets(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path, names: str = "abcd") -> int:
    """Images a (a cat and a dog), b (nothing), c (a dog), d (nothing)..."""
    pid: int = create_project(client, headers, "pets")["id"]
    _import(hub, pid, tmp_path, names)
    return pid


def _import(hub: Hub, pid: int, tmp_path: Path, names: str) -> None:
    boxes = {"a": [("cat", (1, 1, 10, 10)), ("dog", (5, 5, 50, 50))], "c": [("dog", (2, 2, 20, 20))]}
    images = [(f"{n}.jpg", 100, 80, boxes.get(n, [])) for n in names]
    import_coco(hub, pid, write_coco(tmp_path / f"pets-{names}.json", images))


def _page(client: TestClient, headers: dict[str, str], pid: int, **query: Any) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{pid}/items", params={"limit": 1, "with_total": "true", **query}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _shown(page: dict[str, Any]) -> tuple[int, bool]:
    """What the grid shows: the total, and whether it says "counted ... ago"."""
    return page["total"], page["total_cached"]


def test_a_small_list_is_counted_on_every_call(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    hub.totals = ItemTotals(min_seconds=60.0)  # every count is quicker (the default, 0.2 s, is a timing)
    pid = _pets(client, hub, admin_headers, tmp_path)
    first, second = _page(client, admin_headers, pid), _page(client, admin_headers, pid)
    assert (_shown(first), _shown(second)) == ((4, False), (4, False))
    assert datetime.fromisoformat(second["total_counted_at"]).tzinfo is not None
    assert hub.totals.kept.counts == 2
    # Not asked: no count, no time.
    r = client.get(f"{API}/projects/{pid}/items", params={"limit": 1}, headers=admin_headers)
    assert r.json()["total"] is None and r.json()["total_counted_at"] is None and r.json()["total_cached"] is False


def test_a_big_total_is_kept_until_the_project_changes(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: ItemTotals, clock: Seconds
) -> None:
    pid = _pets(client, hub, admin_headers, tmp_path)
    first = _page(client, admin_headers, pid, unlabeled="true")
    assert _shown(first) == (2, False)
    clock.now += 3600  # an hour on, nothing written: the same total, not counted again
    again = _page(client, admin_headers, pid, unlabeled="true")
    assert _shown(again) == (2, True) and again["total_counted_at"] == first["total_counted_at"]
    assert big.kept.counts == 1
    # The page itself is read every time: only the total is kept.
    assert again["items"] == first["items"]

    # Saving an annotation: the next total is counted again, and right.
    b = item_ids(client, admin_headers, pid, unlabeled=True)[0]
    r = client.put(f"{API}/projects/{pid}/items/{b}/annotations",
                   json={"version": 1, "annotations": [BOX]}, headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert _shown(_page(client, admin_headers, pid, unlabeled="true")) == (1, False)
    assert _shown(_page(client, admin_headers, pid, unlabeled="true")) == (1, True)

    # Deleting an item.
    assert _shown(_page(client, admin_headers, pid)) == (4, False)
    d = item_ids(client, admin_headers, pid, unlabeled=True)[0]
    assert client.delete(f"{API}/projects/{pid}/items/{d}", headers=admin_headers).status_code == 204
    assert _shown(_page(client, admin_headers, pid)) == (3, False)
    assert _shown(_page(client, admin_headers, pid, unlabeled="true")) == (0, False)
    assert _shown(_page(client, admin_headers, pid)) == (3, True)

    # Importing more items (an import appends).
    _import(hub, pid, tmp_path, "ef")
    assert _shown(_page(client, admin_headers, pid)) == (5, False)
    assert _shown(_page(client, admin_headers, pid, unlabeled="true")) == (2, False)


def test_filters_are_kept_apart(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: ItemTotals
) -> None:
    pid = _pets(client, hub, admin_headers, tmp_path)
    for _ in range(2):  # counted, then kept: each filter its own right total
        everything = _page(client, admin_headers, pid)
        new = _page(client, admin_headers, pid, status="new")
        labeled = _page(client, admin_headers, pid, status="labeled")
        dogs = _page(client, admin_headers, pid, label="dog")
        cats_labeled = _page(client, admin_headers, pid, label="cat", status="labeled")
        assert [p["total"] for p in (everything, new, labeled, dogs, cats_labeled)] == [4, 2, 2, 2, 1]
    assert [p["total_cached"] for p in (everything, new, labeled, dogs, cats_labeled)] == [True] * 5
    assert big.kept.counts == 5


def test_every_field_of_the_filter_is_part_of_the_key() -> None:
    """A total of one filter is never served for another: each field, set on its own, makes another key."""
    values: dict[str, Any] = {"status": ItemStatus.NEW, "kind": ItemKind.IMAGE, "split": "val", "label": "cat",
                              "source": Source.MODEL, "state": AnnotationState.PROPOSED, "min_score": 0.5,
                              "max_score": 0.5, "q": "night", "tag": "night", "unlabeled": True, "annotator_id": 3,
                              "attribute": "color", "attribute_value": "red", "assignee_id": 3,
                              "unassigned": True}  # fmt: skip
    assert set(values) == {f.name for f in fields(ItemFilter)}  # a new field needs a value here
    keys = {total_key(ItemFilter())} | {total_key(replace(ItemFilter(), **{k: v})) for k, v in values.items()}
    assert len(keys) == len(values) + 1
    assert total_key(ItemFilter(annotator_id=3)) != total_key(ItemFilter(assignee_id=3))
    assert total_key(ItemFilter(label="cat")) == total_key(ItemFilter(label="cat"))


def test_me_is_each_callers_own_total(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: ItemTotals
) -> None:
    """``annotator=me`` and ``assignee=me`` name the caller: one caller's kept total is not another's."""
    pid = _pets(client, hub, admin_headers, tmp_path)
    bob_id, bob = quick_user(hub, "bob")
    r = client.put(f"{API}/projects/{pid}/members/{bob_id}", json={"role": "annotator"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    b, d = item_ids(client, admin_headers, pid, unlabeled=True)
    r = client.put(f"{API}/projects/{pid}/items/{b}/annotations",
                   json={"version": 1, "annotations": [BOX]}, headers=bob)  # fmt: skip
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/projects/{pid}/items/assign", json={"item_ids": [d], "user_ids": [bob_id]},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    for _ in range(2):
        assert _page(client, bob, pid, annotator="me")["total"] == 1
        assert _page(client, admin_headers, pid, annotator="me")["total"] == 0
        assert _page(client, bob, pid, assignee="me")["total"] == 1
        assert _page(client, admin_headers, pid, assignee="me")["total"] == 0
    assert _shown(_page(client, admin_headers, pid, annotator="me")) == (0, True)
    assert _page(client, admin_headers, pid, annotator=str(bob_id))["total"] == 1


def test_a_kept_total_is_only_served_to_those_who_may_read_the_project(
    client: TestClient, hub: Hub, tmp_path: Path, big: ItemTotals
) -> None:
    _, alice = quick_user(hub, "alice")
    bob_id, bob = quick_user(hub, "bob")
    pid = _pets(client, hub, alice, tmp_path)
    assert _shown(_page(client, alice, pid)) == (4, False)
    assert _shown(_page(client, alice, pid)) == (4, True)
    for query in ({"with_total": "true"}, {"with_total": "true", "fresh_total": "true"}, {"fresh_total": "true"}):
        r = client.get(f"{API}/projects/{pid}/items", params=query, headers=bob)
        assert r.status_code == 404 and "total" not in r.json(), r.text
    # Once a viewer, bob is served (the membership is a write: counted again); once removed, refused again.
    r = client.put(f"{API}/projects/{pid}/members/{bob_id}", json={"role": "viewer"}, headers=alice)
    assert r.status_code == 200, r.text
    assert _shown(_page(client, bob, pid)) == (4, False)
    assert _shown(_page(client, bob, pid)) == (4, True)
    assert client.delete(f"{API}/projects/{pid}/members/{bob_id}", headers=alice).status_code == 204
    r = client.get(f"{API}/projects/{pid}/items", params={"with_total": "true"}, headers=bob)
    assert r.status_code == 404, r.text


def test_fresh_total_counts_again(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: ItemTotals, wall: ManualClock
) -> None:
    pid = _pets(client, hub, admin_headers, tmp_path)
    first = _page(client, admin_headers, pid, label="dog")
    assert _shown(_page(client, admin_headers, pid, label="dog")) == (2, True)
    wall.advance(120)
    recount = _page(client, admin_headers, pid, label="dog", fresh_total="true")
    assert _shown(recount) == (2, False) and big.kept.counts == 2
    assert datetime.fromisoformat(recount["total_counted_at"]) - datetime.fromisoformat(first["total_counted_at"]) \
        == timedelta(seconds=120)  # fmt: skip
    # The recount is what is kept now; fresh_total alone asks for the total too.
    kept = _page(client, admin_headers, pid, label="dog")
    assert _shown(kept) == (2, True) and kept["total_counted_at"] == recount["total_counted_at"]
    r = client.get(f"{API}/projects/{pid}/items", params={"label": "dog", "fresh_total": "true"}, headers=admin_headers)
    assert r.status_code == 200 and (r.json()["total"], r.json()["total_cached"]) == (2, False)


def test_while_a_job_is_open_a_kept_total_ages_out(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, big: ItemTotals, clock: Seconds
) -> None:
    """Pre-labelling commits batch by batch and records its event at the end: while a job is open, a kept
    total is served only within its age bound (5 s for a quick count)."""
    pid = _pets(client, hub, admin_headers, tmp_path)
    with hub.db.session(write=True) as s:
        jobs.enqueue(s, Actor.system(), "prelabel", {}, project_id=pid)
    assert _shown(_page(client, admin_headers, pid)) == (4, False)
    clock.now += 4
    assert _shown(_page(client, admin_headers, pid)) == (4, True)
    clock.now += 2
    assert _shown(_page(client, admin_headers, pid)) == (4, False)


def test_calls_at_once_count_once(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> None:
    pid = _pets(client, hub, admin_headers, tmp_path)
    entered = threading.Event()

    def slow(s: Any, actor: Actor, project_id: int, f: ItemFilter) -> int:
        entered.set()
        threading.Event().wait(0.3)  # long enough for the others to arrive while it counts
        return count_items(s, actor, project_id, f)

    totals = ItemTotals(
        min_seconds=0.0, counter=slow, wall=ManualClock(datetime.now(UTC) + timedelta(seconds=GAP_WAIT + 5))
    )

    def call(_: int) -> tuple[int, bool, datetime]:
        with hub.db.session() as s:
            kept = totals.total(s, Actor.system(), pid, ItemFilter(status=ItemStatus.NEW))
            return kept.value, kept.cached, kept.counted_at

    results = at_once(call, range(4), timeout=30)
    assert entered.is_set()
    assert totals.kept.counts == 1
    assert sorted((n, cached) for n, cached, _ in results) == [(2, False), (2, True), (2, True), (2, True)]
    assert len({at for _, _, at in results}) == 1
