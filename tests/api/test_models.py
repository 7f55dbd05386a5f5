"""The model routes over HTTP: train and evaluate as jobs, the registry, the report, and who may do what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.services._banking_project import banking_project

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_train_evaluate_and_manage_model_versions(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=25)
    _, admin = quick_user(hub, "boss", admin=True)
    ids: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    for name in ("viewer", "manager", "outsider"):
        ids[name], headers[name] = quick_user(hub, name)
    for role in ("viewer", "manager"):
        r = client.put(f"{API}/projects/{pid}/members/{ids[role]}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
    base = f"{API}/projects/{pid}/models"
    manager, viewer, outsider = headers["manager"], headers["viewer"], headers["outsider"]

    assert client.get(base, headers=viewer).json() == []
    assert_problem(client.post(f"{base}/train", json={"kind": "text_classifier"}, headers=viewer), 403)
    assert_problem(client.post(f"{base}/train", json={"kind": "text_classifier"}, headers=outsider), 404)
    assert_problem(client.get(base, headers=outsider), 404)
    assert_problem(client.post(f"{base}/train", json={"kind": "image_classifier"}, headers=manager), 422, field="kind")
    assert_problem(client.post(f"{base}/train", json={"kind": "text_classifier", "mode": "adam"}, headers=manager), 422)

    r = client.post(f"{base}/train", json={"kind": "text_classifier", "mode": "sgd", "seed": 1}, headers=manager)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "train_model" and job["status"] == "queued" and job["params"]["seed"] == 1
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{job['id']}", headers=manager).json()
    assert job["status"] == "succeeded", job
    (mv,) = client.get(base, headers=viewer).json()
    assert job["result"]["model_id"] == mv["id"] and mv["job_id"] == job["id"]
    assert (mv["status"], mv["active"], mv["kind"], mv["mode"], mv["seed"], mv["version"]) == (
        "ready", True, "text_classifier", "sgd", 1, 1)  # fmt: skip
    assert mv["data"]["count"] == 75 and len(mv["data"]["hash"]) == 64
    assert mv["metrics"]["accuracy"] > 0.6 and {"nll", "ece", "temperature", "per_class"} <= set(mv["metrics"])
    assert set(mv["artifacts"]) >= {"state", "onnx"}
    one = f"{base}/{mv['id']}"
    assert client.get(one, headers=viewer).json()["id"] == mv["id"]
    assert_problem(client.get(f"{base}/999999", headers=viewer), 404, field="model_id")

    assert_problem(client.get(f"{one}/report", headers=viewer), 404)
    refused = assert_problem(client.post(f"{one}/evaluate", headers=viewer), 403)
    # The refusal names what was refused, not the role's generic action.
    assert refused["detail"].startswith("evaluating a model version needs the manager role"), refused["detail"]
    r = client.post(f"{one}/evaluate", headers=manager)
    assert r.status_code == 202 and r.json()["kind"] == "evaluate_model", r.text
    run_jobs(hub)
    report = client.get(f"{one}/report", headers=viewer).json()
    assert report["kind"] == "text_classifier" and report["n"] == 75 and report["on_training_data"] is True
    assert [c["label"] for c in report["per_class"]] == report["classes"] and len(report["confusion"]) == 3
    assert report["accepted_unchanged"] == {
        "proposals": 0, "reviewed": 0, "accepted_unchanged": 0, "auto_accepted": 0, "share": None
    }  # fmt: skip
    page = client.get(f"{one}/report.html", headers=viewer)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count("data:image/png;base64,") >= 2 and report["classes"][0] in page.text
    # Saved, it is named after the project and the version, not "report.html".
    assert page.headers["content-disposition"] == 'inline; filename="banking-text-classifier@1-report.html"'

    r = client.post(f"{base}/train", json={"kind": "text_classifier", "mode": "sgd", "name": "second"}, headers=manager)
    assert r.status_code == 202
    run_jobs(hub)
    newest, oldest = client.get(base, headers=viewer).json()
    assert (newest["name"], newest["version"], newest["active"], oldest["active"]) == ("second", 1, False, True)
    assert_problem(client.post(f"{base}/{newest['id']}/activate", headers=viewer), 403)
    r = client.post(f"{base}/{newest['id']}/activate", headers=manager)
    assert r.status_code == 200 and r.json()["active"] is True
    assert [m["active"] for m in client.get(base, headers=viewer).json()] == [True, False]
    assert_problem(client.delete(one, headers=viewer), 403)
    assert client.delete(one, headers=manager).status_code == 204
    assert [m["id"] for m in client.get(base, headers=viewer).json()] == [newest["id"]]
    assert_problem(client.get(one, headers=viewer), 404)


def test_training_can_queue_prelabelling_with_the_new_version(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    unlabelled = tmp_path / "new.jsonl"
    unlabelled.write_text("".join(json.dumps({"id": f"new-{i}", "text": f"where is my card number {i}"}) + "\n"
                                  for i in range(6)))  # fmt: skip
    import_source(hub, Actor.system(), pid, unlabelled, fmt="text")
    _, admin = quick_user(hub, "boss", admin=True)
    body = {"kind": "text_classifier", "mode": "sgd", "epochs": 2, "prelabel": True}
    r = client.post(f"{API}/projects/{pid}/models/train", json=body, headers=admin)
    assert r.status_code == 202, r.text
    assert r.json()["params"]["prelabel"] is True
    run_jobs(hub)
    train = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin).json()
    assert train["status"] == "succeeded", train
    pre = client.get(f"{API}/jobs/{train['result']['prelabel_job']}", headers=admin).json()
    assert pre["kind"] == "prelabel" and pre["status"] == "succeeded", pre
    assert pre["params"]["model_id"] == train["result"]["model_id"] and pre["result"]["items"] == 6
    # The version keeps the training spec only: a retraining of this line does not pre-label by itself.
    (mv,) = client.get(f"{API}/projects/{pid}/models", headers=admin).json()
    assert "prelabel" not in mv["params"]
