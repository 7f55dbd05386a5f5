"""The item list's ``position_of``: an item's place in the list under the filters and the order (the item page's
"N / M" at any depth)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, write_coco

from labelhub.hub import Hub

NAMES = ["b2.jpg", "a.jpg", "b10.jpg", "c.jpg", "b.jpg", "ab.jpg", "b1.jpg", "aa.jpg"]


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path) -> int:
    """The images of NAMES; the 1st, 3rd, 5th and 7th imported have a cat."""
    pid: int = create_project(client, headers, "placed", labels=[{"name": "cat"}])["id"]
    images = [(n, 64, 48, [("cat", (1, 1, 5, 5))] if i % 2 == 0 else []) for i, n in enumerate(NAMES)]
    import_coco(hub, pid, write_coco(tmp / "instances_val.json", images))
    return pid


@pytest.mark.parametrize("order", ["id", "-id", "name", "-name"])
def test_position_of_tells_each_items_place_under_a_filter(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, order: str
) -> None:
    pid = _project(client, hub, admin_headers, tmp_path)
    url = f"{API}/projects/{pid}/items"
    listed = client.get(url, params={"order": order, "label": "cat"}, headers=admin_headers).json()["items"]
    assert len(listed) == 4
    for i, it in enumerate(listed):
        r = client.get(url, params={"order": order, "label": "cat", "limit": 1, "position_of": it["id"]},
                       headers=admin_headers)  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["position"] == i, it["name"]
    assert client.get(url, params={"order": order}, headers=admin_headers).json()["position"] is None


def test_position_of_an_unknown_item_in_a_name_order_is_a_422(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = _project(client, hub, admin_headers, tmp_path)
    r = client.get(
        f"{API}/projects/{pid}/items", params={"order": "name", "position_of": 999_999}, headers=admin_headers
    )
    assert_problem(r, 422)
