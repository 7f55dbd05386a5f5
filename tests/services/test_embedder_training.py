"""The train_embedder job: a project's captioned images train the dual encoder, its images the ssl one; then found."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests.builders import new_project
from tests.conftest import data_path

from labelhub.domain.enums import JobStatus, Role
from labelhub.errors import PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.services.access import Actor
from labelhub.services.embedder_training import queue_embedder_training, trained_embedder, trained_record
from labelhub.services.imports import import_source
from labelhub.services.projects import set_member
from labelhub.services.users import create_user
from labelhub.storage.models import Job, ProjectAssist

SYSTEM = Actor.system()
COUNT = 8


def captioned_project(hub: Hub, folder: Path) -> int:
    """Import the first COCO-mini val images and then their captions (as a user would: images, then captions)."""
    root = data_path("captions_coco_mini_en_plus_xtd10")
    data = json.loads((root / "annotations" / "captions_val2017.json").read_text())
    images = sorted(data["images"], key=lambda im: int(im["id"]))[:COUNT]
    keep = {int(im["id"]) for im in images}
    (folder / "images").mkdir(parents=True)
    for im in images:
        shutil.copy(root / "images" / "val2017" / im["file_name"], folder / "images" / im["file_name"])
    subset = {**data, "images": images, "annotations": [a for a in data["annotations"] if int(a["image_id"]) in keep]}
    (folder / "captions_val2017.json").write_text(json.dumps(subset))
    pid = new_project(hub, "captioned")
    import_source(hub, SYSTEM, pid, folder / "images", fmt="image_folder")
    import_source(hub, SYSTEM, pid, folder / "captions_val2017.json", fmt="coco_captions")
    return pid


def run_job(hub: Hub, job_id: int) -> Job:
    assert LocalExecutor(hub).run_once()
    with hub.db.session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        s.expunge(job)
        return job


def test_dual_job_trains_and_the_embedder_is_found(hub: Hub, tmp_path: Path) -> None:
    pid = captioned_project(hub, tmp_path / "data")
    assert trained_embedder(hub, pid, "dual") is None
    bitext = tmp_path / "pairs.tsv"
    bitext.write_text("ein Hund im Schnee\ta dog in the snow\tde\nzwei Katzen\ttwo cats\tde\n", encoding="utf-8")
    with hub.db.session(write=True) as s:
        job_id = queue_embedder_training(s, SYSTEM, pid, "dual", epochs=3, seed=1, bitext=str(bitext)).id
    job = run_job(hub, job_id)
    assert job.status == JobStatus.SUCCEEDED.value, job.error
    result = job.result or {}
    assert (result["kind"], result["images"], result["captions"], result["translation_pairs"]) == ("dual", 8, 40, 2)
    assert result["path"] == f"embedders/{pid}/{result['version']}"
    assert (hub.settings.home / result["path"] / "weights.pt").is_file()
    with hub.db.session() as s:
        record = trained_record(s, pid, "dual")
    assert record is not None and record["version"] == result["version"] and record["job_id"] == job_id

    embedder = trained_embedder(hub, pid, "dual")
    assert embedder is not None and (embedder.name, embedder.version) == ("dual", result["version"])
    vectors = embedder.embed_texts(["a cat on a sofa", "eine Katze auf dem Sofa"])
    assert vectors.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The record lost (settings replaced wholesale): the newest trained folder is still found.
    with hub.db.session(write=True) as s:
        row = s.get(ProjectAssist, pid)
        assert row is not None
        row.settings = {"lower": 0.5}
    again = trained_embedder(hub, pid, "dual")
    assert again is not None and again.version == result["version"]
    # The weights' folder gone: nothing to load, and the caller falls back.
    shutil.rmtree(hub.settings.home / result["path"])
    assert trained_embedder(hub, pid, "dual") is None


def test_ssl_job_trains_on_the_project_images(hub: Hub, tmp_path: Path) -> None:
    pid = captioned_project(hub, tmp_path / "data")
    with hub.db.session(write=True) as s:
        job_id = queue_embedder_training(s, SYSTEM, pid, "ssl", epochs=2).id
    job = run_job(hub, job_id)
    assert job.status == JobStatus.SUCCEEDED.value, job.error
    assert (job.result or {})["images"] == COUNT
    embedder = trained_embedder(hub, pid, "ssl")
    assert embedder is not None and embedder.modalities == frozenset({"image"})
    assert trained_embedder(hub, pid, "dual") is None  # each kind has its own record


def test_training_needs_a_manager_and_good_parameters(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "empty")
    with hub.db.session(write=True) as s:
        user = create_user(s, SYSTEM, "annie", "a-long-password-1")
        set_member(s, SYSTEM, pid, user.id, Role.ANNOTATOR)
        annie = Actor(user.id, user.username, False)
    with hub.db.session(write=True) as s, pytest.raises(PermissionDenied):
        queue_embedder_training(s, annie, pid, "dual")
    for kwargs, field in (({"kind": "clip"}, "kind"), ({"kind": "dual", "epochs": 0}, "epochs"),
                          ({"kind": "ssl", "bitext": str(tmp_path)}, "bitext"),
                          ({"kind": "dual", "bitext": str(tmp_path / "missing.tsv")}, "bitext")):  # fmt: skip
        with hub.db.session(write=True) as s, pytest.raises(ValidationError) as info:
            queue_embedder_training(s, SYSTEM, pid, **kwargs)
        assert info.value.context["field"] == field
    # A project without captioned images: the job fails and says what to import.
    with hub.db.session(write=True) as s:
        job_id = queue_embedder_training(s, SYSTEM, pid, "dual", epochs=1).id
    job = run_job(hub, job_id)
    assert job.status == JobStatus.FAILED.value
    assert "import captions" in str(job.error)
