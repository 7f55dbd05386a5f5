"""Model-version retention on a real database: old versions' files go, their rows and metrics stay."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.services._banking_project import banking_project

from labelhub.errors import ConflictError, ValidationError
from labelhub.hub import Hub
from labelhub.services import jobs
from labelhub.services import models as svc
from labelhub.services.access import Actor
from labelhub.services.assist_settings import get_assist, update_assist
from labelhub.services.model_eval import evaluate_version
from labelhub.services.model_jobs import train_version
from labelhub.services.model_retention import folder_bytes, human_size, prune_versions
from labelhub.storage.models import AuditEvent, ModelVersion

SYSTEM = Actor.system()
SPEC = svc.TrainSpec(kind="text_classifier", mode="sgd", epochs=2, features=2**10, min_steps=60)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _settings(hub: Hub, pid: int, **changes: object) -> None:
    with hub.db.session(write=True) as s:
        view = get_assist(s, SYSTEM, pid)
        update_assist(s, SYSTEM, pid, {**view.settings, **changes}, view.version)


def _versions(hub: Hub, pid: int) -> dict[int, ModelVersion]:
    """The project's versions by id, detached (oldest first)."""
    with hub.db.session() as s:
        rows = list(s.scalars(select(ModelVersion).where(ModelVersion.project_id == pid).order_by(ModelVersion.id)))
        s.expunge_all()
    return {mv.id: mv for mv in rows}


def _folder(hub: Hub, mv: ModelVersion) -> Path:
    return svc.models_dir(hub) / mv.artifacts["folder"]


def _prune_events(hub: Hub, pid: int) -> dict[str, dict[str, object]]:
    with hub.db.session() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.project_id == pid, AuditEvent.action == "model.prune"))
        return {e.object_id or "": dict(e.detail) for e in rows}


def test_training_beyond_keep_versions_prunes_the_oldest_versions_files(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    _settings(hub, pid, keep_versions=2)
    ids: list[int] = []
    sizes: dict[int, int] = {}
    messages: list[str] = []
    for _ in range(4):  # keep_versions + 2
        ids.append(train_version(hub, SYSTEM, pid, SPEC, progress=lambda f, m: messages.append(m)))
        mv = _versions(hub, pid)[ids[-1]]
        sizes[mv.id] = folder_bytes(_folder(hub, mv))
        assert sizes[mv.id] > 0
    assert "removed the files of 1 old version" in messages[-1]
    folders = {i: svc.models_dir(hub) / f"project-{pid}" / f"text-classifier-v{n}-{i}" for n, i in enumerate(ids, 1)}

    after = _versions(hub, pid)
    assert [after[i].status for i in ids] == ["pruned", "pruned", "ready", "ready"]
    assert [after[i].active for i in ids] == [False, False, False, True]
    for i in ids[:2]:  # the files are gone, the history is not
        assert not folders[i].exists() and after[i].artifacts == {}
        assert after[i].metrics["accuracy"] > 0 and after[i].data["count"] == 30
    for i in ids[2:]:
        assert folders[i].is_dir() and (svc.models_dir(hub) / after[i].artifacts["state"]).is_file()
    events = _prune_events(hub, pid)
    assert set(events) == {str(i) for i in ids[:2]}
    assert [events[str(i)]["bytes"] for i in ids[:2]] == [sizes[i] for i in ids[:2]]
    assert events[str(ids[0])]["version"] == 1 and events[str(ids[0])]["keep_versions"] == 2

    # Nothing is left to prune; deleting a pruned version still works.
    assert prune_versions(hub, SYSTEM, pid).pruned == ()
    with hub.db.session(write=True) as s:
        svc.delete_version(s, hub, SYSTEM, pid, ids[0])
    assert ids[0] not in _versions(hub, pid)


def test_the_active_pinned_in_use_and_registered_versions_keep_their_files(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    v1, v2, v3, v4, v5 = (train_version(hub, SYSTEM, pid, SPEC) for _ in range(5))  # keep_versions: 5 by default
    with hub.db.session(write=True) as s:
        svc.activate_version(s, SYSTEM, pid, v1)
        jobs.enqueue(s, SYSTEM, svc.EVALUATE_KIND, {"model_id": v3}, project_id=pid)  # reads v3 when it runs
        for n in (1, 2, 3):  # a remote server labelhub did not train: never pruned
            s.add(ModelVersion(project_id=pid, name="remote", kind="http", version=n, status="ready",
                               params={"url": "http://127.0.0.1:1"}))  # fmt: skip
    _settings(hub, pid, keep_versions=1, model_id=v2)
    folders = {i: _folder(hub, mv) for i, mv in _versions(hub, pid).items() if mv.kind == "text_classifier"}

    # A new version of another line: the active v1 (of the first line) stays active, and the prune after the
    # training keeps v5 (the newest of its line), v1 (active), v2 (pinned) and v3 (a queued job reads it).
    other = train_version(hub, SYSTEM, pid, dataclasses.replace(SPEC, name="other"))
    after = _versions(hub, pid)
    assert {i for i, mv in after.items() if mv.status == "pruned"} == {v4}
    assert after[v1].active and not after[other].active and after[other].status == "ready"
    assert not folders[v4].exists()
    assert all(folders[i].is_dir() for i in (v1, v2, v3, v5))
    assert [mv.status for mv in after.values() if mv.kind == "http"] == ["ready"] * 3

    # Unpinned and no longer active, they go at the next prune; the active one (v5 now) stays.
    with hub.db.session(write=True) as s:
        svc.activate_version(s, SYSTEM, pid, v5)
    _settings(hub, pid, model_id=None)
    result = prune_versions(hub, SYSTEM, pid)
    assert result.ids == [v1, v2] and result.bytes_freed > 0 and result.keep_versions == 1
    assert not folders[v1].exists() and folders[v3].is_dir()


def test_a_pruned_version_cannot_be_activated_evaluated_or_pinned(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    _settings(hub, pid, keep_versions=1)
    old = train_version(hub, SYSTEM, pid, SPEC)
    train_version(hub, SYSTEM, pid, SPEC)
    assert _versions(hub, pid)[old].status == "pruned"
    removed = "files were removed by the project's retention setting"
    with hub.db.session(write=True) as s, pytest.raises(ConflictError, match=removed) as activated:
        svc.activate_version(s, SYSTEM, pid, old)
    assert activated.value.status == 409 and "train the model again" in activated.value.detail
    with hub.db.session(write=True) as s, pytest.raises(ConflictError, match=removed):
        svc.queue_evaluation(s, SYSTEM, pid, old)
    with pytest.raises(ConflictError, match=removed):  # a job queued before the prune, when it runs
        evaluate_version(hub, SYSTEM, pid, old)
    with pytest.raises(ValidationError, match=removed) as pinned:
        _settings(hub, pid, model_id=old)
    assert pinned.value.context["field"] == "settings.model_id"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # validation only
@pytest.mark.parametrize("bad", [0, -1, 1001, "x", 2.5, True, None])
def test_a_bad_keep_versions_is_refused_naming_the_field(hub: Hub, tmp_path: Path, bad: object) -> None:
    pid = banking_project(hub, tmp_path, n_classes=2, per_class=2)
    with pytest.raises(ValidationError, match=r"keep_versions must be a whole number 1\.\.1000") as refused:
        _settings(hub, pid, keep_versions=bad)
    assert refused.value.context["field"] == "settings.keep_versions"
    with hub.db.session() as s:
        assert get_assist(s, SYSTEM, pid).settings["keep_versions"] == 5  # the default, unchanged


def test_sizes_read_as_people_read_them() -> None:
    sizes = (0, 999, 1000, 84_230, 999_950, 190_300_000, 1_234_000_000, 5 * 10**12)
    assert [human_size(n) for n in sizes] == ["0 B", "999 B", "1.0 kB", "84.2 kB", "1.0 MB", "190.3 MB", "1.2 GB",
                                              "5000.0 GB"]  # fmt: skip
