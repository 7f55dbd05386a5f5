"""A merged consensus item sent back to labelling starts a new round: see :func:`restart_if_reopened`.

``Item.overlap`` stays set after a merge (it says the item is labelled by that many people; the agreement report
and the item's Consensus panel read it). Without this, an item whose status went back to new or in progress (a
save that removed every accepted label, or set the status back) would be "under consensus" again with the old
round's replicas, all submitted: the next person's submission would merge them again at once, and nobody would
label it afresh.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from labelhub.domain.consensus import TIE_TAG, reopened
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.storage.models import Item
from labelhub.storage.team_models import ConsensusReplica

__all__ = ["restart_if_reopened"]


def restart_if_reopened(
    session: Session, actor: Actor, project_id: int, item_id: int, before: str | None, after: str
) -> int | None:
    """When a write in the current transaction takes a consensus item (overlap 2 or more) from labelled back to
    new or in progress (``before`` -> ``after``), start its consensus afresh in the same transaction and return
    how many replicas went (None: nothing to do).

    The old round's replicas are deleted (each person labels it again, from nothing), and its merge record leaves
    the item's meta (``agreement``, ``consensus``, and the ``consensus-tie`` tag the merge put on); one
    ``consensus.reset`` audit event keeps what went: the replicas' count and people, the old agreement.
    """
    if not reopened(before, after):
        return None
    row = session.execute(select(Item.overlap, Item.meta).where(Item.id == item_id)).first()
    if row is None or (row.overlap or 0) < 2:
        return None
    replicas = session.execute(
        select(ConsensusReplica.user_id).where(ConsensusReplica.item_id == item_id).order_by(ConsensusReplica.id)
    ).scalars().all()  # fmt: skip
    meta = dict(row.meta or {})
    merge = meta.pop("consensus", None)
    agreement = meta.pop("agreement", None)
    if not replicas and merge is None:
        return None
    if isinstance(merge, dict) and merge.get("flags"):
        meta["tags"] = [t for t in meta.get("tags") or [] if t != TIE_TAG]
    session.execute(delete(ConsensusReplica).where(ConsensusReplica.item_id == item_id))
    session.execute(
        update(Item).where(Item.id == item_id).values(meta=meta).execution_options(synchronize_session=False)
    )
    audit.record(session, actor, "consensus.reset", "item", item_id, project_id=project_id,
                 detail={"replicas": len(replicas), "users": list(replicas), "overlap": row.overlap,
                         "agreement": agreement, "status": [before, after]})  # fmt: skip
    return len(replicas)
