"""Retraining by itself: a save that brings the new human labels to ``retrain_every`` queues one training job."""

from __future__ import annotations

from sqlalchemy import select, update
from tests.model_servers import text_project

from labelhub.domain.enums import AnnotationKind
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.annotations import AnnotationInput, replace_annotations
from labelhub.services.assist_settings import get_assist, update_assist
from labelhub.storage.models import Job, ModelVersion

SYSTEM = Actor.system()


def _label(hub: Hub, pid: int, item_id: int, label: str = "pos") -> None:
    with hub.db.session(write=True) as s:
        replace_annotations(s, SYSTEM, pid, item_id, expected_version=1,
                            annotations=[AnnotationInput(kind=AnnotationKind.CLASS, label=label)])  # fmt: skip


def _train_jobs(hub: Hub) -> list[Job]:
    with hub.db.session() as s:
        return list(s.scalars(select(Job).where(Job.kind == "train_model").order_by(Job.id)))


def test_a_training_job_is_queued_every_n_labels(hub: Hub) -> None:
    pid, ids = text_project(hub, "retrain", [f"text {i}" for i in range(6)])
    with hub.db.session(write=True) as s:
        s.add(ModelVersion(project_id=pid, name="text-classifier", kind="text_classifier", version=1, status="ready",
                           active=True, mode="swa", seed=3, params={"epochs": 7}))  # fmt: skip
        update_assist(s, SYSTEM, pid, {"retrain_every": 2}, version=1)
    _label(hub, pid, ids[0])
    assert _train_jobs(hub) == []
    _label(hub, pid, ids[1])
    (job,) = _train_jobs(hub)
    assert job.status == "queued" and job.project_id == pid
    assert {k: job.params[k] for k in ("kind", "name", "mode", "seed", "epochs", "labels")} == {
        "kind": "text_classifier",
        "name": "text-classifier",
        "mode": "swa",
        "seed": 3,
        "epochs": 7,
        "labels": 2,
    }
    _label(hub, pid, ids[2])
    _label(hub, pid, ids[3])
    assert len(_train_jobs(hub)) == 1  # one is queued already: no second
    with hub.db.session(write=True) as s:  # it failed: the next is due retrain_every labels after its count
        s.execute(update(Job).where(Job.id == job.id).values(status="failed"))
    _label(hub, pid, ids[4])
    jobs = _train_jobs(hub)
    assert len(jobs) == 2 and jobs[1].params["labels"] == 5
    with hub.db.session() as s:
        assert get_assist(s, SYSTEM, pid).labels_since_train == 5  # no training has finished yet


def test_nothing_is_queued_when_retraining_is_off_or_there_is_no_model(hub: Hub) -> None:
    pid, ids = text_project(hub, "off", ["a", "b", "c"])
    with hub.db.session(write=True) as s:
        update_assist(s, SYSTEM, pid, {"retrain_every": 1}, version=1)
    _label(hub, pid, ids[0])  # no model
    with hub.db.session(write=True) as s:
        s.add(ModelVersion(project_id=pid, name="t", kind="text_classifier", version=1, status="ready", active=True))
        update_assist(s, SYSTEM, pid, {"retrain_every": None}, version=2)
    _label(hub, pid, ids[1])
    assert _train_jobs(hub) == []


def test_a_federated_active_version_is_not_retrained_centrally(hub: Hub) -> None:
    """A coordinator's federated model (params carry ``federated``) is never replaced by a central retraining;
    an ordinary active version of another project still is."""
    fed, fed_ids = text_project(hub, "federated", ["a", "b", "c"])
    plain, plain_ids = text_project(hub, "plain", ["a", "b", "c"])
    with hub.db.session(write=True) as s:
        s.add(ModelVersion(project_id=fed, name="federated-text-classifier", kind="text_classifier", version=1,
                           status="ready", active=True, mode="sgd",
                           params={"federated": {"rounds": 2, "sites": ["https://a/api/v1/projects/1"]}}))  # fmt: skip
        s.add(ModelVersion(project_id=plain, name="t", kind="text_classifier", version=1, status="ready",
                           active=True, mode="sgd"))  # fmt: skip
        update_assist(s, SYSTEM, fed, {"retrain_every": 1}, version=1)
        update_assist(s, SYSTEM, plain, {"retrain_every": 1}, version=1)
    for item_id in fed_ids:
        _label(hub, fed, item_id)
    assert _train_jobs(hub) == []
    _label(hub, plain, plain_ids[0])
    assert [j.project_id for j in _train_jobs(hub)] == [plain]
