"""The name orders are natural and case-insensitive, on SQLite and PostgreSQL alike: img2 before img10, a before
B; pages cross a keyset boundary by the anchor's name (even a deleted anchor's), and position_of agrees."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API
from tests.builders import shuffled_texts

from labelhub.hub import Hub
from labelhub.storage.models import Item

NAMES = ["img10", "img2", "img1", "B", "a", "Img3"]
A_TO_Z = ["a", "B", "img1", "img2", "Img3", "img10"]
# Keys that tie (case, leading zeros) follow the exact name by code point on both databases: "A" < "a".
TIES = ["a", "A", "img1", "img01", "IMG1", "b"]
TIES_A_TO_Z = ["A", "a", "b", "IMG1", "img01", "img1"]


def _project(hub: Hub, names: list[str]) -> tuple[str, dict[str, int]]:
    pid = shuffled_texts(hub, "natural", names, seed=11)
    with hub.db.session() as s:  # the ids, to ask by id as the grid does
        ids = {n: i for n, i in s.execute(select(Item.name, Item.id).where(Item.project_id == pid))}
    return f"{API}/projects/{pid}/items", ids


def _names(client: TestClient, headers: dict[str, str], url: str, **query: Any) -> list[str]:
    r = client.get(url, params=query, headers=headers)
    assert r.status_code == 200, r.text
    return [i["name"] for i in r.json()["items"]]


@pytest.mark.parametrize(("names", "expected"), [(NAMES, A_TO_Z), (TIES, TIES_A_TO_Z)], ids=["natural", "ties"])
def test_the_name_orders_are_natural_both_ways(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], names: list[str], expected: list[str]
) -> None:
    url, ids = _project(hub, names)
    assert _names(client, admin_headers, url, order="name") == expected
    assert _names(client, admin_headers, url, order="-name") == expected[::-1]
    for order, listed in (("name", expected), ("-name", expected[::-1])):
        for i, name in enumerate(listed):
            r = client.get(url, params={"order": order, "position_of": ids[name], "limit": 1}, headers=admin_headers)
            assert r.json()["position"] == i, (order, name)


@pytest.mark.parametrize(("order", "listed"), [("name", A_TO_Z), ("-name", A_TO_Z[::-1])])
def test_pages_cross_the_keyset_boundary_by_id_or_by_name(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], order: str, listed: list[str]
) -> None:
    url, ids = _project(hub, NAMES)
    pages: list[list[str]] = []
    query: dict[str, Any] = {"order": order, "limit": 4}
    while True:
        r = client.get(url, params=query, headers=admin_headers).json()
        pages.append([i["name"] for i in r["items"]])
        if r["next_after"] is None:
            break
        query |= {"after": r["next_after"]}
    assert pages == [listed[:4], listed[4:]]
    at = listed[3]  # the boundary: the last item of the first page
    assert _names(client, admin_headers, url, order=order, after=ids[at], limit=2) == listed[4:6]
    assert _names(client, admin_headers, url, order=order, after_name=at, limit=2) == listed[4:6]
    assert _names(client, admin_headers, url, order=order, before=ids[at], limit=2) == listed[1:3]
    assert _names(client, admin_headers, url, order=order, before_name=at, limit=2) == listed[1:3]


@pytest.mark.parametrize(("order", "listed"), [("name", A_TO_Z), ("-name", A_TO_Z[::-1])])
def test_a_deleted_anchor_still_marks_its_place_by_name(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], order: str, listed: list[str]
) -> None:
    """img2 goes while a grid shows it: the pages after and before it, asked for by its name, miss nothing."""
    url, ids = _project(hub, NAMES)
    r = client.post(f"{url}/delete", json={"item_ids": [ids["img2"]]}, headers=admin_headers)
    assert r.status_code == 200, r.text
    at = listed.index("img2")
    rest = [n for n in listed if n != "img2"]
    after = _names(client, admin_headers, url, order=order, after=ids["img2"], after_name="img2", limit=10)
    assert after == listed[at + 1 :]
    before = _names(client, admin_headers, url, order=order, before=ids["img2"], before_name="img2", limit=10)
    assert before == listed[:at]
    # A name that was never an item's marks a place too: "IMG2" falls where img2 was.
    assert _names(client, admin_headers, url, order=order, after_name="IMG2", limit=10) == rest[at:]
