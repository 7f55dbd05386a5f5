"""Deleting items: a manager's, all or nothing, with their labels, audit events, index entries and caches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.search import open_index
from labelhub.services._spaces import index_folder
from labelhub.services.access import Actor
from labelhub.services.embeddings import embed_project
from labelhub.services.imports import import_records
from labelhub.services.search import search_text


def _images(
    client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path, name: str = "images"
) -> tuple[int, list[int]]:
    """Six images, each with one cat box."""
    pid = create_project(client, headers, name, labels=[{"name": "cat"}])["id"]
    images = [(f"{name}{i}.jpg", 640, 480, [("cat", (5, 5, 20, 20))]) for i in range(6)]
    import_coco(hub, pid, write_coco(tmp / f"{name}.json", images, labels=("cat",)))
    return pid, item_ids(client, headers, pid)


def _delete(client: TestClient, headers: dict[str, str], pid: int, ids: list[int]) -> Any:
    return client.post(f"{API}/projects/{pid}/items/delete", json={"item_ids": ids}, headers=headers)


def test_a_manager_deletes_items_with_their_labels_and_the_audit_log_names_them(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _images(client, hub, admin_headers, tmp_path)
    manager_id, manager = quick_user(hub, "mia")
    assert client.put(f"{API}/projects/{pid}/members/{manager_id}", json={"role": "manager"},
                      headers=admin_headers).status_code == 200  # fmt: skip

    r = _delete(client, manager, pid, [ids[1], ids[3], ids[1]])  # a repeated id counts once
    assert r.status_code == 200, r.text
    assert r.json() == {"deleted": 2}
    assert item_ids(client, manager, pid) == [ids[0], ids[2], ids[4], ids[5]]
    for gone in (ids[1], ids[3]):
        assert_problem(client.get(f"{API}/projects/{pid}/items/{gone}", headers=manager), 404, field="item_id")
        assert_problem(client.get(f"{API}/projects/{pid}/items/{gone}/annotations", headers=manager), 404)
    stats = client.get(f"{API}/projects/{pid}/stats", headers=manager).json()
    assert stats["items"]["total"] == 4 and stats["labels"]["cat"]["accepted"] == 4, stats

    r = client.delete(f"{API}/projects/{pid}/items/{ids[5]}", headers=manager)
    assert r.status_code == 204, r.text
    assert_problem(client.delete(f"{API}/projects/{pid}/items/{ids[5]}", headers=manager), 404, field="item_id")
    assert item_ids(client, manager, pid) == [ids[0], ids[2], ids[4]]

    events = client.get(f"{API}/projects/{pid}/audit", params={"action": "item.delete"}, headers=manager).json()
    deleted = {(e["object_id"], e["detail"]["name"], e["username"]) for e in events["events"]}
    assert deleted == {(str(ids[i]), f"images{i}.jpg", "mia") for i in (1, 3, 5)}


def test_deleting_is_all_or_nothing_and_names_the_ids_that_are_not_the_project_s(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _images(client, hub, admin_headers, tmp_path)
    other, other_ids = _images(client, hub, admin_headers, tmp_path, name="other")

    body = assert_problem(_delete(client, admin_headers, pid, [ids[0], other_ids[0], 999_999]), 422, field="item_ids")
    assert f"{other_ids[0]}, 999999 not in project {pid}" in body["detail"] and "nothing was deleted" in body["detail"]
    assert_problem(_delete(client, admin_headers, pid, []), 422)
    assert_problem(client.delete(f"{API}/projects/{pid}/items/{other_ids[0]}", headers=admin_headers), 404)
    assert item_ids(client, admin_headers, pid) == ids and item_ids(client, admin_headers, other) == other_ids


def test_only_managers_delete_and_outsiders_learn_nothing(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _images(client, hub, admin_headers, tmp_path)
    for name, role in [("ann", "annotator"), ("rev", "reviewer"), ("vic", "viewer")]:
        uid, headers = quick_user(hub, name)
        assert client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role},
                          headers=admin_headers).status_code == 200  # fmt: skip
        assert_problem(_delete(client, headers, pid, [ids[0]]), 403)
        assert_problem(client.delete(f"{API}/projects/{pid}/items/{ids[0]}", headers=headers), 403)
    _, outsider = quick_user(hub, "out")
    assert_problem(_delete(client, outsider, pid, [ids[0]]), 404)
    assert_problem(client.delete(f"{API}/projects/{pid}/items/{ids[0]}", headers=outsider), 404)
    assert_problem(_delete(client, {}, pid, [ids[0]]), 401)
    assert item_ids(client, admin_headers, pid) == ids


def test_a_deleted_item_leaves_the_search_index_and_the_hub_s_caches(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid = create_project(client, admin_headers, "texts", item_kind="text", labels=[{"name": "refund"}])["id"]
    texts = ["I want a refund for my card", "where is my new card", "my card was stolen yesterday", "hello there"]
    import_records(hub, Actor.system(), pid, [ItemRecord(kind=ItemKind.TEXT, name=f"t{i}", text=t)
                                              for i, t in enumerate(texts)], labels=[], format_name="test",
                   options=ImportOptions(media="none"))  # fmt: skip
    ids = item_ids(client, admin_headers, pid)
    report = embed_project(hub, Actor.system(), pid)
    folder = index_folder(hub.settings, pid, report.space)
    assert ids[0] in open_index(folder)
    hub.propagations.put((ids[0], 1), object())  # type: ignore[arg-type] # only the key matters here
    hub.propagations.put((ids[1], 2), object())  # type: ignore[arg-type]

    assert _delete(client, admin_headers, pid, [ids[0]]).json() == {"deleted": 1}
    assert ids[0] not in open_index(folder) and ids[1] in open_index(folder)
    assert hub.propagations.get((ids[0], 1)) is None and hub.propagations.get((ids[1], 2)) is not None
    with hub.db.session() as s:
        hits = search_text(s, hub, Actor.system(), pid, "refund for my card", k=4)
    assert [h.item_id for h in hits.hits] and ids[0] not in [h.item_id for h in hits.hits]
