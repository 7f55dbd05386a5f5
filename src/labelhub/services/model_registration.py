"""Registering a model labelhub did not train: a user's ONNX detector, a Label Studio ML backend, or a server
speaking labelhub's remote-model contract. Each becomes a ready :class:`ModelVersion` of the project.

A registration is checked before it is stored: the ONNX file must lie inside LABELHUB_IMPORT_ROOTS (as an
import's source must) and load in onnxruntime; a server's URL must be http(s). The version counts up per
project and name; the first model of a project becomes its active one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.models import next_version
from labelhub.services.uploads import check_server_path
from labelhub.storage.models import ModelVersion

REGISTERED_KINDS = ("onnx_detector", "label_studio_ml", "http")


def _labels(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise ValidationError("labels must map model classes (index or name) to project label names", field="labels")
    return {str(k): v.strip() for k, v in raw.items()}


def _detector_params(body: Mapping[str, Any], roots: Iterable[Path]) -> dict[str, Any]:
    from labelhub.assist.detector import DetectorConfig, OnnxDetector  # onnxruntime: only when registering one

    raw = body.get("path")
    if not isinstance(raw, str) or not raw:
        raise ValidationError("an onnx_detector needs path, the .onnx file on the server", field="path")
    try:
        path = check_server_path(raw, roots)
    except ValidationError as exc:
        raise ValidationError(exc.detail, field="path") from None
    config = DetectorConfig(
        path=path,
        labels=_labels(body.get("labels")),
        input_size=int(body.get("input_size", 640)),
        score_threshold=float(body.get("score_threshold", 0.25)),
        iou_threshold=float(body.get("iou_threshold", 0.45)),
        layout=body.get("layout", "auto"),
    )
    detector = OnnxDetector(config)  # refuses a file onnxruntime cannot load
    if not detector.classes:
        raise ValidationError("the detector maps no class to a project label: give labels, e.g. {\"0\": \"cat\"}",
                              field="labels")  # fmt: skip
    return {"path": str(path), "labels": dict(config.labels), "input_size": config.input_size,
            "score_threshold": config.score_threshold, "iou_threshold": config.iou_threshold,
            "layout": config.layout}  # fmt: skip


def _remote_params(body: Mapping[str, Any]) -> dict[str, Any]:
    from labelhub.assist.remote import RemoteConfig, check_reachable

    config = RemoteConfig.from_params({**body, "labels": _labels(body.get("labels"))})
    check_reachable(config)
    params: dict[str, Any] = {"url": config.url, "timeout": config.timeout, "retries": config.retries,
                              "labels": dict(config.labels)}  # fmt: skip
    for key in ("label_config", "image_url"):
        if isinstance(body.get(key), str) and body[key]:
            params[key] = body[key]
    return params


def check_registration(session: Session, actor: Actor, project_id: int, body: Mapping[str, Any],
                       *, roots: Iterable[Path]) -> tuple[str, str, dict[str, Any]]:  # fmt: skip
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
    return kind, name, _detector_params(body, roots) if kind == "onnx_detector" else _remote_params(body)


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
                   *, roots: Iterable[Path]) -> ModelVersion:  # fmt: skip
    """Check and store a model version of kind ``body["kind"]`` (one of REGISTERED_KINDS), ready to use."""
    kind, name, params = check_registration(session, actor, project_id, body, roots=roots)
    return store_model(session, actor, project_id, kind, name, params)
