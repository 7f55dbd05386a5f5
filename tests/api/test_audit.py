"""The audit log routes: a project's log for its managers, the whole log for administrators, strict queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub

BOX = {"kind": "box", "label": "cat", "geometry": {"bbox": [10, 10, 50, 60]}}
Team = dict[str, tuple[int, dict[str, str]]]


def _team(client: TestClient, hub: Hub, tmp: Path) -> tuple[int, list[int], Team]:
    """A project of two images with a member of each role that matters here, an outsider and an admin."""
    team = {name: quick_user(hub, name, admin=name == "admin") for name in
            ("admin", "annotator", "reviewer", "manager", "outsider")}  # fmt: skip
    admin = team["admin"][1]
    pid = create_project(client, admin, "audited", labels=[{"name": "cat"}])["id"]
    import_coco(hub, pid, write_coco(tmp / "c.json", [("a.jpg", 100, 80, []), ("b.jpg", 100, 80, [])], ["cat"]))
    for role in ("annotator", "reviewer", "manager"):
        r = client.put(f"{API}/projects/{pid}/members/{team[role][0]}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
    return pid, item_ids(client, admin, pid), team


def _audit(client: TestClient, headers: dict[str, str], path: str, **query: Any) -> dict[str, Any]:
    r = client.get(f"{API}{path}", params=query, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_manager_sees_who_saved_and_who_approved(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid, (item, _), team = _team(client, hub, tmp_path)
    url = f"{API}/projects/{pid}/items/{item}"
    r = client.put(f"{url}/annotations", json={"version": 1, "annotations": [BOX]}, headers=team["annotator"][1])
    assert r.status_code == 200, r.text
    r = client.post(f"{url}/review", json={"approve": True}, headers=team["reviewer"][1])
    assert r.status_code == 200, r.text

    page = _audit(client, team["manager"][1], f"/projects/{pid}/audit")
    approve, save = page["events"][:2]
    assert (approve["action"], approve["username"], approve["object_type"], approve["object_id"]) == (
        "item.approve", "reviewer", "item", str(item))  # fmt: skip
    assert (save["action"], save["username"], save["user_id"]) == ("annotations.replace", "annotator",
                                                                   team["annotator"][0])  # fmt: skip
    assert save["detail"]["added"] == 1 and save["detail"]["deleted"] == 0
    assert save["project_id"] == pid and approve["id"] > save["id"]
    assert page["next_after"] is None
    actions = [e["action"] for e in page["events"]]
    assert actions[-1] == "project.create" and "project.import" in actions and actions.count("member.set") == 3

    # Filters: the reviewer's events, an action prefix, one item.
    reviewer = _audit(client, team["manager"][1], f"/projects/{pid}/audit", user=team["reviewer"][0])
    assert [e["action"] for e in reviewer["events"]] == ["item.approve"]
    members = _audit(client, team["manager"][1], f"/projects/{pid}/audit", action="member.")
    assert [e["detail"]["username"] for e in members["events"]] == ["manager", "reviewer", "annotator"]
    one = _audit(client, team["manager"][1], f"/projects/{pid}/audit", object_type="item", object_id=str(item))
    assert [e["action"] for e in one["events"]] == ["item.approve", "annotations.replace"]


def test_pages_follow_next_after(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid, _, team = _team(client, hub, tmp_path)
    headers = team["manager"][1]
    everything = [e["id"] for e in _audit(client, headers, f"/projects/{pid}/audit")["events"]]
    first = _audit(client, headers, f"/projects/{pid}/audit", limit=2)
    assert [e["id"] for e in first["events"]] == everything[:2] and first["next_after"] == everything[1]
    rest = _audit(client, headers, f"/projects/{pid}/audit", after=first["next_after"], limit=500)
    assert [e["id"] for e in rest["events"]] == everything[2:] and rest["next_after"] is None


def test_who_may_read_a_project_s_log(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid, _, team = _team(client, hub, tmp_path)
    path = f"{API}/projects/{pid}/audit"
    refused = assert_problem(client.get(path, headers=team["reviewer"][1]), 403, field="role")
    assert refused["detail"] == "reading the audit log needs the manager role in project 'audited'; you are reviewer"
    hidden = assert_problem(client.get(path, headers=team["outsider"][1]), 404)
    assert "audited" not in hidden["detail"]
    assert assert_problem(client.get(f"{API}/projects/999999/audit", headers=team["outsider"][1]), 404)["detail"] == (
        "project 999999 not found"
    )
    assert client.get(path, headers=team["admin"][1]).status_code == 200
    assert_problem(client.get(path), 401)


def test_the_whole_log_is_for_admins_and_holds_tokens_and_users(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid, _, team = _team(client, hub, tmp_path)
    admin = team["admin"][1]
    r = client.post(f"{API}/users", json={"username": "newbie", "password": "long-password"}, headers=admin)
    assert r.status_code == 201, r.text
    page = _audit(client, admin, "/audit", limit=500)
    created = page["events"][0]
    assert (created["action"], created["username"], created["project_id"]) == ("user.create", "admin", None)
    assert created["detail"] == {"actor": "admin", "username": "newbie", "admin": False}
    assert {e["project_id"] for e in page["events"]} == {None, pid}
    assert "token.create" in [e["action"] for e in page["events"]]
    only = _audit(client, admin, "/audit", project_id=pid, action="project.")
    assert [e["action"] for e in only["events"]] == ["project.import", "project.create"]
    for who in ("manager", "annotator", "outsider"):
        body = assert_problem(client.get(f"{API}/audit", headers=team[who][1]), 403, field="role")
        assert body["detail"] == "this needs an administrator"


def test_bad_query_parameters_are_422(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid, _, team = _team(client, hub, tmp_path)
    headers = team["manager"][1]
    path = f"{API}/projects/{pid}/audit"
    assert_problem(client.get(path, params={"since": "yesterday"}, headers=headers), 422, field="query.since")
    assert_problem(client.get(path, params={"limit": 501}, headers=headers), 422, field="query.limit")
    assert_problem(client.get(path, params={"user": "annotator"}, headers=headers), 422, field="query.user")
    unknown = assert_problem(client.get(path, params={"actions": "item."}, headers=headers), 422, field="actions")
    assert "did you mean 'action'?" in unknown["detail"]
    # An ISO time with or without a zone is fine.
    for since in ("2020-01-01T00:00:00Z", "2020-01-01T00:00:00", "2020-01-01T02:00:00+02:00"):
        assert _audit(client, headers, f"/projects/{pid}/audit", since=since)["events"]
    assert _audit(client, headers, f"/projects/{pid}/audit", until="2020-01-01T00:00:00Z")["events"] == []
