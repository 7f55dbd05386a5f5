"""Model-version retention over HTTP: the keep_versions setting, the prune route, and what a pruned version refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.services._banking_project import banking_project

from labelhub.hub import Hub
from labelhub.services.model_retention import folder_bytes
from labelhub.services.models import models_dir

TRAIN = {"kind": "text_classifier", "mode": "sgd", "epochs": 2}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _members(client: TestClient, hub: Hub, pid: int) -> dict[str, dict[str, str]]:
    _, admin = quick_user(hub, "boss", admin=True)
    out: dict[str, dict[str, str]] = {}
    for role in ("annotator", "manager"):
        uid, out[role] = quick_user(hub, role)
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
    return out


def _train(client: TestClient, hub: Hub, pid: int, headers: dict[str, str]) -> None:
    r = client.post(f"{API}/projects/{pid}/models/train", json=TRAIN, headers=headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)


def test_keep_versions_is_a_setting_and_a_bad_one_names_the_field(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=2, per_class=2)
    users = _members(client, hub, pid)
    url = f"{API}/projects/{pid}/assist"
    shown = client.get(url, headers=users["annotator"]).json()
    assert shown["settings"]["keep_versions"] == 5
    for bad in (0, "x", 1001):
        body = {"settings": {**shown["settings"], "keep_versions": bad}, "version": shown["version"]}
        problem = assert_problem(client.put(url, json=body, headers=users["manager"]), 422,
                                 field="settings.keep_versions")  # fmt: skip
        assert "keep_versions" in problem["detail"]
    body = {"settings": {**shown["settings"], "keep_versions": 3}, "version": shown["version"]}
    assert_problem(client.put(url, json=body, headers=users["annotator"]), 403)
    r = client.put(url, json=body, headers=users["manager"])
    assert r.status_code == 200, r.text
    assert client.get(url, headers=users["annotator"]).json()["settings"]["keep_versions"] == 3


def test_prune_route_and_what_a_pruned_version_refuses(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    users = _members(client, hub, pid)
    manager, annotator = users["manager"], users["annotator"]
    base = f"{API}/projects/{pid}/models"
    _train(client, hub, pid, manager)
    _train(client, hub, pid, manager)
    newest, oldest = client.get(base, headers=annotator).json()
    assert [newest["status"], oldest["status"]] == ["ready", "ready"]  # the default keeps 5
    old_folder = models_dir(hub) / oldest["artifacts"]["folder"]
    size = folder_bytes(old_folder)
    assert size > 0

    assist = client.get(f"{API}/projects/{pid}/assist", headers=manager).json()
    body = {"settings": {**assist["settings"], "keep_versions": 1}, "version": assist["version"]}
    assert client.put(f"{API}/projects/{pid}/assist", json=body, headers=manager).status_code == 200
    assert old_folder.is_dir()  # saving the setting removes nothing by itself

    assert_problem(client.post(f"{base}/prune", headers=annotator), 403)
    assert old_folder.is_dir()
    r = client.post(f"{base}/prune", headers=manager)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "keep_versions": 1,
        "pruned_ids": [oldest["id"]],
        "bytes_freed": size,
        "pruned": [{"id": oldest["id"], "name": "text-classifier", "version": 1, "bytes": size}],
    }
    assert not old_folder.exists()
    shown = client.get(f"{base}/{oldest['id']}", headers=annotator).json()
    assert (shown["status"], shown["artifacts"], shown["active"]) == ("pruned", {}, False)
    assert shown["metrics"]["accuracy"] == oldest["metrics"]["accuracy"] and shown["data"] == oldest["data"]
    assert client.post(f"{base}/prune", headers=manager).json()["pruned_ids"] == []

    for action in ("activate", "evaluate"):
        problem = assert_problem(client.post(f"{base}/{oldest['id']}/{action}", headers=manager), 409, field="status")
        assert "files were removed by the project's retention setting" in problem["detail"], problem
        assert "train the model again" in problem["detail"]
    assert client.delete(f"{base}/{oldest['id']}", headers=manager).status_code == 204

    # The next training applies the setting by itself: the version it replaces goes.
    _train(client, hub, pid, manager)
    latest, previous = client.get(base, headers=annotator).json()
    assert (latest["status"], latest["active"], previous["id"], previous["status"]) == (
        "ready", True, newest["id"], "pruned")  # fmt: skip
