"""A project's assist settings: auto-accept bands, retrain interval, queue strategy, the model to use, and how
many trained versions keep their files (``keep_versions``, see :mod:`labelhub.services.model_retention`).

Stored in ``project_assist.settings`` (one row per project, created on the first change; until then the
defaults apply) and guarded by the row's ``version``: a change based on a stale version is a 409.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.models import count_human_labels, unusable_reason
from labelhub.storage.models import ModelVersion, ProjectAssist, utcnow

DEFAULTS: dict[str, Any] = {"lower": 0.5, "upper": 0.95, "retrain_every": 50, "strategy": "hybrid", "model_id": None,
                            "keep_versions": 5}  # fmt: skip
MAX_RETRAIN_EVERY = 1_000_000
MAX_KEEP_VERSIONS = 1000
# Keys the system writes into the same settings (the trained encoders, see services/embedder_training.py):
# not set through the settings API, and carried over when a person saves the settings.
SYSTEM_KEYS = ("embedders",)


@dataclass(frozen=True, slots=True)
class AssistView:
    """What ``GET /projects/{pid}/assist`` shows."""

    settings: dict[str, Any]
    labels_since_train: int
    version: int
    suggested_bands: dict[str, float] | None


def effective_settings(row: ProjectAssist | None) -> dict[str, Any]:
    """Return the project's settings: the stored ones over the defaults."""
    stored = dict(row.settings or {}) if row is not None else {}
    return {k: stored.get(k, v) for k, v in DEFAULTS.items()}


def active_model(session: Session, project_id: int, settings: dict[str, Any] | None = None) -> ModelVersion | None:
    """Return the model pre-labelling and the queue use: ``settings.model_id`` when it is still a ready version
    of the project, else the project's active version (None when there is neither)."""
    model_id = (settings or {}).get("model_id")
    if isinstance(model_id, int):
        mv = session.get(ModelVersion, model_id)
        if mv is not None and mv.project_id == project_id and mv.status == "ready":
            return mv
    return session.scalar(
        select(ModelVersion)
        .where(ModelVersion.project_id == project_id, ModelVersion.active.is_(True), ModelVersion.status == "ready")
        .order_by(ModelVersion.id.desc())
        .limit(1)
    )


def suggested_bands(mv: ModelVersion | None) -> dict[str, float] | None:
    """Bands from the model's held-out predictions (``metrics.held_out``: scores and whether each was right)."""
    if mv is None:
        return None
    held = (mv.metrics or {}).get("held_out")
    if not isinstance(held, dict) or not held.get("scores") or not held.get("correct"):
        return None
    from labelhub.assist.bands import suggest_bands  # the assist engine imports torch: only when needed

    try:
        s = suggest_bands(held["scores"], [bool(c) for c in held["correct"]])
    except ValidationError:
        return None
    precision = s.accepted_precision if math.isfinite(s.accepted_precision) else None
    return {"lower": s.bands.lower, "upper": s.bands.upper, "precision": precision,  # type: ignore[dict-item]
            "share": s.accepted_share}  # fmt: skip


def view(session: Session, project_id: int) -> AssistView:
    """Return the settings view without an access check (the caller has done it)."""
    row = session.get(ProjectAssist, project_id)
    settings = effective_settings(row)
    since = count_human_labels(session, project_id) - (row.labels_at_last_train if row is not None else 0)
    return AssistView(
        settings=settings,
        labels_since_train=max(0, since),
        version=row.version if row is not None else 1,
        suggested_bands=suggested_bands(active_model(session, project_id, settings)),
    )


def get_assist(session: Session, actor: Actor, project_id: int) -> AssistView:
    """Return the project's assist settings, for a reader of the project."""
    require(session, actor, project_id, Action.READ)
    return view(session, project_id)


def _number(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ValidationError(f"settings.{name} must be a number, got {v!r:.40}", field=f"settings.{name}")
    return float(v)


def validate_settings(session: Session, project_id: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Return ``settings`` checked and completed with the defaults, or raise naming the field."""
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValidationError(f"unknown setting {unknown[0]!r}; known: {', '.join(DEFAULTS)}",
                              field=f"settings.{unknown[0]}")  # fmt: skip
    out = {**DEFAULTS, **settings}
    lower, upper = _number(out["lower"], "lower"), _number(out["upper"], "upper")
    if not 0.0 <= lower <= upper <= 1.0:
        raise ValidationError(f"bands need 0 <= lower <= upper <= 1, got lower {lower}, upper {upper}",
                              field="settings.lower")  # fmt: skip
    out["lower"], out["upper"] = lower, upper
    every = out["retrain_every"]
    if every is not None and (
        isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= MAX_RETRAIN_EVERY
    ):
        msg = f"settings.retrain_every must be null (never) or 1..{MAX_RETRAIN_EVERY}, got {every!r:.40}"
        raise ValidationError(msg, field="settings.retrain_every")
    keep = out["keep_versions"]
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP_VERSIONS:
        msg = f"settings.keep_versions must be a whole number 1..{MAX_KEEP_VERSIONS}, got {keep!r:.40}"
        raise ValidationError(msg, field="settings.keep_versions")
    from labelhub.assist.strategies import strategy_names

    if out["strategy"] not in strategy_names():
        raise ValidationError(f"unknown strategy {out['strategy']!r:.60}; known: {', '.join(strategy_names())}",
                              field="settings.strategy")  # fmt: skip
    model_id = out["model_id"]
    if model_id is not None:
        mv = (
            session.get(ModelVersion, model_id)
            if isinstance(model_id, int) and not isinstance(model_id, bool)
            else None
        )
        if mv is None or mv.project_id != project_id:
            raise NotFoundError(f"model {model_id!r:.40} not found in project {project_id}", field="settings.model_id")
        reason = unusable_reason(mv)
        if reason is not None:
            raise ValidationError(reason, field="settings.model_id")
    return out


def update_assist(
    session: Session, actor: Actor, project_id: int, settings: dict[str, Any], version: int
) -> AssistView:
    """Replace the project's assist settings if ``version`` is current; 409 (ConflictError) when stale."""
    require(session, actor, project_id, Action.TRAIN_MODEL, doing="changing the assist settings")
    row = session.get(ProjectAssist, project_id, with_for_update=True)
    current = row.version if row is not None else 1
    if version != current:
        raise ConflictError(f"the assist settings were changed by someone else (you had version {version}, it is now "
                            f"{current}); reload them", field="version", current_version=current)  # fmt: skip
    checked = validate_settings(session, project_id, {k: v for k, v in settings.items() if k not in SYSTEM_KEYS})
    audited = dict(checked)
    kept = {k: (row.settings or {})[k] for k in SYSTEM_KEYS if row is not None and k in (row.settings or {})}
    checked = {**checked, **kept}
    if row is None:
        session.add(ProjectAssist(project_id=project_id, settings=checked, version=current + 1, updated_at=utcnow()))
    else:
        row.settings = checked
        row.version = current + 1
        row.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "assist.settings", "project", project_id, project_id=project_id, detail=audited)
    return view(session, project_id)
