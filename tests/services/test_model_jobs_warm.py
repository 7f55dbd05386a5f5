"""Where the API and the jobs share a process, a training ranks the labelling queue before it finishes, so the first
person to open the queue is not the one who waits for the new model to score every item."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import run_jobs
from tests.assist._rows import banking_rows
from tests.services._banking_project import banking_project

from labelhub.api.app import create_app
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services import models as svc
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.queue import queue
from labelhub.storage.models import Job

SYSTEM = Actor.system()
QUICK = svc.TrainSpec(kind="text_classifier", mode="sgd", epochs=2, features=2**10, min_steps=60)

pytestmark = [pytest.mark.usefixtures("one_torch_thread"), pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def _project(hub: Hub, folder: Path) -> int:
    """Three labelled intents, and 24 texts of the same intents without a label for the queue."""
    pid = banking_project(hub, folder, n_classes=3, per_class=12)
    path = folder / "unlabelled.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["text"], *([t] for t, _ in banking_rows(3, 8, "test.csv"))])
    import_source(hub, SYSTEM, pid, path, fmt="text", options=ImportOptions(media="none"))
    return pid


def _train(hub: Hub, pid: int) -> dict[str, object]:
    with hub.db.session(write=True) as s:
        job_id = svc.queue_training(s, SYSTEM, pid, QUICK).id
    run_jobs(hub)
    with hub.db.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.status == "succeeded", job and job.error
        return dict(job.result or {})


def test_a_training_beside_the_api_leaves_the_queue_ranked(hub: Hub, tmp_path: Path) -> None:
    pid = _project(hub, tmp_path)
    with TestClient(create_app(hub)):  # the API with its job worker, as `labelhub serve` runs it
        assert hub.queue.warm_after_training is True
    result = _train(hub, pid)
    assert isinstance(result["queue_ranked_s"], float), result
    [kept] = hub.queue.ranks.values()
    predicted = hub.queue.predictions.values()
    assert len(predicted) == 1 and predicted[0], "the model's scores of the pool are kept"
    with hub.db.session() as s:
        view = queue(s, hub, SYSTEM, pid, limit=5)
    # The queue read served the kept ranking: nothing ranked again, the order is the kept one.
    assert hub.queue.ranks.values() == [kept]
    assert [e.id for e in view.items] == [i for i, _, _ in kept][:5]
    assert view.model_version == f"text-classifier@{result['version']}" and len(view.items) == 5


def test_a_job_worker_of_its_own_does_not_rank_what_it_cannot_serve(hub: Hub, tmp_path: Path) -> None:
    pid = _project(hub, tmp_path)
    with TestClient(create_app(hub, run_worker=False)):  # server processes of `serve --workers N`
        assert hub.queue.warm_after_training is False
    result = _train(hub, pid)  # as `labelhub worker` runs it
    assert "queue_ranked_s" not in result and hub.queue.ranks.values() == []
