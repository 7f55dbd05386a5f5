"""The item list's ``with_total``: how many items match the filters, which the item page shows as "n / N" when it
walks the grid's filtered list."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path, n: int = 12) -> tuple[int, list[int]]:
    """``n`` images: index % 3 == 0 has a cat, 1 a dog, 2 nothing."""
    pid = create_project(client, headers, "totals", labels=[{"name": "cat"}, {"name": "dog"}])["id"]
    images = [(f"img{i:02}.jpg", 64, 48, [(("cat", "dog")[i % 3], (5, 5, 20, 20))] if i % 3 < 2 else [])
              for i in range(n)]  # fmt: skip
    import_coco(hub, pid, write_coco(tmp / "instances_val.json", images))
    return pid, item_ids(client, headers, pid)


def _page(client: TestClient, headers: dict[str, str], pid: int, **query: Any) -> dict[str, Any]:
    r = client.get(f"{API}/projects/{pid}/items", params=query, headers=headers)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def test_with_total_counts_every_item_matching_the_filters_whatever_the_page(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _project(client, hub, admin_headers, tmp_path)
    r = client.post(f"{API}/projects/{pid}/items/{ids[3]}/review", json={"approve": True}, headers=admin_headers)
    assert r.status_code == 200, r.text
    # Not asked: no count (the grid's pages do not pay for one).
    assert _page(client, admin_headers, pid, limit=2)["total"] is None
    assert _page(client, admin_headers, pid, limit=2, with_total=True)["total"] == 12
    cats = _page(client, admin_headers, pid, limit=1, label="cat", with_total=True)
    assert cats["total"] == 4 and [i["id"] for i in cats["items"]] == [ids[0]]
    # The count is of the whole filtered list, not of what is left after the cursor or on the page.
    deep = _page(client, admin_headers, pid, limit=1, label="dog", after=ids[7], with_total=True)
    assert deep["total"] == 4 and [i["id"] for i in deep["items"]] == [ids[10]]
    # Imported labels make an item "labeled"; the 4 empty ones are new; one cat was reviewed since.
    for query, want in (({"status": "new"}, 4), ({"status": "labeled"}, 7), ({"status": "reviewed", "label": "cat"}, 1),
                        ({"q": "img1"}, 2), ({"label": "dog", "status": "labeled"}, 4)):  # fmt: skip
        page = _page(client, admin_headers, pid, limit=1, with_total=True, **query)
        assert page["total"] == want == len(item_ids(client, admin_headers, pid, **query)), (query, page)
    nothing = _page(client, admin_headers, pid, limit=1, tag="nope", with_total=True)
    assert nothing == {"items": [], "next_after": None, "total": 0, "position": None, "total_cached": False,
                       "total_counted_at": nothing["total_counted_at"]}  # fmt: skip
    assert datetime.fromisoformat(nothing["total_counted_at"]).utcoffset() == timedelta(0)


def test_with_total_needs_read_access_like_the_list(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _ = _project(client, hub, admin_headers, tmp_path, n=3)
    _, outsider = quick_user(hub, "outsider")
    r = client.get(f"{API}/projects/{pid}/items", params={"with_total": True}, headers=outsider)
    assert r.status_code in (403, 404), r.text
    assert_problem(client.get(f"{API}/projects/{pid}/items", params={"with_total": "maybe"}, headers=admin_headers),
                   422)  # fmt: skip
