"""Registering a model labelhub did not train: a user's ONNX detector, a Label Studio ML backend, or a server
speaking labelhub's remote-model contract. Each becomes a ready :class:`ModelVersion` of the project.

A registration is checked before it is stored, and nothing is stored when it is refused: the ONNX file must
lie inside LABELHUB_IMPORT_ROOTS (as an import's source must), load in onnxruntime and run as a detector
(:mod:`labelhub.assist.detector_checks`: a ``1x3xSxS`` input of ``input_size``, an output the decoder reads); a
server's URL must be http(s), must not lead to a link-local (cloud metadata), unspecified or multicast address,
and a server must answer there (:func:`labelhub.assist.remote.check_reachable`). A label mapping must map to
classes of the project (when it has any) and, for a detector, from classes of the model; without one, a
detector's class names map to the project classes of the same name. Refusals name the request's field
(``path``, ``input_size``, ``labels``, ``url``). The version counts up per project and name; the first model of
a project becomes its active one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.models import next_version
from labelhub.services.uploads import ServerRoots, check_server_path
from labelhub.storage.models import ModelVersion

REGISTERED_KINDS = ("onnx_detector", "label_studio_ml", "http")
MAX_LISTED = 100  # project classes named in a message; the rest are counted


def _labels(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise ValidationError("labels must map model classes (index or name) to project label names", field="labels")
    return {str(k): v.strip() for k, v in raw.items()}


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f", … ({len(names)} in all)" if len(names) > MAX_LISTED else "")


def _project_problem(labels: Mapping[str, str], schema: LabelSchema, project: str) -> str | None:
    """Say which project labels of a mapping are no class of the project (a project without classes takes any)."""
    bad = list(dict.fromkeys(v for v in labels.values() if not schema.has_class(v)))
    if not schema.classes or not bad:
        return None
    quoted = ", ".join(repr(b) for b in bad)
    which = f"{quoted} is not a class" if len(bad) == 1 else f"{quoted} are not classes"
    return (f"{which} of project {project} (classes: {_listed(schema.names)}); map the model's classes to these, "
            "or add the class to the project first")  # fmt: skip


def _refuse_labels(*problems: str | None) -> None:
    found = [p for p in problems if p]
    if found:
        raise ValidationError("; and ".join(found), field="labels")


def _input_size(raw: Any) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError(
            f"input_size must be a whole number of pixels, got {raw!r:.40}", field="input_size"
        ) from None


def _detector_params(body: Mapping[str, Any], roots: ServerRoots | Iterable[Path], schema: LabelSchema,
                     project: str) -> dict[str, Any]:  # fmt: skip
    from labelhub.assist.detector import DetectorConfig  # onnxruntime: only when registering one
    from labelhub.assist.detector_checks import inspect_detector, mapping_problem

    raw = body.get("path")
    if not isinstance(raw, str) or not raw:
        raise ValidationError("an onnx_detector needs path, the .onnx file on the server", field="path")
    path = check_server_path(raw, roots, field="path")
    labels = _labels(body.get("labels"))
    size = _input_size(body.get("input_size"))
    config = DetectorConfig(
        path=path,
        labels=labels,
        input_size=640 if size is None else size,
        score_threshold=float(body.get("score_threshold", 0.25)),
        iou_threshold=float(body.get("iou_threshold", 0.45)),
        layout=body.get("layout", "auto"),
    )
    info = inspect_detector(config, size_given=size is not None)  # loads the file and runs it once
    if labels:
        _refuse_labels(_project_problem(labels, schema, project), mapping_problem(labels, info))
    elif info.names and schema.classes:
        # No mapping: the export's class names are the project's labels, as far as the project has them.
        labels = {n: n for n in info.names if schema.has_class(n)}
        if not labels:
            first = schema.classes[0].name
            raise ValidationError(
                f"none of the model's classes ({info.class_list()}) is a class of project {project} (classes: "
                f'{_listed(schema.names)}); map them with labels, e.g. {{"0": "{first}"}}',
                field="labels",
            )
    elif not info.names:
        raise ValidationError("the detector maps no class to a project label: give labels, e.g. {\"0\": \"cat\"} "
                              f"(the model's classes are {info.class_list()})", field="labels")  # fmt: skip
    config = info.config
    return {"path": str(path), "labels": labels, "input_size": config.input_size,
            "score_threshold": config.score_threshold, "iou_threshold": config.iou_threshold,
            "layout": config.layout}  # fmt: skip


def _remote_params(body: Mapping[str, Any], schema: LabelSchema, project: str) -> dict[str, Any]:
    from labelhub.assist.remote import RemoteConfig, check_reachable

    config = RemoteConfig.from_params({**body, "labels": _labels(body.get("labels"))})
    # The server's own labels are known only once it answers: only the project's side of the mapping is checked.
    _refuse_labels(_project_problem(config.labels, schema, project))
    check_reachable(config)
    params: dict[str, Any] = {"url": config.url, "timeout": config.timeout, "retries": config.retries,
                              "labels": dict(config.labels)}  # fmt: skip
    for key in ("label_config", "image_url"):
        if isinstance(body.get(key), str) and body[key]:
            params[key] = body[key]
    return params


def check_registration(session: Session, actor: Actor, project_id: int, body: Mapping[str, Any],
                       *, roots: ServerRoots | Iterable[Path]) -> tuple[str, str, dict[str, Any]]:  # fmt: skip
    """Check the role and a registration (loading an ONNX file); return its kind, name and stored params.

    Reads only, so the API runs it before the write transaction (loading a model must not hold SQLite's lock).
    """
    project = require(session, actor, project_id, Action.TRAIN_MODEL, doing="connecting a model")
    kind = body.get("kind")
    name = str(body.get("name") or "").strip()
    if kind not in REGISTERED_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(REGISTERED_KINDS)}, got {kind!r:.40}", field="kind")
    if kind == "onnx_detector" and project.item_kind != ItemKind.IMAGE.value:
        msg = f"an ONNX detector proposes boxes on images; this project holds {project.item_kind} items"
        raise ValidationError(msg, field="kind")
    if not name or len(name) > 100:
        raise ValidationError("name must be 1-100 characters", field="name")
    schema = project_schema(session, project)
    if kind == "onnx_detector":
        return kind, name, _detector_params(body, roots, schema, project.name)
    return kind, name, _remote_params(body, schema, project.name)


def store_model(session: Session, actor: Actor, project_id: int, kind: str, name: str,
                params: dict[str, Any]) -> ModelVersion:  # fmt: skip
    """Store a checked registration as the next ready version of ``name`` (active when the project has none)."""
    require(session, actor, project_id, Action.TRAIN_MODEL, doing="connecting a model")
    has_active = session.scalar(
        select(ModelVersion.id).where(ModelVersion.project_id == project_id, ModelVersion.active.is_(True)).limit(1)
    )
    mv = ModelVersion(project_id=project_id, name=name, kind=kind, version=next_version(session, project_id, name),
                      status="ready", active=has_active is None, params=params, data={}, metrics={}, artifacts={},
                      created_by=actor.user_id)  # fmt: skip
    session.add(mv)
    session.flush()
    audit.record(session, actor, "model.register", "model_version", mv.id, project_id=project_id,
                 detail={"kind": kind, "name": name, "version": mv.version})  # fmt: skip
    return mv


def register_model(session: Session, actor: Actor, project_id: int, body: Mapping[str, Any],
                   *, roots: ServerRoots | Iterable[Path]) -> ModelVersion:  # fmt: skip
    """Check and store a model version of kind ``body["kind"]`` (one of REGISTERED_KINDS), ready to use."""
    kind, name, params = check_registration(session, actor, project_id, body, roots=roots)
    return store_model(session, actor, project_id, kind, name, params)
