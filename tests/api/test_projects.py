"""Projects: label schemas, names, optimistic versions, owners, statistics, and the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import (
    API,
    assert_problem,
    create_project,
    import_coco,
    item_ids,
    run_jobs,
    user_id,
    write_coco,
)
from tests.conftest import make_user

from labelhub.domain.schema import PALETTE
from labelhub.hub import Hub
from labelhub.services.projects import project_folders
from labelhub.storage.models import AuditEvent

SCHEMA: dict[str, Any] = {
    "labels": [{"name": "cat", "color": "#FF8800", "hotkey": "c"}, {"name": "dog"}, {"name": "bird", "hotkey": "b"}],
    "kinds": ["box", "polygon", "class"],
    "attributes": [{"name": "occluded", "type": "bool"}, {"name": "pose", "type": "select",
                                                            "options": ["sitting", "standing"]}],
}  # fmt: skip


def _audit(hub: Hub) -> list[tuple[str, int | None, int | None, str | None]]:
    with hub.db.session() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.user_id, AuditEvent.project_id, AuditEvent.object_id).order_by(
                AuditEvent.id
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_label_schema_round_trips(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = create_project(client, admin_headers, "pets", description="family pets", **SCHEMA)
    assert created["role"] == "owner" and created["version"] == 1 and created["description"] == "family pets"
    schema = created["label_schema"]
    assert schema["classes"] == [
        {"name": "cat", "color": "#FF8800", "hotkey": "c"},
        {"name": "dog", "color": PALETTE[1], "hotkey": "1"},  # defaults: palette colour, first unused digit
        {"name": "bird", "color": PALETTE[2], "hotkey": "b"},
    ]
    assert schema["kinds"] == ["box", "polygon", "class"]
    assert schema["attributes"] == [
        {"name": "occluded", "type": "bool", "options": [], "labels": [], "default": None},
        {"name": "pose", "type": "select", "options": ["sitting", "standing"], "labels": [], "default": None},
    ]
    fetched = client.get(f"{API}/projects/{created['id']}", headers=admin_headers).json()
    assert fetched["label_schema"] == schema and fetched["item_kind"] == "image"
    listed = client.get(f"{API}/projects", headers=admin_headers).json()
    assert [(p["name"], p["label_schema"]) for p in listed] == [("pets", schema)]

    # Changing only the classes keeps the kinds and attributes.
    r = client.patch(f"{API}/projects/{created['id']}", headers=admin_headers,
                     json={"version": 1, "labels": [{"name": "cat", "color": "#000000"}]})  # fmt: skip
    assert r.status_code == 200, r.text
    patched = r.json()["label_schema"]
    assert patched["classes"] == [{"name": "cat", "color": "#000000", "hotkey": "1"}]
    assert patched["kinds"] == schema["kinds"] and patched["attributes"] == schema["attributes"]
    assert r.json()["version"] == 2


def test_a_duplicate_project_name_is_a_conflict(client: TestClient, admin_headers: dict[str, str]) -> None:
    first = create_project(client, admin_headers, "pets")
    other = create_project(client, admin_headers, "birds")
    r = client.post(f"{API}/projects", json={"name": "pets"}, headers=admin_headers)
    assert "pets" in assert_problem(r, 409, field="name")["detail"]
    r = client.patch(f"{API}/projects/{other['id']}", json={"version": 1, "name": " pets "}, headers=admin_headers)
    assert_problem(r, 409, field="name")
    names = {p["id"]: p["name"] for p in client.get(f"{API}/projects", headers=admin_headers).json()}
    assert names == {first["id"]: "pets", other["id"]: "birds"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"labels": [{"name": "cat"}, {"name": "cat"}]}, "labels"),
        ({"labels": [{"name": "cat", "color": "red"}]}, "labels[0].color"),
        ({"labels": [{"name": "cat"}, {"name": "dog", "color": "#12345"}]}, "labels[1].color"),
        ({"labels": [{"name": "cat", "hotkey": "x"}, {"name": "dog", "hotkey": "x"}]}, "labels.hotkey"),
        ({"labels": [{"name": "  "}]}, "labels[0].name"),
        ({"labels": [{"name": "cat", "hotkey": "ctrl"}]}, "labels[0].hotkey"),
        ({"kinds": ["box", "cuboid"]}, "kinds[1]"),
        ({"attributes": [{"name": "a", "type": "colour"}]}, "attributes[0].type"),
        ({"name": ""}, "name"),
        ({"item_kind": "audio"}, "item_kind"),
    ],
    ids=["duplicate-class", "named-colour", "short-colour", "duplicate-hotkey", "blank-class", "long-hotkey",
         "unknown-kind", "unknown-attribute-type", "empty-name", "unknown-item-kind"],
)  # fmt: skip
def test_an_invalid_schema_is_a_422_naming_the_field(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    r = client.post(f"{API}/projects", json={"name": "bad", **body}, headers=admin_headers)
    assert_problem(r, 422, field=field)
    assert client.get(f"{API}/projects", headers=admin_headers).json() == []


def test_a_stale_version_is_a_409_with_the_current_version(client: TestClient, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "pets")["id"]
    r = client.patch(f"{API}/projects/{pid}", json={"version": 1, "description": "first"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = client.patch(f"{API}/projects/{pid}", json={"version": 1, "description": "second"}, headers=admin_headers)
    assert assert_problem(r, 409, field="version")["current_version"] == 2
    assert client.get(f"{API}/projects/{pid}", headers=admin_headers).json()["description"] == "first"
    assert_problem(client.patch(f"{API}/projects/{pid}", json={"description": "x"}, headers=admin_headers), 422,
                   field="version")  # fmt: skip


def test_the_last_owner_cannot_leave(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    olivia = make_user(hub, "olivia")
    oid = user_id(client, olivia)
    pid = create_project(client, olivia, "pets")["id"]
    me = f"{API}/projects/{pid}/members/{oid}"
    for headers in (olivia, admin_headers):
        assert_problem(client.put(me, json={"role": "manager"}, headers=headers), 409, field="role")
        assert_problem(client.delete(me, headers=headers), 409, field="role")
    members = client.get(f"{API}/projects/{pid}/members", headers=olivia).json()
    assert members == [{"user_id": oid, "username": "olivia", "role": "owner"}]

    bob = user_id(client, make_user(hub, "bob"))
    assert client.put(f"{API}/projects/{pid}/members/{bob}", json={"role": "owner"}, headers=olivia).status_code == 200
    r = client.put(me, json={"role": "manager"}, headers=olivia)
    assert r.status_code == 200 and r.json()["role"] == "manager"
    assert_problem(client.delete(f"{API}/projects/{pid}/members/{bob}", headers=admin_headers), 409, field="role")


def test_stats_count_what_was_imported(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "pets")["id"]
    empty = client.get(f"{API}/projects/{pid}/stats", headers=admin_headers).json()
    assert empty["items"] == {"total": 0, "by_status": {}} and empty["annotations"]["total"] == 0
    coco = write_coco(tmp_path / "pets.json", [
        ("a.jpg", 100, 80, [("cat", (1, 1, 10, 10)), ("cat", (20, 20, 10, 10)), ("dog", (5, 5, 50, 50))]),
        ("b.jpg", 100, 80, [("dog", (0, 0, 99, 79))]),
        ("c.jpg", 100, 80, []),
    ])  # fmt: skip
    report = import_coco(hub, pid, coco)
    assert (report.items_added, report.annotations_added) == (3, 4)

    stats = client.get(f"{API}/projects/{pid}/stats", headers=admin_headers).json()
    assert stats["project"] == "pets"
    assert stats["items"] == {"total": 3, "by_status": {"labeled": 2, "new": 1}}
    assert stats["annotations"] == {"total": 4, "by_kind": {"box": 4}, "by_label": {"cat": 2, "dog": 2},
                                    "by_source": {"human": 4}, "by_state": {"accepted": 4}}  # fmt: skip

    unlabeled = item_ids(client, admin_headers, pid, unlabeled=True)[0]
    proposal = {"kind": "box", "label": "dog", "geometry": {"bbox": [1, 1, 9, 9]}, "source": "model",
                "model_version": "m1", "score": 0.5}  # fmt: skip
    r = client.put(f"{API}/projects/{pid}/items/{unlabeled}/annotations",
                   json={"version": 1, "annotations": [proposal]}, headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    stats = client.get(f"{API}/projects/{pid}/stats", headers=admin_headers).json()
    assert stats["items"]["by_status"] == {"labeled": 2, "new": 1}  # a proposal labels nothing: still to label
    assert stats["annotations"]["by_source"] == {"human": 4, "model": 1}
    assert stats["annotations"]["by_state"] == {"accepted": 4, "proposed": 1}
    assert stats["annotations"]["by_label"] == {"dog": 3, "cat": 2}
    # Per label, what the project page shows: labels apart from proposals still to review.
    assert stats["labels"] == {"cat": {"accepted": 2, "proposed": 0, "rejected": 0, "tracks": 0},
                               "dog": {"accepted": 2, "proposed": 1, "rejected": 0, "tracks": 0}}  # fmt: skip


def test_every_write_is_in_the_audit_log(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    alice_h, bob_h = make_user(hub, "alice"), make_user(hub, "bob")
    alice, bob = user_id(client, alice_h), user_id(client, bob_h)
    pid = create_project(client, alice_h, "pets")["id"]
    assert client.put(f"{API}/projects/{pid}/members/{bob}", json={"role": "reviewer"}, headers=alice_h).is_success
    coco = write_coco(tmp_path / "pets.json", [("a.jpg", 100, 80, [("cat", (1, 1, 10, 10))])])
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": str(coco), "media": "none"}, headers=alice_h)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    run_jobs(hub)
    iid = item_ids(client, bob_h, pid)[0]
    body = {"version": 1, "annotations": [{"kind": "box", "label": "cat", "geometry": {"bbox": [2, 2, 9, 9]}}]}
    assert client.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body, headers=bob_h).is_success
    assert client.post(f"{API}/projects/{pid}/items/{iid}/review", json={"approve": False, "comment": "redo"},
                       headers=bob_h).is_success  # fmt: skip
    version = client.get(f"{API}/projects/{pid}", headers=alice_h).json()["version"]
    r = client.patch(f"{API}/projects/{pid}", json={"version": version, "name": "pets2"}, headers=alice_h)
    assert r.status_code == 200, r.text
    assert client.delete(f"{API}/projects/{pid}/members/{bob}", headers=alice_h).status_code == 204

    events = _audit(hub)
    mine = [e for e in events if e[0] not in ("user.create", "token.create")]
    assert mine == [
        ("project.create", alice, pid, str(pid)),
        ("member.set", alice, pid, str(bob)),
        ("job.create", alice, pid, str(job_id)),
        ("project.import", alice, pid, str(pid)),  # the job acts as the user who queued it
        ("job.finished", alice, pid, str(job_id)),
        ("annotations.replace", bob, pid, str(iid)),
        ("item.reject", bob, pid, str(iid)),
        ("project.update", alice, pid, str(pid)),
        ("member.remove", alice, pid, str(bob)),
    ]
    # A write that fails leaves no audit event behind.
    assert client.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body, headers=alice_h).status_code == 409
    assert len(_audit(hub)) == len(events)

    assert client.delete(f"{API}/projects/{pid}", headers=alice_h).status_code == 204
    after = _audit(hub)
    # The project's history outlives it: its earlier events are still there, and the deletion is recorded.
    assert after[: len(events)] == events
    assert after[-1] == ("project.delete", alice, pid, str(pid))


def test_deleting_a_project_removes_its_indexes_maps_and_models(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    """SQLite may give the next project the same id: it must not inherit the old project's files."""
    r = client.post(f"{API}/projects", json={"name": "gone", "item_kind": "text"}, headers=admin_headers)
    pid = r.json()["id"]
    folders = project_folders(hub.settings.home, pid)
    for folder in folders:
        folder.mkdir(parents=True)
        (folder / "state.json").write_text("{}")
    assert client.delete(f"{API}/projects/{pid}", headers=admin_headers).status_code == 204
    assert [f for f in folders if f.exists()] == []


def test_a_deactivated_user_cannot_be_added_as_a_member(client: TestClient, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "team")["id"]
    r = client.post(f"{API}/users", json={"username": "gone", "password": "gone-password"}, headers=admin_headers)
    gone = r.json()["id"]
    assert client.patch(f"{API}/users/{gone}", json={"is_active": False}, headers=admin_headers).status_code == 200
    r = client.put(f"{API}/projects/{pid}/members/{gone}", json={"role": "viewer"}, headers=admin_headers)
    assert "gone is deactivated" in assert_problem(r, 422, field="user_id")["detail"]
    assert [m["username"] for m in client.get(f"{API}/projects/{pid}/members", headers=admin_headers).json()] == [
        "admin"
    ]


def test_a_class_annotations_still_carry_cannot_be_removed(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """QA ops finding 8: removing "kite" was accepted, then every save of an item holding a kite box was a 422."""
    pid = create_project(client, admin_headers, "pets", labels=[{"name": "cat"}, {"name": "dog"}, {"name": "bird"}])[
        "id"
    ]
    images = [
        ("a.jpg", 64, 48, [("cat", (1, 1, 5, 5)), ("dog", (2, 2, 5, 5))]),
        ("b.jpg", 64, 48, [("dog", (1, 1, 4, 4))]),
    ]
    import_coco(hub, pid, write_coco(tmp_path / "coco.json", images, labels=("cat", "dog")))

    version = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()["version"]
    r = client.patch(f"{API}/projects/{pid}", json={"version": version, "labels": [{"name": "cat"}]},
                     headers=admin_headers)  # fmt: skip
    detail = assert_problem(r, 422, field="labels")["detail"]
    assert "'dog' by 2 annotations on 2 items" in detail and "bird" not in detail, detail
    project = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()
    assert [c["name"] for c in project["label_schema"]["classes"]] == ["cat", "dog", "bird"]

    # An unused class goes.
    r = client.patch(f"{API}/projects/{pid}", json={"version": project["version"],
                     "labels": [{"name": "cat"}, {"name": "dog"}]}, headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert [c["name"] for c in r.json()["label_schema"]["classes"]] == ["cat", "dog"]
