"""Assignment through the API: a manager assigns items (by id, by the list's filter, split evenly), members
filter the grid by assignee, the queue hands each annotator their own items first, and the workload counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub

ROLES = ("manager", "ann1", "ann2", "reviewer", "viewer")


@dataclass
class World:
    pid: int
    items: list[int]  # 8 items, in id order
    users: dict[str, int]
    headers: dict[str, dict[str, str]]

    def assign(self, client: TestClient, body: dict[str, Any], who: str = "manager") -> Any:
        return client.post(f"{API}/projects/{self.pid}/items/assign", json=body, headers=self.headers[who])

    def listed(self, client: TestClient, who: str, **query: Any) -> list[int]:
        return item_ids(client, self.headers[who], self.pid, **query)


@pytest.fixture
def world(client: TestClient, hub: Hub, tmp_path: Path) -> World:
    users: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    for name in (*ROLES, "owner", "outsider"):
        users[name], headers[name] = quick_user(hub, name)
    pid = create_project(client, headers["owner"], "assign-api")["id"]
    for role in ROLES:
        body = {"role": "annotator" if role.startswith("ann") else role}
        r = client.put(f"{API}/projects/{pid}/members/{users[role]}", json=body, headers=headers["owner"])
        assert r.status_code == 200, r.text
    import_coco(hub, pid, write_coco(tmp_path / "a.json", [(f"{n}.jpg", 64, 48, []) for n in range(8)]))
    items = item_ids(client, headers["owner"], pid)
    return World(pid, items, users, headers)


def test_a_manager_assigns_by_id_and_members_filter_by_assignee(client: TestClient, world: World) -> None:
    w = world
    r = w.assign(client, {"item_ids": w.items[:3], "user_ids": [w.users["ann1"]]})
    assert r.status_code == 200, r.text
    assert r.json() == {"items": 3, "changed": 3, "mode": "one", "unassigned": 0,
                        "assignees": [{"user_id": w.users["ann1"], "username": "ann1", "count": 3}]}  # fmt: skip
    assert w.listed(client, "ann1", assignee="me") == w.items[:3]
    assert w.listed(client, "ann2", assignee="me") == []
    assert w.listed(client, "viewer", assignee=str(w.users["ann1"])) == w.items[:3]
    assert w.listed(client, "viewer", assignee="none") == w.items[3:]
    page = client.get(f"{API}/projects/{w.pid}/items", headers=w.headers["viewer"]).json()["items"]
    assert (page[0]["assignee_id"], page[0]["assignee_username"]) == (w.users["ann1"], "ann1")
    assert (page[5]["assignee_id"], page[5]["assignee_username"]) == (None, None)
    one = client.get(f"{API}/projects/{w.pid}/items/{w.items[0]}", headers=w.headers["viewer"]).json()
    assert one["assignee_username"] == "ann1"
    for bad in ("bob", "-1", "me,none"):
        body = assert_problem(client.get(f"{API}/projects/{w.pid}/items", params={"assignee": bad},
                                         headers=w.headers["viewer"]), 422, field="assignee")  # fmt: skip
        assert "me, none or a user id" in body["detail"]


def test_split_the_unassigned_open_items_evenly_by_filter(client: TestClient, world: World) -> None:
    w = world
    assert w.assign(client, {"item_ids": w.items[:2], "user_ids": [w.users["ann1"]]}).status_code == 200
    body = {"filter": {"assignee": "none"}, "open_only": True, "mode": "even",
            "user_ids": [w.users["ann1"], w.users["ann2"]]}  # fmt: skip
    r = w.assign(client, body)
    assert r.status_code == 200, r.text
    counts = {a["username"]: a["count"] for a in r.json()["assignees"]}
    assert counts == {"ann1": 2, "ann2": 4} and r.json()["mode"] == "even"  # 2 + 2 and 0 + 4: level
    wl = client.get(f"{API}/projects/{w.pid}/workload", headers=w.headers["manager"])
    assert wl.status_code == 200, wl.text
    loads = {m["username"]: m["open"] for m in wl.json()["members"]}
    assert loads == {"ann1": 4, "ann2": 4, "manager": 0, "owner": 0, "reviewer": 0}
    assert wl.json()["unassigned_open"] == 0
    # Nothing is left to split: the same request says so, naming the filter.
    assert_problem(w.assign(client, body), 422, field="filter")


def test_unassign_and_the_refusals(client: TestClient, world: World) -> None:
    w = world
    w.assign(client, {"item_ids": w.items[:4], "user_ids": [w.users["ann1"]]})
    r = w.assign(client, {"item_ids": w.items[:2], "user_ids": []})
    assert (r.status_code, r.json()["mode"], r.json()["unassigned"]) == (200, "unassign", 2)
    assert w.listed(client, "ann1", assignee="me") == w.items[2:4]
    for uid in (w.users["viewer"], w.users["outsider"], 999_999):
        assert_problem(w.assign(client, {"item_ids": w.items[:1], "user_ids": [uid]}), 422, field="user_ids")
    two = {"item_ids": w.items[:1], "user_ids": [w.users["ann1"], w.users["ann2"]], "mode": "one"}
    assert "mode even" in assert_problem(w.assign(client, two), 422, field="user_ids")["detail"]
    both = {"item_ids": w.items[:1], "filter": {}, "user_ids": [w.users["ann1"]]}
    assert_problem(w.assign(client, both), 422, field="item_ids")
    assert_problem(w.assign(client, {"filter": {"statu": "new"}, "user_ids": []}), 422)
    assert_problem(w.assign(client, {"filter": {"assignee": "bob"}, "user_ids": []}), 422, field="assignee")


@pytest.mark.parametrize(("who", "status"), [("ann1", 403), ("reviewer", 403), ("viewer", 403), ("outsider", 404)])
def test_only_managers_assign_and_read_the_workload(client: TestClient, world: World, who: str, status: int) -> None:
    w = world
    r = w.assign(client, {"item_ids": w.items[:1], "user_ids": [w.users["ann1"]]}, who=who)
    body = assert_problem(r, status)
    assert "assign-api" not in body["detail"] or status == 403
    assert_problem(client.get(f"{API}/projects/{w.pid}/workload", headers=w.headers[who]), status)
    assert w.listed(client, "manager", assignee="none") == w.items


def test_the_audit_log_records_one_event_per_call(client: TestClient, world: World) -> None:
    w = world
    w.assign(client, {"item_ids": w.items, "user_ids": [w.users["ann1"], w.users["ann2"]], "mode": "even"})
    events = client.get(f"{API}/projects/{w.pid}/audit", params={"action": "item.assign"},
                        headers=w.headers["manager"]).json()["events"]  # fmt: skip
    assert len(events) == 1
    detail = events[0]["detail"]
    assert (detail["count"], detail["mode"], detail["item_ids"]) == (8, "even", w.items)
    assert [(a["name"], a["count"]) for a in detail["assignees"]] == [("ann1", 4), ("ann2", 4)]


def test_removing_a_member_gives_back_their_open_items(client: TestClient, world: World) -> None:
    w = world
    w.assign(client, {"item_ids": w.items[:3], "user_ids": [w.users["ann1"]]})
    url = f"{API}/projects/{w.pid}/items/{w.items[0]}/annotations"
    box = {"kind": "box", "label": "cat", "geometry": {"bbox": [1, 1, 20, 20]}}
    r = client.put(url, json={"version": 1, "annotations": [box], "status": "labeled"}, headers=w.headers["ann1"])
    assert r.status_code == 200, r.text
    r = client.delete(f"{API}/projects/{w.pid}/members/{w.users['ann1']}", headers=w.headers["manager"])
    assert r.status_code == 204, r.text
    assert w.listed(client, "manager", assignee=str(w.users["ann1"])) == w.items[:1]  # labelled: kept
    assert w.listed(client, "manager", assignee="none") == w.items[1:]


def test_the_queue_hands_out_my_items_first_and_never_another_s(client: TestClient, world: World) -> None:
    w = world
    w.assign(client, {"item_ids": w.items[5:7], "user_ids": [w.users["ann1"]]})
    w.assign(client, {"item_ids": w.items[:3], "user_ids": [w.users["ann2"]]})
    q = client.get(f"{API}/projects/{w.pid}/queue", params={"limit": 50}, headers=w.headers["ann1"]).json()
    got = [e["id"] for e in q["items"]]
    assert set(got[:2]) == set(w.items[5:7]) and all(e["reason"].startswith("assigned to you") for e in q["items"][:2])
    assert set(got[2:]) == {w.items[3], w.items[4], w.items[7]}
    nxt = client.get(f"{API}/projects/{w.pid}/queue/next", headers=w.headers["ann1"]).json()["item_id"]
    assert nxt == got[0]
    # The reviewer, who may label too, gets the unassigned items only.
    q = client.get(f"{API}/projects/{w.pid}/queue", params={"limit": 50}, headers=w.headers["reviewer"]).json()
    assert {e["id"] for e in q["items"]} == {w.items[3], w.items[4], w.items[7]}
