"""Pre-labelling: run a project's model over its unlabelled items and store what it proposes, through the bands.

:func:`start_prelabel` queues a ``prelabel`` job; :func:`run_prelabel` is its body. Each proposal is routed by
the project's auto-accept bands (:mod:`labelhub.assist.bands`): a score above ``upper`` is stored **accepted**
with the model as its source, a score between the bounds **proposed** for review, a score below ``lower`` is
not stored. A proposal without a score (a remote server that sends none) is proposed. Items are read and
predicted in batches outside any transaction; each batch is then written in one short write transaction that
first checks again which items still qualify (a person may have labelled one meanwhile), inserts the rows
with one ``executemany`` (as the editor's save does) and moves each touched item's version, so an editor
holding an older version gets a 409 instead of overwriting the proposals. A failing item is reported in the
result and the job goes on; a run where every item failed fails the job
(:class:`labelhub.errors.PrelabelFailed`, quoting the first error), so it does not read as a success. A
cancelled job keeps the batches it has written.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from labelhub.assist.bands import Bands, Route
from labelhub.assist.predictors import ItemInput, ModelRef, Prediction, Predictor, load_predictor
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, ItemStatus, Source
from labelhub.domain.geometry import validate_geometry
from labelhub.domain.permissions import Action
from labelhub.domain.schema import LabelSchema
from labelhub.errors import JobCancelled, NotFoundError, PrelabelFailed, ValidationError
from labelhub.services import audit, jobs
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.assist_settings import active_model, effective_settings, suggested_bands
from labelhub.services.models import item_inputs, model_ref, unusable_reason
from labelhub.storage.models import Annotation, Item, Job, ModelVersion, ProjectAssist, utcnow

if TYPE_CHECKING:
    from labelhub.hub import Hub

log = logging.getLogger("labelhub.prelabel")

__all__ = ["KIND", "PrelabelResult", "load_model", "run_prelabel", "start_prelabel"]

KIND = "prelabel"
MAX_BATCH = 1024
MAX_ERRORS = 200  # errors listed in the result; the count says how many there were in all
_ANN = cast(Table, Annotation.__table__)
_ITEMS = cast(Table, Item.__table__)
_I = _ITEMS.c
Report = Callable[[float, str], None]


def load_model(ref: ModelRef) -> Predictor:
    """Return the predictor of a model version (any registered kind)."""
    return load_predictor(ref)


def _model_for(session: Session, project_id: int, model_id: int | None) -> ModelVersion:
    if model_id is not None:
        mv = session.get(ModelVersion, model_id)
        if mv is None or mv.project_id != project_id:
            raise NotFoundError(f"model {model_id} not found in project {project_id}", field="model_id")
    else:
        found = active_model(session, project_id, effective_settings(session.get(ProjectAssist, project_id)))
        if found is None:
            raise ValidationError("the project has no active model: train or register one first, or pass model_id",
                                  field="model_id")  # fmt: skip
        mv = found
    reason = unusable_reason(mv)
    if reason is not None:
        raise ValidationError(f"model {mv.name}@{mv.version}: {reason}", field="model_id")
    return mv


def start_prelabel(session: Session, actor: Actor, project_id: int, *, model_id: int | None = None,
                   only_unlabelled: bool = True, batch_size: int = 64) -> Job:  # fmt: skip
    """Queue a pre-labelling job with the chosen model (default: the project's active one)."""
    require(session, actor, project_id, Action.PRELABEL)
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValidationError(f"batch_size must be 1..{MAX_BATCH}, got {batch_size}", field="batch_size")
    mv = _model_for(session, project_id, model_id)
    params = {"model_id": mv.id, "only_unlabelled": only_unlabelled, "batch_size": batch_size}
    return jobs.enqueue(session, actor, KIND, params, project_id=project_id)


@dataclass(slots=True)
class PrelabelResult:
    """What a pre-labelling run did (the job's result)."""

    model_version: str
    items: int = 0
    proposed: int = 0
    accepted: int = 0
    dropped: int = 0
    skipped: int = 0  # items labelled (or pre-labelled) by someone else while the job ran
    replaced: int = 0  # open proposals of an earlier version of the same model, replaced by this version's
    upper: float | None = None  # the accept bound used
    upper_note: str | None = None  # why it is not the project's
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0

    def error(self, item_id: int, message: str) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"item_id": item_id, "error": message[:500]})

    def to_json(self) -> dict[str, Any]:
        return {"model_version": self.model_version, "items": self.items, "proposed": self.proposed,
                "accepted": self.accepted, "dropped": self.dropped, "skipped": self.skipped,
                "replaced": self.replaced, "upper": self.upper, "upper_note": self.upper_note,
                "errors": self.errors, "errors_total": self.errors_total}  # fmt: skip


def _eligible(project_id: int, tag: str, only_unlabelled: bool) -> Any:
    """The WHERE clause of items to pre-label: image, text or volume items without a proposal from this model
    version (and, by default, without an accepted label)."""
    a = Annotation
    conds = [
        Item.project_id == project_id,
        Item.kind.in_([ItemKind.IMAGE.value, ItemKind.TEXT.value, ItemKind.VOLUME.value]),
        ~exists().where(a.item_id == Item.id, a.project_id == project_id, a.model_version == tag),
    ]
    if only_unlabelled:
        conds.append(~exists().where(a.item_id == Item.id, a.project_id == project_id,
                                     a.state == AnnotationState.ACCEPTED.value))  # fmt: skip
    return conds


def _rows_for(p: Prediction, item: ItemInput, bands: Bands, schema: LabelSchema, tag: str,
              result: PrelabelResult) -> list[dict[str, Any]] | None:  # fmt: skip
    """Return the annotation rows of one item's prediction after the bands (None: the item failed)."""
    if p.error is not None:
        result.error(item.item_id, p.error)
        return None
    rows: list[dict[str, Any]] = []
    for i, prop in enumerate(p.proposals):
        where = f"proposals[{i}]"
        try:
            kind = AnnotationKind(prop.kind)
            if kind not in schema.kinds:
                raise ValidationError(f"{where}: kind {prop.kind!r} is not allowed in this project", field="kind")
            if schema.classes and not schema.has_class(prop.label):
                raise ValidationError(f"{where}: label {prop.label!r} is not in the project's classes", field="label")
            geometry = validate_geometry(kind, prop.geometry, width=item.width, height=item.height,
                                         text_length=len(item.text) if item.text is not None else None)  # fmt: skip
        except ValueError:
            result.error(item.item_id, f"{where}: unknown annotation kind {prop.kind!r:.40}")
            return None
        except ValidationError as exc:
            result.error(item.item_id, exc.detail if exc.detail.startswith(where) else f"{where}: {exc.detail}")
            return None
        scored = isinstance(prop.score, int | float) and math.isfinite(prop.score)
        route = bands.route(min(1.0, max(0.0, float(prop.score)))) if scored else Route.PROPOSED
        if route is Route.DROPPED:
            result.dropped += 1
            continue
        state = AnnotationState.ACCEPTED if route is Route.ACCEPTED else AnnotationState.PROPOSED
        rows.append({"item_id": item.item_id, "kind": kind.value, "label": prop.label, "geometry": geometry,
                     "frame": prop.frame, "track_id": None, "source": Source.MODEL.value, "model_version": tag,
                     "score": round(float(prop.score), 6) if scored else None, "state": state.value,
                     "attributes": {}, "author_id": None, "reviewed_by": None, "version": 1})  # fmt: skip
    return rows


def _write_batch(hub: Hub, project_id: int, tag: str, only_unlabelled: bool,
                 rows_by_item: dict[int, list[dict[str, Any]]], result: PrelabelResult) -> None:  # fmt: skip
    """Write one batch's rows in one transaction, for the items that still qualify; bump their versions."""
    if not rows_by_item:
        return
    with hub.db.session(write=True) as s:
        still = set(s.scalars(select(Item.id).where(Item.id.in_(list(rows_by_item)),
                                                    *_eligible(project_id, tag, only_unlabelled))))  # fmt: skip
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        labelled: list[int] = []
        for item_id, rows in rows_by_item.items():
            if item_id not in still:
                result.skipped += 1
                continue
            for r in rows:
                inserts.append({**r, "project_id": project_id, "created_at": now, "updated_at": now})
                if r["state"] == AnnotationState.ACCEPTED.value:
                    result.accepted += 1
                else:
                    result.proposed += 1
            if any(r["state"] == AnnotationState.ACCEPTED.value for r in rows):
                labelled.append(item_id)
        done = [i for i in rows_by_item if i in still]
        # A new version's word replaces an earlier version's open proposals (of the same model line) on the items
        # it went through, instead of stacking a second, conflicting proposal beside them.
        line = tag.rsplit("@", 1)[0] + "@"
        stale = delete(_ANN).where(
            _ANN.c.item_id.in_(done), _ANN.c.source == Source.MODEL.value,
            _ANN.c.state == AnnotationState.PROPOSED.value, _ANN.c.model_version.startswith(line, autoescape=True),
            _ANN.c.model_version != tag,
        ).returning(_ANN.c.item_id)  # fmt: skip
        replaced = list(s.execute(stale).scalars()) if done else []
        result.replaced += len(replaced)
        touched = sorted({i for i in done if rows_by_item[i]} | set(replaced))
        if not touched:
            return
        if inserts:
            s.execute(insert(_ANN), inserts)
        s.execute(update(_ITEMS).where(_I.id == bindparam("iid")).values(version=_I.version + 1, updated_at=now),
                  [{"iid": i} for i in touched])  # fmt: skip
        if labelled:
            # An item the model labelled for sure is labelled: it leaves the queue of items to label.
            s.execute(update(_ITEMS).where(_I.id == bindparam("iid"), _I.status == ItemStatus.NEW.value)
                      .values(status=ItemStatus.LABELED.value), [{"iid": i} for i in labelled])  # fmt: skip


def run_prelabel(hub: Hub, actor: Actor, project_id: int, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Pre-label the project's items with ``params.model_id``; return the counts (the job's result)."""
    only_unlabelled = bool(params.get("only_unlabelled", True))
    batch_size = max(1, min(MAX_BATCH, int(params.get("batch_size", 64))))
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.PRELABEL)
        mv = _model_for(s, project_id, params.get("model_id"))
        ref = model_ref(hub, mv)
        bands = _bands(effective_settings(s.get(ProjectAssist, project_id)))
        evidence = suggested_bands(mv)
        if evidence is None and (mv.metrics or {}).get("evaluated_on") == "training labels":
            evidence = {"upper": 1.0, "unmeasured": True}  # trained here on too few labels to keep any out
        schema = project_schema(s, project)
        ids = list(s.scalars(select(Item.id).where(*_eligible(project_id, ref.tag, only_unlabelled)).order_by(Item.id)))
    result = PrelabelResult(model_version=ref.tag, items=len(ids))
    bands = _evidence_bound(bands, evidence, ref.tag, result)
    report(0.0, f"loading model {ref.tag}")
    predictor = load_model(ref)
    batch_size = max(batch_size, int(getattr(predictor, "batch_hint", 0) or 0))  # see ClassifierPredictor
    total = len(ids)
    try:
        for start in range(0, total, batch_size):
            report(start / total, f"pre-labelled {start} of {total} items")
            chunk = ids[start : start + batch_size]
            with hub.db.session() as s:
                inputs = item_inputs(s, hub, project_id, chunk)
            preds = {p.item_id: p for p in _predict(predictor, inputs)}
            rows_by_item: dict[int, list[dict[str, Any]]] = {}
            for item in inputs:
                pred = preds.get(item.item_id) or Prediction(item.item_id, error="the model returned nothing")
                rows = _rows_for(pred, item, bands, schema, ref.tag, result)
                if rows is not None:  # [] when all were dropped: earlier proposals are still replaced
                    rows_by_item[item.item_id] = rows
            _write_batch(hub, project_id, ref.tag, only_unlabelled, rows_by_item, result)
    except BaseException as exc:
        # The batches written so far stay (each committed on its own): the audit log says so, and how it ended.
        if result.accepted or result.proposed or result.replaced:
            try:
                _audit_run(hub, actor, project_id, result,
                           ended="cancelled" if isinstance(exc, JobCancelled) else "failed")  # fmt: skip
            except Exception:  # the database that failed the run may fail this too: the run's own error goes up
                log.exception("project %s: the audit event of a pre-labelling that stopped early was not written",
                              project_id)  # fmt: skip
        raise
    finally:
        close = getattr(predictor, "close", None)
        if callable(close):
            close()
    report(1.0, f"pre-labelled {total} of {total} items")
    _audit_run(hub, actor, project_id, result)
    if total and result.errors_total >= total:
        raise _all_failed(result)
    return result.to_json()


def _audit_run(hub: Hub, actor: Actor, project_id: int, result: PrelabelResult, ended: str | None = None) -> None:
    """Record the run's ``prelabel.run`` event with its counts; ``ended`` says why a run stopped early."""
    detail = {k: v for k, v in result.to_json().items() if k != "errors"}
    with hub.db.session(write=True) as s:
        audit.record(s, actor, "prelabel.run", "project", project_id, project_id=project_id,
                     detail=detail if ended is None else detail | {"ended": ended})  # fmt: skip


def _all_failed(result: PrelabelResult) -> PrelabelFailed:
    """The error of a run where every item failed: how many, and the first error (most often all say the same)."""
    n = result.errors_total
    first = result.errors[0] if result.errors else {"item_id": "?", "error": "no error recorded"}
    which = "its only item" if n == 1 else f"all {n:,} items"
    detail = (f"{which} failed with {result.model_version}, so nothing was pre-labelled; the first error: "
              f"item {first['item_id']}: {first['error']}")  # fmt: skip
    return PrelabelFailed(detail, field="model_id", model_version=result.model_version, items=result.items,
                          errors_total=n, errors=result.errors)  # fmt: skip


def _predict(predictor: Predictor, inputs: list[ItemInput]) -> list[Prediction]:
    """Run one batch; a predictor that raises fails the batch's items, not the job."""
    try:
        return predictor.predict(inputs)
    except Exception as exc:  # noqa: BLE001 - a model is foreign code (a user file, a server): it fails the batch
        detail = exc.detail if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        return [Prediction(it.item_id, error=detail) for it in inputs]


def _bands(settings: dict[str, Any]) -> Bands:
    return Bands(float(settings["lower"]), float(settings["upper"]))


def _evidence_bound(bands: Bands, evidence: dict[str, Any] | None, tag: str, result: PrelabelResult) -> Bands:
    """The project's bands, with the accept bound raised to what the model's held-out labels support.

    A model is trusted to label by itself only as far as its own held-out labels say it is right 98 % of the time
    (``suggest_bands``): a project's upper bound below that accepted labels nobody checked at a precision nobody
    measured (a 300-label model, 60 % right on its held-out labels, accepted 1,082 labels at the default 0.95, 66
    of them wrong). The bound is only ever raised: a stricter project keeps its own. A model trained here on too
    few labels to hold any out has no measured precision and accepts nothing; a model from elsewhere (a remote
    server, a detector), which labelhub cannot measure, keeps the project's bands.
    """
    result.upper = bands.upper
    if evidence is None or float(evidence["upper"]) <= bands.upper:
        return bands
    upper = float(evidence["upper"])
    result.upper = upper
    if evidence.get("unmeasured"):
        result.upper_note = (
            f"accepted nothing: {tag} was trained on too few labels to keep any out, so its precision is not "
            "measured (train it again with more labels)"
        )
    else:
        result.upper_note = (
            f"accepted only above {upper:.4g}, not the project's {bands.upper:.4g}: {tag}'s held-out labels do "
            "not reach 98 % precision below it" + (" (nothing is accepted)" if upper >= 1.0 else "")
        )
    return Bands(min(bands.lower, upper), upper)
