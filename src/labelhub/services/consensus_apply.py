"""Writing a consensus merge: the merged labels replace the item's annotations (see :mod:`.consensus_merge`)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from labelhub.domain.agreement_pairs import class_tags, pair_scores, pair_table
from labelhub.domain.consensus import TIE_TAG
from labelhub.domain.enums import AnnotationState, ItemStatus, Source
from labelhub.errors import NotFoundError
from labelhub.services import audit
from labelhub.services._stale import stale_item
from labelhub.services.access import Actor
from labelhub.services.annotations import list_annotations
from labelhub.services.consensus_merge import merge_replicas
from labelhub.services.retrain import maybe_retrain
from labelhub.storage.models import Annotation, Item, utcnow
from labelhub.storage.team_models import ConsensusReplica

__all__ = ["TIE_TAG", "merge_item"]

_ANNOTATIONS = cast(Table, Annotation.__table__)
_ITEMS = cast(Table, Item.__table__)


def merge_item(session: Session, actor: Actor, project_id: int, item_id: int, *,
               forced: bool) -> tuple[int, list[dict[str, Any]]]:  # fmt: skip
    """Merge the item's submitted replicas into its annotations, in the current write transaction, and return
    the item's new version and its annotations (AnnotationPublic shape). The caller checked that the item is
    under consensus and has at least two submitted replicas.

    The item becomes ``labeled`` (the review queue takes it), ``meta["agreement"]`` holds the replicas' mean
    pairwise agreement and ``meta["consensus"]`` how many merged and what was flagged (ties also tag the item
    ``consensus-tie``). Any annotation the item held (a model's proposals, say) is replaced.
    """
    row = session.execute(
        select(Item.version, Item.meta, Item.width, Item.height, Item.overlap, Item.status)
        .where(Item.id == item_id, Item.project_id == project_id)
    ).first()  # fmt: skip
    if row is None:
        raise NotFoundError(f"item {item_id} not found in project {project_id}", field="item_id")
    replicas = session.execute(
        select(ConsensusReplica.user_id, ConsensusReplica.annotations)
        .where(ConsensusReplica.item_id == item_id, ConsensusReplica.submitted.is_(True))
        .order_by(ConsensusReplica.id)
    ).all()  # fmt: skip
    labels = [list(r.annotations or []) for r in replicas]
    merged = merge_replicas(labels, width=row.width, height=row.height)
    pairs = pair_scores([(r.user_id, lab) for r, lab in zip(replicas, labels, strict=True)])
    agreement = pair_table({item_id: pairs})[0].get(item_id)
    score = round(agreement, 4) if agreement is not None else None
    meta = dict(row.meta or {})
    meta["agreement"] = score
    # The pair scores and class tags stay with the merge: the agreement report reads them (domain.agreement_pairs).
    meta["consensus"] = {"of": len(labels), "overlap": row.overlap, "forced": forced, "flags": merged.flags,
                         "users": [r.user_id for r in replicas], "pairs": [list(p) for p in pairs],
                         "classes": {str(r.user_id): t for r, lab in zip(replicas, labels, strict=True)
                                     if (t := class_tags(lab))}}  # fmt: skip
    if merged.flags:
        tags = [t for t in meta.get("tags") or [] if isinstance(t, str)]
        meta["tags"] = [*tags, TIE_TAG] if TIE_TAG not in tags else tags
    now = utcnow()
    done = session.execute(
        update(_ITEMS).where(_ITEMS.c.id == item_id, _ITEMS.c.version == row.version)
        .values(version=_ITEMS.c.version + 1, status=ItemStatus.LABELED.value, meta=meta, updated_at=now)
    )  # fmt: skip
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise stale_item(item_id, row.version, session.scalar(select(Item.version).where(Item.id == item_id)))
    removed = session.execute(delete(_ANNOTATIONS).where(_ANNOTATIONS.c.item_id == item_id)).rowcount  # type: ignore[attr-defined]
    if merged.annotations:
        session.execute(insert(_ANNOTATIONS), [
            {"item_id": item_id, "project_id": project_id, "kind": a["kind"], "label": a["label"],
             "geometry": a["geometry"], "frame": None, "track_id": None, "source": Source.HUMAN.value,
             "model_version": None, "score": None, "state": AnnotationState.ACCEPTED.value,
             "attributes": a["attributes"], "author_id": None, "reviewed_by": None, "version": 1,
             "created_at": now, "updated_at": now}
            for a in merged.annotations
        ])  # fmt: skip
    maybe_retrain(session, project_id)
    audit.record(session, actor, "consensus.merge", "item", item_id, project_id=project_id,
                 detail={"replicas": len(labels), "overlap": row.overlap, "forced": forced, "agreement": score,
                         "annotations": len(merged.annotations), "replaced": removed,
                         "flags": [f["kind"] for f in merged.flags]})  # fmt: skip
    return row.version + 1, [r._asdict() for r in list_annotations(session, item_id)]
