"""Retraining on its own: after enough new human labels, queue a training job for the project's model.

:func:`maybe_retrain` is called in the transaction of every annotation save, so it answers from two indexed
reads when nothing is due (no active model, one labelhub cannot train such as a registered detector, a
federated version, or retraining off) and counts labels only then. Only the kinds labelhub trains itself are
retrained. A version made by ``labelhub federated train`` (its params carry ``federated``) is never retrained:
a retraining would train it centrally on the coordinator's own labels and replace the federated model (logged at
debug level, as a save reaches it every time).

What counts as a new label (:func:`labelhub.services.models.count_human_labels`): an accepted class label a person
gave or reviewed; in a volume project also a newly labelled slice, one that holds an accepted mask or polygon a
person drew or reviewed (a slice counts once, whatever its number of masks; "every N new labels" for a
``volume_segmenter`` is every N newly labelled slices).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import JobStatus
from labelhub.services import jobs
from labelhub.services.access import Actor
from labelhub.storage.models import Job, ModelVersion, ProjectAssist

log = logging.getLogger("labelhub.models")


def _has_active_model(session: Session, project_id: int) -> bool:
    found = session.scalar(
        select(ModelVersion.id).where(ModelVersion.project_id == project_id, ModelVersion.active.is_(True)).limit(1)
    )
    return found is not None


def maybe_retrain(session: Session, project_id: int) -> Job | None:
    """Queue a ``train_model`` job when the accepted human labels since the last training reach the project's
    ``retrain_every``; return it, or None when nothing is due.

    At most one training job per project is queued or running: while one is, nothing is queued. The job's
    params carry the label count it was queued at, and the next one is due ``retrain_every`` labels after
    that (or after ``labels_at_last_train``, whichever is later), so a training that fails is not queued
    again on every save.
    """
    if not _has_active_model(session, project_id):
        return None
    # Imported here, past the check most saves stop at: the model services load the assist engine (PyTorch),
    # which the annotation services (and the CLI commands that use them) do not otherwise need.
    from labelhub.services.assist_settings import active_model, effective_settings
    from labelhub.services.models import TRAIN_KIND, TRAINABLE, TrainSpec, count_human_labels

    row = session.get(ProjectAssist, project_id)
    settings = effective_settings(row)
    every = settings["retrain_every"]
    if not isinstance(every, int) or every < 1:
        return None
    mv = active_model(session, project_id, settings)
    if mv is None or mv.kind not in TRAINABLE:
        return None
    if (mv.params or {}).get("federated"):  # a central retraining would replace the federated model
        log.debug("project %s: no retraining: model %s@%s is federated (labelhub federated train retrains it)",
                  project_id, mv.name, mv.version)  # fmt: skip
        return None
    last = session.execute(
        select(Job.status, Job.params)
        .where(Job.project_id == project_id, Job.kind == TRAIN_KIND)
        .order_by(Job.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
        return None
    baseline = row.labels_at_last_train if row is not None else 0
    if last is not None and isinstance((last.params or {}).get("labels"), int):
        baseline = max(baseline, int(last.params["labels"]))
    count = count_human_labels(session, project_id)
    if count - baseline < every:
        return None
    # The same settings as the model it replaces (its params hold the training spec), in the same model line.
    # Activation follows the default rule (a retraining of the active line takes over), whatever the model
    # it replaces was asked at its own training.
    spec = TrainSpec.from_params({**(mv.params or {}), "kind": mv.kind, "name": mv.name, "mode": mv.mode or "swag",
                                  "seed": mv.seed or 0, "activate": None})  # fmt: skip
    params = {**spec.to_params(), "trigger": "retrain_every", "labels": count}
    return jobs.enqueue(session, Actor.system(), TRAIN_KIND, params, project_id=project_id)
