"""The item list's ``order``: pages followed by ``next_after`` in each order, with a filter; a bad order is a 422."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, write_coco

from labelhub.hub import Hub

# Imported in this order (ids follow it), so no order is another's by accident.
NAMES = ["b2.jpg", "a.jpg", "b10.jpg", "c.jpg", "b.jpg", "ab.jpg", "b1.jpg", "aa.jpg"]
# A to Z, naturally: the numbers in the names compare as numbers.
BY_NAME = ["a.jpg", "aa.jpg", "ab.jpg", "b.jpg", "b1.jpg", "b2.jpg", "b10.jpg", "c.jpg"]


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path) -> int:
    """The images of NAMES; the 1st, 3rd, 5th and 7th imported have a cat."""
    pid: int = create_project(client, headers, "sorted", labels=[{"name": "cat"}, {"name": "dog"}])["id"]
    images = [(n, 64, 48, [("cat", (1, 1, 5, 5))] if i % 2 == 0 else []) for i, n in enumerate(NAMES)]
    import_coco(hub, pid, write_coco(tmp / "instances_val.json", images))
    return pid


def _pages(client: TestClient, headers: dict[str, str], pid: int, **query: Any) -> list[list[str]]:
    """The names on each page, following next_after to the end."""
    pages: list[list[str]] = []
    after: int | None = None
    while True:
        params = query | ({"after": after} if after is not None else {})
        r = client.get(f"{API}/projects/{pid}/items", params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append([i["name"] for i in page["items"]])
        if page["next_after"] is None:
            return pages
        after = page["next_after"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (None, NAMES),
        ("id", NAMES),
        ("-id", NAMES[::-1]),
        ("name", BY_NAME),
        ("-name", BY_NAME[::-1]),
    ],
)
def test_pages_follow_the_order(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, order: str | None, expected: list[str]
) -> None:
    pid = _project(client, hub, admin_headers, tmp_path)
    query: dict[str, Any] = {"limit": 3} | ({"order": order} if order else {})
    pages = _pages(client, admin_headers, pid, **query)
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [n for p in pages for n in p] == expected
    cats = [n for i, n in enumerate(NAMES) if i % 2 == 0]
    with_cat = _pages(client, admin_headers, pid, **(query | {"label": "cat", "with_total": True}))
    assert [n for p in with_cat for n in p] == [n for n in expected if n in cats]


def test_previous_item_in_name_order(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = _project(client, hub, admin_headers, tmp_path)
    by_name = {
        i["name"]: i["id"] for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
    }
    url = f"{API}/projects/{pid}/items"
    page = client.get(url, params={"order": "-name", "before": by_name["b2.jpg"], "limit": 2}, headers=admin_headers)
    assert [i["name"] for i in page.json()["items"]] == ["c.jpg", "b10.jpg"]
    page = client.get(url, params={"order": "-name", "after": by_name["b2.jpg"], "limit": 1}, headers=admin_headers)
    assert [i["name"] for i in page.json()["items"]] == ["b1.jpg"]


def test_a_bad_order_or_a_missing_anchor_is_a_422_naming_the_field(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = _project(client, hub, admin_headers, tmp_path)
    url = f"{API}/projects/{pid}/items"
    for bad in ("size", "NAME", "name,id", ""):
        assert_problem(client.get(url, params={"order": bad}, headers=admin_headers), 422, field="query.order")
    gone = client.get(url, params={"order": "name", "after": 10**9}, headers=admin_headers)
    assert "not in project" in assert_problem(gone, 422, field="after")["detail"]


def test_the_next_name_page_comes_after_its_anchor_was_deleted(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """Another user deletes the last item of the page a grid shows: the grid's next page, asked for with that
    item's name, holds the rest, none missed and none repeated; by the id alone it is a 422."""
    pid = _project(client, hub, admin_headers, tmp_path)
    url = f"{API}/projects/{pid}/items"
    first = client.get(url, params={"order": "-name", "limit": 3}, headers=admin_headers).json()
    last = first["items"][-1]
    assert last["name"] == "b2.jpg"
    r = client.post(f"{url}/delete", json={"item_ids": [last["id"]]}, headers=admin_headers)
    assert r.status_code == 200, r.text
    by_id = client.get(url, params={"order": "-name", "limit": 3, "after": last["id"]}, headers=admin_headers)
    assert_problem(by_id, 422, field="after")
    query = {"order": "-name", "limit": 3, "after": last["id"], "after_name": last["name"]}
    second = client.get(url, params=query, headers=admin_headers)
    assert second.status_code == 200, second.text
    shown = [i["name"] for i in first["items"] + second.json()["items"]]
    assert shown == BY_NAME[::-1][:6]
    before = client.get(url, params={"order": "-name", "before_name": "b2.jpg", "limit": 1}, headers=admin_headers)
    assert [i["name"] for i in before.json()["items"]] == ["b10.jpg"]
    in_id_order = client.get(url, params={"after_name": "b10.jpg"}, headers=admin_headers)
    assert "name orders" in assert_problem(in_id_order, 422, field="after_name")["detail"]
