"""The site side of federated training: one round on this server's labels, answered with weights and a count.

``POST /projects/{pid}/federated/round`` (manager role: the ``train_model`` action, as training on the
project's labels is) brings the global weights as a safetensors file whose metadata ``settings`` holds the
round's :class:`~labelhub.assist.federated.RoundSettings` as JSON. The site checks them against the project
before it reads a label: a text project (409, ``item_kind``), the same set of classes as its label schema
(409, ``classes``, naming the missing and extra ones; the output order is the coordinator's), the federated
feature kind (422, ``features.kind``), and the weights' tensors and shapes (422, ``weights.<tensor>``). It trains
(:func:`~labelhub.assist.federated.local_round`) and answers a safetensors file holding the new weights and,
as its only metadata, ``examples``: the number of labels it trained on. No text, label, id or per-class count
leaves the site. Each round is an audit event ``federated.round`` (round, steps, examples).

Synchronous, not a job: a round is at most ``MAX_STEPS`` steps of a small head (about a second for 50 steps on
one CPU thread) and the coordinator waits for the answer anyway; a job would have to keep the weights in the
database and make the coordinator poll. The bounds: the request body (``LABELHUB_MAX_REQUEST_MB``, 32 MB by
default; the default head is 8.4 MB) and the steps (``MAX_STEPS``, rounded up to whole passes over the labels).
"""

from __future__ import annotations

import json

import numpy as np

from labelhub.assist.federated import (
    RoundSettings,
    State,
    check_state,
    decode_state,
    encode_state,
    expected_shapes,
    federated_featurizer,
    local_round,
)
from labelhub.assist.train import threads
from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError, ValidationError
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.models import select_training_data

__all__ = ["ROUND_METADATA", "run_round"]

ROUND_METADATA = "settings"  # the safetensors metadata key holding the round settings (JSON)
TRAIN_THREADS = 1  # as model_jobs: reproducible weights, and kind to a busy machine


def parse_round(body: bytes) -> tuple[State, RoundSettings]:
    """Return the global weights and the round settings a request body carries (FormatError/ValidationError)."""
    state, meta = decode_state(body, what="body")
    if set(meta) != {ROUND_METADATA}:
        raise ValidationError(f"the weights' metadata must hold {ROUND_METADATA!r} only, got {sorted(meta)}",
                              field="settings")  # fmt: skip
    try:
        raw = json.loads(meta[ROUND_METADATA])
    except ValueError as exc:
        raise ValidationError(f"settings is not JSON: {exc}", field="settings") from None
    return state, RoundSettings.from_json(raw)


def run_round(hub: Hub, actor: Actor, project_id: int, body: bytes) -> bytes:
    """Train one federated round on the project's labels; return safetensors bytes: weights and ``examples``."""
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.TRAIN_MODEL, doing="training a federated round")
        kind, schema = project.item_kind, LabelSchema.from_json(project.label_schema)
    state, settings = parse_round(body)
    if kind != ItemKind.TEXT.value:
        raise ConflictError(f"federated training needs a text project; this one holds {kind} items",
                            field="item_kind")  # fmt: skip
    ours, theirs = set(schema.names), set(settings.classes)
    if ours != theirs:
        raise ConflictError(
            f"classes differ from this project's: missing here {sorted(theirs - ours)[:10]}, "
            f"only here {sorted(ours - theirs)[:10]}",
            field="classes",
        )
    shapes = expected_shapes(settings.features.n_features, len(settings.classes), settings.hidden)
    check_state(state, shapes, site="the global weights")
    with hub.db.session() as s:
        data = select_training_data(s, hub, project_id, kind)
    index = {c: i for i, c in enumerate(settings.classes)}
    rows = [i for i, label in enumerate(data.labels) if label in index]  # all of them: the schema holds every label
    if not rows:
        raise ConflictError("this project has no accepted class labels to train on", field="labels")
    y = np.array([index[data.labels[i]] for i in rows], dtype=np.int64)
    x = federated_featurizer(settings.features).transform([data.texts[i] for i in rows])
    with threads(TRAIN_THREADS):
        new_state, steps = local_round(state, x, y, settings)
    with hub.db.session(write=True) as s:
        require(s, actor, project_id, Action.TRAIN_MODEL, doing="training a federated round")
        audit.record(
            s,
            actor,
            "federated.round",
            "project",
            project_id,
            project_id=project_id,
            detail={"round": settings.round, "steps": steps, "examples": len(y)},
        )
    return encode_state(new_state, {"examples": str(len(y))})
