"""The alert routes: rules (managers), alerts and their acknowledgement (reviewers), the bell's summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, write_coco

from labelhub.hub import Hub
from labelhub.services.alert_evaluator import AlertEvaluator

ROLES = ("viewer", "annotator", "reviewer", "manager")
Headers = dict[str, str]


def _team(
    client: TestClient, hub: Hub, admin: Headers, tmp: Path, name: str = "alerts"
) -> tuple[int, dict[str, Headers]]:
    pid = create_project(client, admin, name)["id"]
    heads: dict[str, Headers] = {}
    for role in ROLES:
        uid, heads[role] = quick_user(hub, f"{role}-{name}")
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
    heads["outsider"] = quick_user(hub, f"outsider-{name}")[1]
    return pid, heads


def _rejected_twice(client: TestClient, hub: Hub, pid: int, heads: dict[str, Headers], tmp: Path) -> int:
    """Import an item, reject it twice as the reviewer; its id."""
    import_coco(hub, pid, write_coco(tmp / f"a{pid}.json", [("a.jpg", 64, 48, [("cat", (1, 1, 10, 10))])]))
    item = client.get(f"{API}/projects/{pid}/items", headers=heads["reviewer"]).json()["items"][0]["id"]
    for _ in range(2):
        r = client.post(f"{API}/projects/{pid}/items/{item}/review", json={"approve": False, "comment": "no"},
                        headers=heads["reviewer"])  # fmt: skip
        assert r.status_code == 200, r.text
    return int(item)


def test_a_manager_adds_changes_and_removes_rules_with_defaults_filled_in(
    client: TestClient, hub: Hub, admin_headers: Headers, tmp_path: Path
) -> None:
    pid, heads = _team(client, hub, admin_headers, tmp_path)
    mgr, url = heads["manager"], f"{API}/projects/{pid}/alert-rules"
    r = client.post(url, json={"kind": "rejection_rate", "params": {"threshold": 0.5}}, headers=mgr)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["params"] == {"window": 20, "threshold": 0.5, "min_reviews": 10}
    assert (rule["active"], rule["version"]) == (True, 1)
    r = client.patch(f"{url}/{rule['id']}", json={"version": 1, "params": {"window": 30}, "active": False}, headers=mgr)
    assert r.status_code == 200, r.text
    assert r.json()["params"] == {"window": 30, "threshold": 0.5, "min_reviews": 10}
    assert (r.json()["active"], r.json()["version"]) == (False, 2)
    stale = client.patch(f"{url}/{rule['id']}", json={"version": 1, "active": True}, headers=mgr)
    assert assert_problem(stale, 409, field="version")["current_version"] == 2
    assert [x["id"] for x in client.get(url, headers=mgr).json()] == [rule["id"]]
    assert client.delete(f"{url}/{rule['id']}", headers=mgr).status_code == 204
    assert client.get(url, headers=mgr).json() == []
    assert_problem(client.delete(f"{url}/{rule['id']}", headers=mgr), 404, field="rule_id")
    audit = client.get(f"{API}/projects/{pid}/audit", params={"action": "alert_rule."}, headers=mgr).json()["events"]
    assert [e["action"] for e in audit] == ["alert_rule.delete", "alert_rule.update", "alert_rule.create"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "rejection_rate", "params": {"threshold": 1.5}}, "params.threshold"),
        ({"kind": "rejection_rate", "params": {"threshold": "high"}}, "params.threshold"),
        ({"kind": "rejection_rate", "params": {"window": 5}}, "params.min_reviews"),
        ({"kind": "rejected_again", "params": {"count": 2.5}}, "params.count"),
        ({"kind": "review_backlog", "params": {"limit": 5}}, "params.limit"),
        ({"kind": "job_failed", "params": {"count": True}}, "params.count"),
        ({"kind": "cpu_load"}, "kind"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(
    client: TestClient, hub: Hub, admin_headers: Headers, body: dict[str, object], field: str
) -> None:
    pid = create_project(client, admin_headers, "bad-rules")["id"]
    r = client.post(f"{API}/projects/{pid}/alert-rules", json=body, headers=admin_headers)
    assert_problem(r, 422, field=field)


def test_rules_are_for_managers_alerts_for_reviewers_and_outsiders_see_nothing(
    client: TestClient, hub: Hub, admin_headers: Headers, tmp_path: Path
) -> None:
    pid, heads = _team(client, hub, admin_headers, tmp_path)
    rules, alerts_url = f"{API}/projects/{pid}/alert-rules", f"{API}/projects/{pid}/alerts"
    for role in ("viewer", "annotator", "reviewer"):
        assert_problem(client.get(rules, headers=heads[role]), 403, field="role")
        assert_problem(client.post(rules, json={"kind": "job_failed"}, headers=heads[role]), 403, field="role")
    for role in ("viewer", "annotator"):
        assert_problem(client.get(alerts_url, headers=heads[role]), 403, field="role")
        assert_problem(client.post(f"{alerts_url}/ack-all", headers=heads[role]), 403, field="role")
    for url in (rules, alerts_url):
        body = assert_problem(client.get(url, headers=heads["outsider"]), 404)
        assert "alerts" not in body["detail"]
    assert client.get(alerts_url, headers=heads["reviewer"]).status_code == 200
    kinds = client.get(f"{API}/alert-rule-kinds", headers=heads["viewer"]).json()
    assert [k["kind"] for k in kinds] == ["rejection_rate", "rejected_again", "job_failed", "review_backlog",
                                          "model_disagreement"]  # fmt: skip
    assert [(p["name"], p["type"], p["default"]) for p in kinds[0]["params"]] == [
        ("window", "int", 20), ("threshold", "float", 0.3), ("min_reviews", "int", 10)]  # fmt: skip


def test_a_reviewer_reads_acknowledges_and_sees_the_bell_count(
    client: TestClient, hub: Hub, admin_headers: Headers, tmp_path: Path
) -> None:
    pid, heads = _team(client, hub, admin_headers, tmp_path)
    other, other_heads = _team(client, hub, admin_headers, tmp_path, "elsewhere")
    evaluator = AlertEvaluator()
    evaluator.step(hub, "test")  # the cursor starts now
    for p in (pid, other):
        r = client.post(f"{API}/projects/{p}/alert-rules", json={"kind": "rejected_again"}, headers=admin_headers)
        assert r.status_code == 201, r.text
    item = _rejected_twice(client, hub, pid, heads, tmp_path)
    _rejected_twice(client, hub, other, other_heads, tmp_path)
    while evaluator.step(hub, "test"):
        pass
    rev, url = heads["reviewer"], f"{API}/projects/{pid}/alerts"

    page = client.get(url, params={"open": True}, headers=rev).json()
    [alert] = page["alerts"]
    assert page["open_count"] == 1 and page["next_after"] is None
    assert (alert["kind"], alert["severity"], alert["object_type"], alert["object_id"]) == (
        "rejected_again", "warning", "item", str(item))  # fmt: skip
    assert alert["title"] == "a.jpg was rejected 2 times" and alert["acknowledged_at"] is None

    summary = client.get(f"{API}/alerts/summary", headers=rev).json()
    assert summary == {"total": 1, "projects": [{"project_id": pid, "project_name": "alerts", "open": 1}]}
    assert client.get(f"{API}/alerts/summary", headers=heads["annotator"]).json() == {"total": 0, "projects": []}
    assert client.get(f"{API}/alerts/summary", headers=admin_headers).json()["total"] == 2

    r = client.post(f"{url}/{alert['id']}/ack", headers=rev)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by_username"] == "reviewer-alerts" and r.json()["acknowledged_at"]
    assert client.post(f"{url}/{alert['id']}/ack", headers=rev).json()["acknowledged_at"] == r.json()[
        "acknowledged_at"]  # fmt: skip
    assert client.get(url, params={"open": True}, headers=rev).json() == {"alerts": [], "next_after": None,
                                                                         "open_count": 0}  # fmt: skip
    assert len(client.get(url, headers=rev).json()["alerts"]) == 1
    assert client.get(f"{API}/alerts/summary", headers=rev).json() == {
        "total": 0, "projects": [{"project_id": pid, "project_name": "alerts", "open": 0}]}  # fmt: skip
    assert_problem(client.post(f"{API}/projects/{other}/alerts/{alert['id']}/ack", headers=admin_headers), 404,
                   field="alert_id")  # fmt: skip

    r = client.post(f"{API}/projects/{other}/alerts/ack-all", headers=other_heads["manager"])
    assert r.json() == {"acknowledged": 1}
    assert client.post(f"{API}/projects/{other}/alerts/ack-all", headers=other_heads["manager"]).json() == {
        "acknowledged": 0}  # fmt: skip
    acks = client.get(f"{API}/projects/{pid}/audit", params={"action": "alert.ack"}, headers=admin_headers).json()
    assert [(e["action"], e["username"]) for e in acks["events"]] == [("alert.ack", "reviewer-alerts")]


def test_alerts_page_newest_first(client: TestClient, hub: Hub, admin_headers: Headers, tmp_path: Path) -> None:
    pid, heads = _team(client, hub, admin_headers, tmp_path)
    evaluator = AlertEvaluator()
    evaluator.step(hub, "test")
    client.post(f"{API}/projects/{pid}/alert-rules", json={"kind": "rejected_again"}, headers=admin_headers)
    import_coco(hub, pid, write_coco(tmp_path / "three.json", [(f"{n}.jpg", 64, 48, []) for n in "abc"]))
    items = [i["id"] for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]]
    for item in items:
        for _ in range(2):
            client.post(f"{API}/projects/{pid}/items/{item}/review", json={"approve": False, "comment": "no"},
                        headers=heads["reviewer"])  # fmt: skip
    while evaluator.step(hub, "test"):
        pass
    url = f"{API}/projects/{pid}/alerts"
    first = client.get(url, params={"limit": 2}, headers=heads["reviewer"]).json()
    rest = client.get(url, params={"limit": 2, "after": first["next_after"]}, headers=heads["reviewer"]).json()
    got = [a["object_id"] for a in first["alerts"] + rest["alerts"]]
    assert got == [str(i) for i in reversed(items)] and rest["next_after"] is None and first["open_count"] == 3
    assert_problem(client.get(url, params={"limit": 0}, headers=heads["reviewer"]), 422)
