"""The assist routes: settings (roles, 409 on a stale version), registering a Label Studio ML backend,
pre-labelling through the API, and the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.model_servers import serve, text_project
from tests.onnx_models import build_all

from labelhub.hub import Hub


def ls_backend(path: str, body: Any) -> tuple[int, Any, float]:
    """A Label Studio ML backend: ``pos`` for texts with "good", else ``neg``, at the score in the text."""
    results = []
    for task in body["tasks"]:
        text = task["data"]["text"]
        label = "pos" if "good" in text else "neg"
        results.append({"result": [{"type": "choices", "value": {"choices": [label]}}],
                        "score": float(text.rsplit("p=", 1)[1])})  # fmt: skip
    return 200, {"results": results}, 0.0


def _members(client: TestClient, hub: Hub, pid: int, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    out = {}
    for role in ("annotator", "manager"):
        uid, headers = quick_user(hub, role)
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
        out[role] = headers
    return out


def test_settings_roles_and_stale_versions(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid, _ = text_project(hub, "settings", ["good p=0.99"])
    users = _members(client, hub, pid, admin_headers)
    r = client.get(f"{API}/projects/{pid}/assist", headers=users["annotator"])
    assert r.status_code == 200, r.text
    assert r.json() == {"settings": {"lower": 0.5, "upper": 0.95, "retrain_every": 50, "strategy": "hybrid",
                                     "model_id": None, "keep_versions": 5}, "labels_since_train": 0, "version": 1,
                        "suggested_bands": None}  # fmt: skip
    body = {"settings": {"lower": 0.3, "upper": 0.9, "retrain_every": 10, "strategy": "entropy"}, "version": 1}
    assert_problem(client.put(f"{API}/projects/{pid}/assist", json=body, headers=users["annotator"]), 403)
    r = client.put(f"{API}/projects/{pid}/assist", json=body, headers=users["manager"])
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["settings"]["strategy"] == "entropy"
    assert_problem(client.put(f"{API}/projects/{pid}/assist", json=body, headers=users["manager"]), 409,
                   field="version")  # fmt: skip
    bad = {"settings": {"lower": 0.9, "upper": 0.5}, "version": 2}
    assert_problem(client.put(f"{API}/projects/{pid}/assist", json=bad, headers=users["manager"]), 422,
                   field="settings.lower")  # fmt: skip
    unknown = {"settings": {"strategy": "psychic"}, "version": 2}
    assert_problem(client.put(f"{API}/projects/{pid}/assist", json=unknown, headers=users["manager"]), 422,
                   field="settings.strategy")  # fmt: skip


def test_prelabel_with_a_label_studio_backend(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid, ids = text_project(hub, "ls", ["good p=0.99", "bad p=0.7", "meh p=0.1"])
    users = _members(client, hub, pid, admin_headers)
    with serve(ls_backend) as srv:
        reg = {"kind": "label_studio_ml", "name": "ls", "url": srv.url, "timeout": 5, "retries": 0}
        assert_problem(client.post(f"{API}/projects/{pid}/models/register", json=reg, headers=users["annotator"]), 403)
        r = client.post(f"{API}/projects/{pid}/models/register", json=reg, headers=users["manager"])
        assert r.status_code == 201, r.text
        model = r.json()
        assert (model["kind"], model["version"], model["status"], model["active"]) == ("label_studio_ml", 1, "ready",
                                                                                        True)  # fmt: skip
        assert_problem(client.post(f"{API}/projects/{pid}/prelabel", json={}, headers=users["annotator"]), 403)
        r = client.post(f"{API}/projects/{pid}/prelabel", json={"batch_size": 2}, headers=users["manager"])
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        run_jobs(hub)
    job = client.get(f"{API}/jobs/{job_id}", headers=users["manager"]).json()
    assert job["status"] == "succeeded", job
    assert {k: job["result"][k] for k in ("items", "accepted", "proposed", "dropped")} == {
        "items": 3,
        "accepted": 1,
        "proposed": 1,
        "dropped": 1,
    }
    r = client.get(f"{API}/projects/{pid}/items/{ids[1]}/annotations", headers=users["annotator"])
    (ann,) = r.json()["annotations"]
    assert (ann["label"], ann["state"], ann["source"], ann["model_version"], ann["score"]) == (
        "neg",
        "proposed",
        "model",
        "ls@1",
        0.7,
    )
    # The queue: the accepted item is labelled and gone; the model gives no probabilities, so the order is random.
    r = client.get(f"{API}/projects/{pid}/queue", params={"strategy": "entropy"}, headers=users["annotator"])
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["model_version"] == "ls@1" and sorted(e["id"] for e in q["items"]) == ids[1:]
    texts = {
        it["id"]: it["text"]
        for it in client.get(f"{API}/projects/{pid}/items", headers=users["annotator"]).json()["items"]
    }
    assert all(e["text"] == texts[e["id"]][:160] and e["text"] for e in q["items"])  # each entry shows its text
    r = client.get(
        f"{API}/projects/{pid}/queue/next", params={"after": q["items"][0]["id"]}, headers=users["annotator"]
    )
    assert r.json() == {"item_id": q["items"][1]["id"]}
    assert_problem(client.get(f"{API}/projects/{pid}/queue", params={"strategy": "psychic"},
                              headers=users["annotator"]), 422, field="strategy")  # fmt: skip


def test_registering_needs_a_reachable_kind_of_url(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid, _ = text_project(hub, "urls", ["x p=0.5"])
    r = client.post(f"{API}/projects/{pid}/models/register", json={"kind": "http", "name": "x", "url": "ftp://h"},
                    headers=admin_headers)  # fmt: skip
    assert_problem(r, 422, field="url")


def test_registering_a_detector_names_the_field_at_fault_and_stores_nothing(
    client: TestClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """QA image report, defects 2, 3 and 13: each refusal is a problem naming the request's field."""
    models = build_all(tmp_path / "onnx")  # tmp_path is an import root of the test server
    body = {"name": "street", "item_kind": "image", "labels": [{"name": "person"}, {"name": "car"}]}
    r = client.post(f"{API}/projects", json=body, headers=admin_headers)
    assert r.status_code == 201, r.text
    base = f"{API}/projects/{r.json()['id']}/models"

    def register(**over: Any) -> Any:
        reg = {"kind": "onnx_detector", "name": "det", "path": str(models["toy"]), "labels": {"0": "person"}, **over}
        return client.post(f"{base}/register", json=reg, headers=admin_headers)

    p = assert_problem(register(path=str(models["classifier"])), 422, field="path")
    assert "output (1, 10) is not a detector's" in p["detail"] and "classifier" in p["detail"]
    p = assert_problem(register(path=str(models["gray"])), 422, field="path")
    assert "model input is 1x1x64x64; a detector needs 1x3xSxS" in p["detail"]
    p = assert_problem(register(input_size=320), 422, field="input_size")
    assert "leave input_size out or set it to 64" in p["detail"]
    p = assert_problem(register(labels={"0": "unicorn"}), 422, field="labels")
    assert "'unicorn' is not a class of project street (classes: person, car)" in p["detail"]
    p = assert_problem(register(labels={"99": "person"}), 422, field="labels")
    assert "model class 99 does not exist" in p["detail"] and "0 person, 1 car, 2 thing" in p["detail"]
    p = assert_problem(register(path="/etc/passwd"), 403, field="path")
    assert "not inside an allowed import folder" in p["detail"]
    assert client.get(base, headers=admin_headers).json() == []

    r = register()  # no input_size: the model's fixed 64, not the form's default 640
    assert r.status_code == 201, r.text
    assert (r.json()["params"]["input_size"], r.json()["active"]) == (64, True)
