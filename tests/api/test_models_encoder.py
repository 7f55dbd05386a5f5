"""A text model trained over HTTP with a pretrained sentence encoder from a folder on the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.assist._encoders import random_word_encoder
from tests.assist._rows import banking_rows
from tests.services._banking_project import banking_project

from labelhub.hub import Hub
from labelhub.services.train_spec import TrainSpec

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_train_a_text_model_with_a_sentence_encoder(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=20)
    folder = random_word_encoder(tmp_path / "encoder", (text for text, _ in banking_rows(3, 20)))
    _, admin = quick_user(hub, "boss", admin=True)
    base = f"{API}/projects/{pid}/models"

    missing = {"kind": "text_classifier", "text_encoder": str(tmp_path / "nowhere")}
    body = assert_problem(client.post(f"{base}/train", json=missing, headers=admin), 422, field="text_encoder")
    assert "nowhere" in body["detail"] and "no such folder" in body["detail"]
    empty = tmp_path / "empty"
    empty.mkdir()
    body = assert_problem(client.post(f"{base}/train", json={"kind": "text_classifier", "text_encoder": str(empty)},
                                      headers=admin), 422, field="text_encoder")  # fmt: skip
    assert "neither modules.json" in body["detail"]
    assert client.get(f"{API}/jobs", params={"project_id": pid}, headers=admin).json() == []
    broken = tmp_path / "broken"  # looks like a model, cannot load: the job finds out, and says why
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bert"')
    r = client.post(f"{base}/train", json={"kind": "text_classifier", "text_encoder": str(broken)}, headers=admin)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    failed = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin).json()
    assert failed["status"] == "failed", failed
    assert failed["error"]["field"] == "text_encoder" and "could not be loaded" in failed["error"]["detail"]
    (gone,) = client.get(base, headers=admin).json()
    assert (gone["status"], gone["active"]) == ("failed", False)

    spec = {"kind": "text_classifier", "mode": "sgd", "epochs": 2, "text_encoder": str(folder), "prelabel": True}
    r = client.post(f"{base}/train", json=spec, headers=admin)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin).json()
    assert job["status"] == "succeeded", job
    mv, _ = client.get(base, headers=admin).json()
    assert (mv["status"], mv["active"], mv["version"]) == ("ready", True, 2)
    assert mv["params"]["text_encoder"] == str(folder)
    assert mv["metrics"]["backbone"] == "sentence encoder encoder (16-d)"
    assert mv["metrics"]["accuracy"] is not None
    pre = client.get(f"{API}/jobs/{job['result']['prelabel_job']}", headers=admin).json()
    assert pre["status"] == "succeeded", pre  # the saved model found its encoder again in another load
    # A retraining rebuilds the spec from the version's params: it keeps the encoder.
    again = TrainSpec.from_params({**mv["params"], "kind": mv["kind"], "name": mv["name"], "mode": mv["mode"]})
    assert again.text_encoder == str(folder)
