"""Review: who labelled an item, rejecting it back to them with a comment, and the user directory."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import AuditEvent

BOX = {"kind": "box", "label": "cat", "geometry": {"bbox": [10, 10, 50, 60]}}


def _team(
    client: TestClient, hub: Hub, admin: dict[str, str], tmp: Path
) -> tuple[int, list[int], dict[str, tuple[int, dict[str, str]]]]:
    """A project of three unlabelled images with an annotator, a reviewer and a manager."""
    pid = create_project(client, admin, "review", labels=[{"name": "cat"}])["id"]
    import_coco(hub, pid, write_coco(tmp / "c.json", [(f"{n}.jpg", 100, 80, []) for n in "abc"], labels=["cat"]))
    team = {role: quick_user(hub, f"{role}-{pid}") for role in ("annotator", "reviewer", "manager")}
    for role, (uid, _) in team.items():
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
    return pid, item_ids(client, admin, pid), team


def _save(
    client: TestClient, headers: dict[str, str], pid: int, iid: int, anns: list[dict[str, object]]
) -> dict[str, object]:
    url = f"{API}/projects/{pid}/items/{iid}"
    version = client.get(f"{url}/annotations", headers=headers).json()["version"]
    r = client.put(f"{url}/annotations", json={"version": version, "annotations": anns}, headers=headers)
    assert r.status_code == 200, r.text
    item: dict[str, object] = client.get(url, headers=headers).json()
    return item


def test_a_rejected_item_goes_back_to_its_annotator_with_the_comment(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids, team = _team(client, hub, admin_headers, tmp_path)
    (ann_id, ann), (rev_id, rev) = team["annotator"], team["reviewer"]
    item = _save(client, ann, pid, ids[0], [BOX])
    assert (item["status"], item["annotator_id"], item["review_comment"]) == ("labeled", ann_id, None)
    assert item_ids(client, rev, pid, status="labeled") == [ids[0]]  # the review queue

    url = f"{API}/projects/{pid}/items/{ids[0]}/review"
    assert_problem(client.post(url, json={"approve": False, "comment": "  "}, headers=rev), 422, field="comment")
    assert_problem(client.post(url, json={"approve": False, "comment": "fix"}, headers=ann), 403)
    r = client.post(url, json={"approve": False, "comment": " The box cuts off the tail "}, headers=rev)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["status"], out["reviewer_id"], out["review_comment"]) == (
        "rejected",
        rev_id,
        "The box cuts off the tail",
    )
    assert out["reviewed_at"] is not None and out["annotator_id"] == ann_id

    # The annotator finds it under "returned to me"; nobody else's items are there.
    assert item_ids(client, ann, pid, status="rejected", annotator="me") == [ids[0]]
    assert item_ids(client, rev, pid, status="rejected", annotator="me") == []
    assert item_ids(client, rev, pid, annotator=str(ann_id)) == [ids[0]]
    assert_problem(client.get(f"{API}/projects/{pid}/items", params={"annotator": "bob"}, headers=ann), 422)

    # A reviewer's own fix does not take the item from its annotator; the annotator's save puts it back in the queue.
    wider = {**BOX, "geometry": {"bbox": [5, 10, 60, 60]}}
    assert _save(client, rev, pid, ids[0], [wider])["annotator_id"] == ann_id
    again = _save(client, ann, pid, ids[0], [wider])
    assert (again["status"], again["annotator_id"]) == ("labeled", ann_id)
    assert item_ids(client, rev, pid, status="labeled") == [ids[0]]
    r = client.post(url, json={"approve": True}, headers=rev)
    assert (r.json()["status"], r.json()["review_comment"]) == ("reviewed", None)


def test_a_reviewer_labelling_an_unclaimed_item_becomes_its_annotator(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids, team = _team(client, hub, admin_headers, tmp_path)
    rev_id, rev = team["reviewer"]
    assert _save(client, rev, pid, ids[1], [BOX])["annotator_id"] == rev_id
    assert item_ids(client, rev, pid, annotator="me") == [ids[1]]


def test_the_user_directory_is_for_admins_and_managers(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, _, team = _team(client, hub, admin_headers, tmp_path)
    r = client.get(f"{API}/users/directory", headers=team["manager"][1])
    assert r.status_code == 200, r.text
    names = [u["username"] for u in r.json()]
    assert f"annotator-{pid}" in names and names == sorted(names) and set(r.json()[0]) == {"id", "username"}
    assert client.get(f"{API}/users/directory", headers=admin_headers).status_code == 200
    assert_problem(client.get(f"{API}/users/directory", headers=team["annotator"][1]), 403)
    assert_problem(client.get(f"{API}/users", headers=team["manager"][1]), 403)


def test_sending_back_what_was_read_leaves_a_reviewed_item_alone(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids, team = _team(client, hub, admin_headers, tmp_path)
    ann, rev = team["annotator"][1], team["reviewer"][1]
    _save(client, ann, pid, ids[0], [BOX])
    assert client.post(f"{API}/projects/{pid}/items/{ids[0]}/review", json={"approve": True}, headers=rev).is_success
    url = f"{API}/projects/{pid}/items/{ids[0]}"
    read = client.get(f"{url}/annotations", headers=ann).json()

    r = client.put(f"{url}/annotations", json=read, headers=ann)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == read["version"]
    assert client.get(url, headers=ann).json()["status"] == "reviewed"
    assert item_ids(client, rev, pid, status="labeled") == []  # not back in the review queue

    # A real change does move it back, and so does asking for a status.
    moved = [{**read["annotations"][0], "geometry": {"bbox": [12, 10, 50, 60]}}]
    r = client.put(f"{url}/annotations", json={"version": read["version"], "annotations": moved}, headers=ann)
    assert r.json()["version"] == read["version"] + 1
    assert client.get(url, headers=ann).json()["status"] == "labeled"


def test_approving_or_rejecting_through_a_save_is_for_reviewers(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """A save's ``status`` could skip the reviewer: an annotator may not set reviewed or rejected, nor store a
    label as rejected; a reviewer may, and the audit log records the status change."""
    pid, ids, team = _team(client, hub, admin_headers, tmp_path)
    ann, rev = team["annotator"][1], team["reviewer"][1]
    url = f"{API}/projects/{pid}/items/{ids[0]}"
    version = client.get(f"{url}/annotations", headers=ann).json()["version"]
    for status in ("reviewed", "rejected"):
        body = {"version": version, "annotations": [BOX], "status": status}
        problem = assert_problem(client.put(f"{url}/annotations", json=body, headers=ann), 403, field="status")
        assert f"status to {status} is review work" in problem["detail"], problem
    rejected = {**BOX, "state": "rejected"}
    r = client.put(f"{url}/annotations", json={"version": version, "annotations": [rejected]}, headers=ann)
    assert "marking an annotation rejected needs the reviewer role" in assert_problem(r, 403)["detail"]
    assert client.get(url, headers=ann).json()["status"] == "new"  # nothing was written
    assert client.get(f"{url}/annotations", headers=ann).json()["annotations"] == []

    r = client.put(f"{url}/annotations", json={"version": version, "annotations": [BOX], "status": "labeled"},
                   headers=ann)  # fmt: skip
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    r = client.put(f"{url}/annotations", json={"version": version, "annotations": r.json()["annotations"],
                                               "status": "reviewed"}, headers=rev)  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.get(url, headers=rev).json()["status"] == "reviewed"
    with hub.db.session() as s:
        details = s.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "annotations.replace", AuditEvent.object_id == str(ids[0]))
            .order_by(AuditEvent.id)
        ).all()  # fmt: skip
    assert [d.get("status") for d in details] == [["new", "labeled"], ["labeled", "reviewed"]]


def test_a_decision_names_the_version_the_reviewer_saw_and_a_newer_save_is_a_conflict(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """The annotator saves again while the reviewer looks at the old version: approving it would approve work
    nobody saw. With ``version`` the decision is a 409 naming the current one, and nothing changes."""
    pid, ids, team = _team(client, hub, admin_headers, tmp_path)
    ann, rev = team["annotator"][1], team["reviewer"][1]
    seen = _save(client, ann, pid, ids[0], [BOX])["version"]
    _save(client, ann, pid, ids[0], [BOX, {**BOX, "geometry": {"bbox": [60, 10, 90, 60]}}])
    url = f"{API}/projects/{pid}/items/{ids[0]}"
    r = client.post(f"{url}/review", json={"approve": True, "version": seen}, headers=rev)
    problem = assert_problem(r, 409, field="version")
    assert problem["current_version"] == seen + 1 and "look at it again" in problem["detail"], problem
    assert client.get(url, headers=rev).json()["status"] == "labeled"
    r = client.post(f"{url}/review", json={"approve": True, "version": seen + 1}, headers=rev)
    assert r.status_code == 200 and r.json()["status"] == "reviewed", r.text
