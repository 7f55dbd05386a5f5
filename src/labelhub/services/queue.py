"""The labelling queue: which items a person should label next, best first (``GET .../queue``, the editor's next).

Candidates are the project's items still to label: status ``new`` and no accepted annotation. Items someone
sent to labelling from the embedding map (``meta.priority``) come first, highest priority first. The rest are
ranked by the project's active-learning strategy (:mod:`labelhub.assist.strategies`) with the active model's
probabilities; ``bald`` takes each item's BALD score, computed from SWAG's per-sample probabilities when the
item is predicted (the samples are not kept: see :mod:`~labelhub.services.queue_cache`), ``kcenter`` and
``hybrid`` embeddings (the search index's stored ``embeddings`` when they cover the pool, else the model's own
features). A strategy whose input the model cannot give falls back to ``entropy`` (or ``margin`` for
``hybrid``), and says so in each item's ``reason``. Without a model the order is a random permutation seeded by
the project id.

To answer quickly on a large project the model scores at most :data:`POOL_CAP` candidates (the lowest ids),
and the ranking is kept in the hub's :class:`~labelhub.services.queue_cache.QueueCache` per (project, model
version, label count, pool): a save that labels an item changes the pool, so the next call ranks again, from
the model's predictions of the pool kept there too (a label does not change the model: only the strategy runs
again, not the model).

Assignment (:mod:`labelhub.services.assignment`): a member gets the items assigned to them first, then the
unassigned ones, each group ranked as above on its own; an item assigned to someone else is never offered (but
one under consensus, which needs several people, is: its assignee just gets it first). A
group's ranking is cached by its pool's ids (hashed), so an assignment that swaps items between groups ranks
again; the unassigned group's ranking is shared by every member.

Consensus (:mod:`labelhub.services.consensus`): an item that several people label independently stays in the
queue until its last person submits (it is merged then), but is never offered again to someone who submitted it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from labelhub.assist.predictors import Prediction, Predictor
from labelhub.domain.enums import AnnotationState
from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.services.access import Actor, require
from labelhub.services.assist_settings import active_model, effective_settings
from labelhub.services.consensus import not_submitted_by
from labelhub.services.items import to_label
from labelhub.services.models import count_human_labels, item_inputs, model_ref
from labelhub.services.prelabel import load_model
from labelhub.services.queue_cache import Scored
from labelhub.services.queue_claims import claim_first, held_by_others
from labelhub.storage.models import PRIORITY_SET, Annotation, Embedding, Item, ModelVersion, ProjectAssist

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["POOL_CAP", "QueueEntry", "QueueView", "next_item", "queue"]
_CLAIM_TRIES = 3  # "next" reads the queue again at most this often when others took every item it offered

POOL_CAP = 5_000
MAX_LIMIT = 200
_BATCH = 256


SNIPPET = 160  # characters of a text item's text shown with its queue entry


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: int
    name: str
    kind: str
    score: float | None
    reason: str
    text: str | None = None  # the start of a text item's text


@dataclass(frozen=True, slots=True)
class QueueView:
    strategy: str
    model_version: str | None
    items: list[QueueEntry]
    pool: int  # candidates the model scored
    capped: bool  # True when there were more than POOL_CAP candidates (the rest wait for a later call)


def _priority() -> Any:
    return func.coalesce(Item.meta["priority"].as_float(), 0.0)


def _predictor(hub: Hub, mv: ModelVersion) -> Predictor:
    key = (mv.id, mv.created_at)  # the time tells a recreated database's id 1 apart
    found = hub.queue.predictors.get(key)
    if found is None:
        found = load_model(model_ref(hub, mv))
        hub.queue.predictors.put(key, found)
    return found


def _embeddings(session: Session, project_id: int, ids: list[int]) -> npt.NDArray[np.float32] | None:
    """The stored embeddings of ``ids`` in the project's fullest space, when every id has one."""
    space = session.scalar(
        select(Embedding.space).where(Embedding.project_id == project_id).group_by(Embedding.space)
        .order_by(func.count().desc(), Embedding.space).limit(1)
    )  # fmt: skip
    if space is None:
        return None
    found: dict[int, bytes] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        q = select(Embedding.item_id, Embedding.vector).where(
            Embedding.project_id == project_id, Embedding.space == space, Embedding.item_id.in_(chunk)
        )
        found.update({r.item_id: r.vector for r in session.execute(q)})
    if len(found) != len(ids):
        return None
    return np.stack([np.frombuffer(found[i], dtype="<f4") for i in ids]).astype(np.float32)


def _model_features(session: Session, hub: Hub, project_id: int, mv: ModelVersion, predictor: Predictor,
                    ids: list[int]) -> npt.NDArray[np.float32] | None:  # fmt: skip
    """The model's own embeddings of ``ids`` (None when it has none for some), cached in the hub as predictions are."""
    embed = getattr(predictor, "embed", None)
    if not callable(embed):
        return None
    cache = hub.queue.features.get_or_put((mv.id, mv.created_at), dict)
    missing = [i for i in ids if i not in cache]
    if missing:
        try:
            vectors = np.asarray(embed(item_inputs(session, hub, project_id, missing)), dtype=np.float32)
        except (ValidationError, ValueError, RuntimeError):
            return None
        cache.update(zip(missing, vectors, strict=True))
    return np.stack([cache[i] for i in ids])


def _scored(preds: list[Prediction]) -> dict[int, Scored]:
    """What the queue keeps of the usable predictions of one batch: the probabilities, and BALD's score where the
    model gave SWAG's samples, computed here over the batch (an item's score depends on its samples only, so it
    is the score a ranking of the whole pool would compute); the samples are then let go."""
    from labelhub.assist.strategies import bald_scores  # PyTorch comes with the strategies: loaded on first use

    sampled = [(p.item_id, p.samples) for p in preds if p.samples is not None]
    bald = bald_scores(np.stack([s for _, s in sampled], axis=1)) if sampled else None
    scores = {i: float(bald[n]) for n, (i, _) in enumerate(sampled)} if bald is not None else {}
    return {p.item_id: Scored.of(p.probs, scores.get(p.item_id)) for p in preds if p.probs is not None}


def _predictions(session: Session, hub: Hub, project_id: int, mv: ModelVersion, predictor: Predictor,
                 ids: list[int]) -> tuple[dict[int, Scored], dict[int, str]]:  # fmt: skip
    """What the model says of ``ids``, and why it could not score the others: from the hub's cache where it holds
    them (a label changes the pool, not the model), the rest predicted in as few calls as the predictor likes
    (``batch_hint``: a SWAG text model draws its weight samples once per call). An item the model could not
    score is not kept, and is tried again next time."""
    cache = hub.queue.predictions.get_or_put((mv.id, mv.created_at), dict)
    missing = [i for i in ids if i not in cache]
    failed: dict[int, str] = {}
    batch = max(_BATCH, int(getattr(predictor, "batch_hint", 0) or 0))
    for start in range(0, len(missing), batch):
        inputs = item_inputs(session, hub, project_id, missing[start : start + batch])
        try:
            preds = predictor.predict(inputs)
        except Exception as exc:  # noqa: BLE001 - a foreign model must not break the queue: its items go unscored
            preds = [Prediction(it.item_id, error=f"{type(exc).__name__}: {exc}") for it in inputs]
        bad = {p.item_id: p.error or "it gave no class probabilities" for p in preds if p.error or p.probs is None}
        failed |= bad
        cache.update(_scored([p for p in preds if p.item_id not in bad]))
    found = {i: cache[i] for i in ids if i in cache}
    return found, {i: failed.get(i, "the model returned nothing") for i in ids if i not in found}


def _rank(session: Session, hub: Hub, project_id: int, mv: ModelVersion, strategy: str,
          ids: list[int]) -> list[tuple[int, float | None, str]]:  # fmt: skip
    """Return the first :data:`MAX_LIMIT` (item id, score, reason) of the pool, best first, by ``strategy``.

    The batch strategies (k-center, hybrid, BADGE, cluster-margin) pick a whole batch at once, so a shorter
    batch could start with another item: ranking always :data:`MAX_LIMIT` deep keeps the editor's "next" the
    queue's first item, whatever ``limit`` a list asks for.
    """
    predictor = _predictor(hub, mv)
    # The strategies load PyTorch (BADGE's gradient embeddings): imported when a queue is first ranked.
    from labelhub.assist import strategies as st

    spec = st.get_strategy(strategy)
    scored, errors = _predictions(session, hub, project_id, mv, predictor, ids)
    pool_ids = [i for i in ids if i in scored]
    usable = [scored[i] for i in pool_ids]
    failed: list[tuple[int, float | None, str]] = [
        (i, None, f"the model could not score it: {errors[i]}") for i in ids if i in errors
    ]
    if not usable:
        rng = np.random.default_rng(project_id)
        order = rng.permutation(len(ids))[:MAX_LIMIT]
        return [(ids[int(i)], None, "random: the model gives no class probabilities") for i in order]
    probs = np.stack([p.probs for p in usable])
    used, note = strategy, ""
    bald: npt.NDArray[np.float64] | None = None
    if spec.needs_samples:
        if all(p.bald is not None for p in usable):
            bald = np.array([p.bald for p in usable], dtype=np.float64)
        else:
            used, note = "entropy", f" ({strategy} needs SWAG samples; this model has none)"
    embeddings = labelled = None
    if spec.needs_embeddings and used == strategy:
        embeddings = _embeddings(session, project_id, pool_ids)
        if embeddings is None:
            embeddings = _model_features(session, hub, project_id, mv, predictor, pool_ids)
        if embeddings is None:
            used = "margin" if strategy == "hybrid" else "entropy"
            note = f" ({strategy} needs embeddings: compute them with `labelhub embed`, or use a model with features)"
    if used == strategy and embeddings is not None:
        labelled = _labelled_embeddings(session, project_id, embeddings.shape[1])
    k = min(MAX_LIMIT, len(usable))
    if bald is not None:
        # BALD's pick from the scores kept with the predictions (see queue_cache): highest first, ties to the
        # lower index, as strategies' bald picks from the samples.
        picks = np.lexsort((np.arange(len(bald)), -bald))[:k]
    else:
        pool = st.Pool(probs=probs, embeddings=embeddings, labelled=labelled)
        picks = st.select(used, pool, k, seed=project_id)
    named = {"least_confidence": st.least_confidence_scores, "margin": st.margin_scores, "entropy": st.entropy_scores}
    scores = bald if bald is not None else (named[used](probs) if used in named else st.margin_scores(probs))
    shown = used if used in named or used == "bald" else "margin"
    out: list[tuple[int, float | None, str]] = [
        (
            pool_ids[int(i)],
            round(float(scores[int(i)]), 6),
            f"{used}; {shown} {float(scores[int(i)]):.3f}{note}",
        )
        for i in picks
    ]
    return (out + failed)[:MAX_LIMIT]


def _labelled_embeddings(session: Session, project_id: int, dim: int) -> npt.NDArray[np.float32] | None:
    """Stored embeddings of up to POOL_CAP labelled items (k-center keeps away from them), in any space of ``dim``."""
    a = Annotation
    rows = session.execute(
        select(Embedding.vector).join(Item, Item.id == Embedding.item_id)
        .where(Embedding.project_id == project_id, Embedding.dim == dim,
               exists().where(a.item_id == Item.id, a.project_id == project_id,
                              a.state == AnnotationState.ACCEPTED.value))
        .order_by(Embedding.item_id).limit(POOL_CAP)
    ).scalars().all()  # fmt: skip
    if not rows:
        return None
    return np.stack([np.frombuffer(v, dtype="<f4") for v in rows]).astype(np.float32)


def queue(session: Session, hub: Hub, actor: Actor, project_id: int, *, strategy: str | None = None,
          limit: int = 50) -> QueueView:  # fmt: skip
    """Return the next items to label in the project, best first: the actor's assigned items, then unassigned
    ones (never an item assigned to someone else), each group in the active-learning order."""
    require(session, actor, project_id, Action.READ)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be 1..{MAX_LIMIT}, got {limit}", field="limit")
    settings = effective_settings(session.get(ProjectAssist, project_id))
    strategy = strategy or str(settings["strategy"])
    from labelhub.assist.strategies import get_strategy

    get_strategy(strategy)  # 422 naming the known strategies
    mv = active_model(session, project_id, settings)
    groups: list[ColumnElement[bool]] = [Item.assignee_id.is_(None)]
    if actor.user_id is not None:  # the system actor has no assignments: it gets the unassigned pool only
        # An item under consensus needs several people: its assignee gets it first, the others still may.
        shared = and_(Item.overlap >= 2, Item.assignee_id != actor.user_id)
        groups = [Item.assignee_id == actor.user_id, or_(Item.assignee_id.is_(None), shared)]
        # Consensus: an item goes to ``overlap`` different people, never back to one who submitted their labels.
        groups = [and_(g, not_submitted_by(actor.user_id)) for g in groups]
    entries: list[QueueEntry] = []
    pool, capped = 0, False
    skip = held_by_others(session, project_id, actor) if hub.settings.queue_claim_minutes > 0 else set()
    for n, whose in enumerate(groups):
        if len(entries) >= limit:
            break
        got, size, cut = _group(session, hub, project_id, mv, strategy, whose, limit - len(entries), skip)
        if n == 0 and len(groups) == 2:
            got = [replace(e, reason=f"assigned to you; {e.reason}") for e in got]
        entries += got
        pool, capped = pool + size, capped or cut
    return QueueView(strategy=strategy, model_version=f"{mv.name}@{mv.version}" if mv is not None else None,
                     items=entries, pool=pool, capped=capped)  # fmt: skip


def _group(session: Session, hub: Hub, project_id: int, mv: ModelVersion | None, strategy: str,
           whose: ColumnElement[bool], limit: int, skip: set[int]) -> tuple[list[QueueEntry], int, bool]:  # fmt: skip
    """The first ``limit`` entries of one assignment group (``whose``), the pool it ranked, and whether it was
    capped: items sent to labelling first, then the strategy's ranking of the rest (cached by the pool's ids).
    Items in ``skip`` (claimed by others) are ranked with the pool but left out of the entries."""
    prio = _priority()
    start = func.substr(Item.text, 1, SNIPPET).label("start")
    # ``prio > 0`` implies PRIORITY_SET: the items it can hold come from their partial index, a short list, instead
    # of every item still to label (a 1M-item project: 0.2-2.8 s on SQLite). On its own (in a subquery) the condition
    # makes SQLite choose that index, which it passes over beside the other conditions.
    few = aliased(Item)
    has_priority = select(few.id).where(
        few.project_id == project_id, text(PRIORITY_SET[session.get_bind().dialect.name])
    )
    first = session.execute(
        select(Item.id, Item.name, Item.kind, start, prio.label("p"))
        .where(*to_label(project_id), whose, Item.id.in_(has_priority), prio > 0, Item.id.not_in(skip))
        .order_by(prio.desc(), Item.id).limit(limit)
    ).all()  # fmt: skip
    entries = [QueueEntry(r.id, r.name, r.kind, float(r.p), "sent to labelling (priority)", r.start) for r in first]
    ids = list(session.scalars(
        select(Item.id).where(*to_label(project_id), whose, prio <= 0).order_by(Item.id).limit(POOL_CAP + 1)
    ))  # fmt: skip
    capped = len(ids) > POOL_CAP
    ids = ids[:POOL_CAP]
    room = limit - len(entries)
    ranked: list[tuple[int, float | None, str]] = []
    if room > 0 and ids:
        if mv is None:
            order = np.random.default_rng(project_id).permutation(len(ids))
            free = [ids[int(i)] for i in order if ids[int(i)] not in skip][:room]
            ranked = [(i, None, "random: the project has no model yet") for i in free]
        else:
            # The pool's ids themselves (hashed) are in the key: an assignment may swap items in and out of a
            # group and leave its size and ends as they were.
            key = (project_id, mv.id, mv.created_at, count_human_labels(session, project_id), strategy,
                   len(ids), ids[0], ids[-1], hash(tuple(ids)))  # fmt: skip
            cached = hub.queue.ranks.get(key)
            if cached is None:
                cached = _rank(session, hub, project_id, mv, strategy, ids)
                hub.queue.ranks.put(key, cached)
            pooled = set(ids)
            ranked = [r for r in cached if r[0] in pooled and r[0] not in skip][:room]
    names = {r.id: r for r in session.execute(
        select(Item.id, Item.name, Item.kind, start).where(Item.id.in_([i for i, _, _ in ranked])))}  # fmt: skip
    entries += [QueueEntry(i, names[i].name, names[i].kind, score, reason, names[i].start)
                for i, score, reason in ranked if i in names]  # fmt: skip
    return entries, len(ids), capped


def next_item(session: Session, hub: Hub, actor: Actor, project_id: int, after: int | None = None) -> int | None:
    """Return the item the editor's "next" opens: the queue's item after ``after`` (the one on screen) when that
    is still in the queue, else the queue's first item that is not ``after``; None when nothing is left.

    The item is claimed for the actor (:mod:`~labelhub.services.queue_claims`), so the others' "next" passes over
    it for a while; the claim steps past the items someone claimed since this session's view of the queue, in
    queue order, and when others took all of them the queue is read again."""
    taken: set[int] = set()
    for _ in range(_CLAIM_TRIES):
        ids = [e.id for e in queue(session, hub, actor, project_id, limit=MAX_LIMIT).items if e.id not in taken]
        if after is not None and after in ids:
            pos = ids.index(after)
            order = ids[pos + 1 :] + ids[:pos]
        else:
            order = [i for i in ids if i != after]
        if not order:
            return None
        with hub.db.session(write=True) as s:
            found = claim_first(s, actor, project_id, order, minutes=hub.settings.queue_claim_minutes)
        if found is not None:
            return found
        taken.update(order)
        # Others claimed all of them since this session's snapshot: read the queue again in a new one.
        session.rollback()
    return None
