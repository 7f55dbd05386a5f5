"""What reviewers see of consensus labelling: one item's replicas side by side, and the project's agreement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from labelhub.domain.agreement import class_alpha, item_agreement, pairwise_matrix
from labelhub.domain.agreement_pairs import class_replica, pair_scores, pair_table
from labelhub.domain.permissions import Action
from labelhub.services.access import Actor, check_item_access, require
from labelhub.services.consensus import OPEN
from labelhub.storage.models import Item, User
from labelhub.storage.team_models import ConsensusReplica

__all__ = ["MAX_ITEMS", "AgreementReport", "ItemConsensus", "item_consensus", "project_agreement"]

MAX_ITEMS = 5_000  # the report reads the replicas of the project's most recent consensus items, up to this many
_I = cast(Table, Item.__table__).c
_R = ConsensusReplica


@dataclass(frozen=True, slots=True)
class ReplicaRow:
    user_id: int
    username: str
    submitted: bool
    version: int
    updated_at: datetime
    annotations: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ItemConsensus:
    """An item's replicas (who, submitted or not, their labels) and their pairwise agreement, in the same order."""

    item_id: int
    overlap: int
    status: str
    merged: bool
    agreement: float | None
    flags: list[dict[str, Any]]
    replicas: list[ReplicaRow]
    matrix: list[list[float]]


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {r[0]: r[1] for r in session.execute(select(User.id, User.username).where(User.id.in_(sorted(ids))))}


def item_consensus(session: Session, actor: Actor, project_id: int, item_id: int) -> ItemConsensus:
    """Return every replica of an item with the pairwise agreement matrix: what a reviewer compares (reviewers)."""
    cols = [_I.overlap, _I.status, _I.meta]
    _, _, (overlap, status, meta) = check_item_access(session, actor, project_id, item_id, Action.REVIEW, cols)
    rows = session.execute(select(_R).where(_R.item_id == item_id).order_by(_R.id)).scalars().all()
    names = _names(session, {r.user_id for r in rows})
    replicas = [ReplicaRow(r.user_id, names.get(r.user_id, f"user {r.user_id}"), r.submitted, r.version,
                           r.updated_at, list(r.annotations or [])) for r in rows]  # fmt: skip
    merged = (overlap or 0) >= 2 and status not in OPEN and bool(rows)
    info = (meta or {}).get("consensus") or {}
    agreement = (meta or {}).get("agreement") if merged else None
    if agreement is None:
        found = item_agreement([r.annotations for r in replicas if r.submitted])
        agreement = round(found, 4) if found is not None else None
    return ItemConsensus(item_id, overlap or 0, status, merged, agreement, list(info.get("flags") or []), replicas,
                         pairwise_matrix([r.annotations for r in replicas]))  # fmt: skip


@dataclass(frozen=True, slots=True)
class AnnotatorRow:
    user_id: int
    username: str
    agreement: float | None  # mean agreement with the others on the items they share
    items: int  # items where they and someone else submitted
    submitted: int  # replicas they submitted in all


@dataclass(frozen=True, slots=True)
class ItemScore:
    item_id: int
    name: str
    status: str
    agreement: float
    replicas: int


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """The project's consensus figures: Krippendorff's alpha of the class tags (None: not defined), the mean item
    agreement, per-annotator agreement, counts of items waiting and merged, and the items people agreed least on."""

    alpha: float | None
    mean_agreement: float | None
    items_open: int  # under consensus, not merged yet
    items_merged: int
    items_scored: int  # items with two or more submitted replicas (the report's base)
    capped: bool  # more than MAX_ITEMS consensus items: the figures are of the most recent ones
    annotators: list[AnnotatorRow]
    lowest: list[ItemScore]


def _stored(meta: Any, status: str) -> dict[str, Any] | None:
    """The pair scores kept with a merged item (None: not merged, or merged before they were kept)."""
    record = (meta or {}).get("consensus") if status not in OPEN and isinstance(meta, dict) else None
    if isinstance(record, dict) and isinstance(record.get("pairs"), list) and isinstance(record.get("users"), list):
        return record
    return None


def project_agreement(session: Session, actor: Actor, project_id: int, *, lowest: int = 20) -> AgreementReport:
    """Return the project's agreement report (reviewers): see :class:`AgreementReport`.

    A merged item's pair scores and class tags are read from its merge record (``meta["consensus"]``, kept by
    ``consensus_apply.merge_item``); only items not merged yet, and items merged before the record kept them,
    have their submitted replicas read and compared here."""
    require(session, actor, project_id, Action.REVIEW, doing="reading the project's agreement")
    consensus = (Item.project_id == project_id, Item.overlap >= 2)
    by_status = session.execute(select(Item.status, func.count()).where(*consensus).group_by(Item.status)).all()
    counts = {True: 0, False: 0}
    for status, n in by_status:
        counts[status in OPEN] += int(n)
    items = session.execute(
        select(Item.id, Item.name, Item.status, Item.meta).where(*consensus).order_by(Item.id.desc())
        .limit(MAX_ITEMS + 1)
    ).all()  # fmt: skip
    capped = len(items) > MAX_ITEMS
    facts = {r.id: r for r in items[:MAX_ITEMS]}
    pairs: dict[int, list[Any]] = {}  # item -> [user, user, score]
    units: dict[int, dict[int, Any]] = {}  # item -> user -> replica (class tags only, for a stored one)
    submitted: dict[int, int] = defaultdict(int)
    for iid, row in facts.items():
        if (record := _stored(row.meta, row.status)) is None:
            continue
        tags = record.get("classes") or {}
        units[iid] = {int(u): class_replica(tags.get(str(u)) or []) for u in record["users"]}
        pairs[iid] = list(record["pairs"])
        for u in units[iid]:
            submitted[u] += 1
    by_item: dict[int, dict[int, list[dict[str, Any]]]] = defaultdict(dict)
    ids = sorted(set(facts) - set(units))
    for start in range(0, len(ids), 5000):
        q = select(_R.item_id, _R.user_id, _R.annotations).where(
            _R.item_id.in_(ids[start : start + 5000]), _R.submitted.is_(True)
        ).order_by(_R.id)  # fmt: skip
        for r in session.execute(q):
            by_item[r.item_id][r.user_id] = list(r.annotations or [])
            submitted[r.user_id] += 1
    for iid, reps in by_item.items():
        if len(reps) >= 2:
            units[iid] = reps
            pairs[iid] = pair_scores(list(reps.items()))  # one comparison per pair of people
    scores, per_user = pair_table(pairs)
    names = _names(session, set(submitted))
    annotators = sorted(
        (AnnotatorRow(u, names.get(u, f"user {u}"), round(per_user[u][0], 4) if u in per_user else None,
                      per_user[u][1] if u in per_user else 0, n) for u, n in submitted.items()),
        key=lambda a: (a.agreement is None, a.agreement if a.agreement is not None else 0.0, a.username),
    )  # fmt: skip
    worst = sorted(scores, key=lambda i: (scores[i], i))[:lowest]
    alpha = class_alpha(units.values())
    return AgreementReport(
        alpha=round(alpha, 4) if alpha is not None else None,
        mean_agreement=round(sum(scores.values()) / len(scores), 4) if scores else None,
        items_open=int(counts.get(True, 0)),
        items_merged=int(counts.get(False, 0)),
        items_scored=len(scores),
        capped=capped,
        annotators=annotators,
        lowest=[ItemScore(i, facts[i].name, facts[i].status, round(scores[i], 4), len(units[i])) for i in worst],
    )
