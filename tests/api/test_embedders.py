"""Training a built-in encoder over HTTP: who may, and where its translation pairs may come from."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user
from tests.builders import new_project

from labelhub.hub import Hub


def test_train_encoder_route_queues_a_job_for_managers_only(client: TestClient, hub: Hub) -> None:
    pid = new_project(hub, "encoders")
    _, admin = quick_user(hub, "boss", admin=True)
    viewer_id, viewer = quick_user(hub, "viewer")
    assert client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"}, headers=admin).is_success
    _, outsider = quick_user(hub, "outsider")
    url = f"{API}/projects/{pid}/embedders/train"

    assert_problem(client.post(url, json={"kind": "ssl"}, headers=viewer), 403)
    assert_problem(client.post(url, json={"kind": "ssl"}, headers=outsider), 404)
    assert_problem(client.post(url, json={"kind": "bert"}, headers=admin), 422)
    # Translation pairs are read from the server's disk: only inside LABELHUB_IMPORT_ROOTS.
    assert_problem(client.post(url, json={"kind": "dual", "bitext": "/etc/passwd"}, headers=admin), 403, field="bitext")

    r = client.post(url, json={"kind": "ssl", "epochs": 2, "seed": 7}, headers=admin)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "train_embedder" and job["status"] == "queued"
    assert job["params"]["kind"] == "ssl" and job["params"]["epochs"] == 2 and job["params"]["seed"] == 7
