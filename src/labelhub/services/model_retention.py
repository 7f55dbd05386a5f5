"""Model-version retention: keep the files of a project's newest trained versions and prune the older ones.

A SWAG text classifier is about 190 MB per version and a project retrains every ``retrain_every`` new labels,
so old versions' files add up. After each training (:func:`labelhub.services.model_jobs.train_version`) and
on request (``POST /projects/{pid}/models/prune``, ``labelhub model prune PROJECT``), per model line (name)
of the kinds labelhub trains (:data:`~labelhub.services.models.TRAINABLE`), the files of the newest
``settings.keep_versions`` ready versions are kept, and always those of:

- the project's active version and the version pinned in ``settings.model_id``, whatever their age;
- a version that a queued or running evaluation or pre-labelling job is about to read.

Every other ready version of those kinds is **pruned**: its status becomes ``pruned``, its ``artifacts`` are
emptied, its row, training data, metrics and report stay (the history stays visible), and one
``model.prune`` audit event records it with the bytes freed. Registered models (an ONNX detector, a remote
server) are never pruned: labelhub did not train them and cannot train them again.

The rows change in one transaction that holds the project's row lock (activating a version takes it too, so
a version is never activated and pruned at once) and the assist settings row's lock (so a version being
pinned is not pruned under it). The folders are measured inside that transaction and deleted only after it
commits: a failed commit leaves no row pointing to deleted files. A folder that is already gone counts 0 bytes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import JobStatus
from labelhub.domain.permissions import Action
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.assist_settings import effective_settings
from labelhub.services.models import EVALUATE_KIND, PRUNED, TRAINABLE, lock_project, version_folder
from labelhub.services.prelabel import KIND as PRELABEL_KIND
from labelhub.storage.models import Job, ModelVersion, ProjectAssist

__all__ = ["PruneResult", "PrunedVersion", "folder_bytes", "human_size", "prunable_versions", "prune_versions"]

# Jobs whose params name a version they will load (``params.model_id``): its files must stay until they end.
_READING_KINDS = (EVALUATE_KIND, PRELABEL_KIND)
_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class PrunedVersion:
    """One version whose files were removed."""

    id: int
    name: str
    version: int
    bytes: int


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What a prune did: the setting it applied and the versions whose files it removed, oldest first."""

    keep_versions: int
    pruned: tuple[PrunedVersion, ...] = ()

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.pruned]

    @property
    def bytes_freed(self) -> int:
        return sum(p.bytes for p in self.pruned)


def human_size(n: int) -> str:
    """Return a byte count as people read it: ``512 B``, ``84.2 kB``, ``190.3 MB``, ``1.2 GB`` (powers of 1000)."""
    if n < 1000:
        return f"{n} B"
    size = float(n)
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if round(size, 1) < 1000 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


def folder_bytes(folder: Path | None) -> int:
    """Return the size of the files under ``folder`` (0 when it is gone); symbolic links are not followed."""
    if folder is None or not folder.is_dir():
        return 0
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(parent, name))
            except OSError:  # removed meanwhile
                continue
            total += st.st_size
    return total


def _protected_ids(session: Session, project_id: int, pinned: object) -> set[int]:
    """The versions kept whatever their age: active, pinned, or read by an unfinished job."""
    keep = set(
        session.scalars(
            select(ModelVersion.id).where(ModelVersion.project_id == project_id, ModelVersion.active.is_(True))
        )
    )
    if isinstance(pinned, int) and not isinstance(pinned, bool):
        keep.add(pinned)
    params = session.scalars(
        select(Job.params).where(
            Job.project_id == project_id, Job.kind.in_(_READING_KINDS), Job.status.in_(_UNFINISHED)
        )
    )
    for p in params:
        model_id = (p or {}).get("model_id")
        if isinstance(model_id, int):
            keep.add(model_id)
    return keep


def prunable_versions(
    session: Session, project_id: int, keep_versions: int, pinned: object = None
) -> list[ModelVersion]:
    """Return the ready trained versions the rule prunes (see the module docstring), oldest first.

    ``pinned`` is ``settings.model_id``. No access check and no lock: :func:`prune_versions` does both.
    """
    stmt = (
        select(ModelVersion)
        .where(
            ModelVersion.project_id == project_id,
            ModelVersion.status == "ready",
            ModelVersion.kind.in_(list(TRAINABLE)),
        )
        .order_by(ModelVersion.version.desc(), ModelVersion.id.desc())
    )
    protected = _protected_ids(session, project_id, pinned)
    seen: dict[str, int] = {}
    out: list[ModelVersion] = []
    for mv in session.scalars(stmt):
        rank = seen.get(mv.name, 0)
        seen[mv.name] = rank + 1
        if rank >= keep_versions and mv.id not in protected:
            out.append(mv)
    return out[::-1]


def prune_versions(hub: Hub, actor: Actor, project_id: int) -> PruneResult:
    """Apply the project's ``keep_versions`` setting now (manager role) and return what was removed.

    Commits its own transaction, then deletes the folders: call it outside any open write session.
    """
    with hub.db.session(write=True) as s:
        require(s, actor, project_id, Action.TRAIN_MODEL, doing="removing old versions' files")
        lock_project(s, project_id)
        settings = effective_settings(s.get(ProjectAssist, project_id, with_for_update=True))
        keep = int(settings["keep_versions"])
        folders: list[Path] = []
        pruned: list[PrunedVersion] = []
        for mv in prunable_versions(s, project_id, keep, settings.get("model_id")):
            folder = version_folder(hub, mv)
            size = folder_bytes(folder)
            mv.status, mv.artifacts = PRUNED, {}
            audit.record(
                s,
                actor,
                "model.prune",
                "model_version",
                mv.id,
                project_id=project_id,
                detail={"name": mv.name, "version": mv.version, "bytes": size, "keep_versions": keep},
            )
            pruned.append(PrunedVersion(id=mv.id, name=mv.name, version=mv.version, bytes=size))
            if folder is not None:
                folders.append(folder)
    _remove(folders)  # committed: no row points to these files any more
    return PruneResult(keep_versions=keep, pruned=tuple(pruned))


def _remove(folders: Iterable[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
