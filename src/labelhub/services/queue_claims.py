"""Claims: the item the labelling queue's "next" hands to a person is kept from the others' "next" for a while.

Label Studio locks a task for the annotator it is shown to. Without that, people pressing "next" on the same
unassigned pool were all sent its first item, and all but the first to save met a conflict (a quarter of the saves
at 50 users in ``benchmarks/bench_load.py``). A claim is a row of :class:`ItemClaim` (item, person, expiry),
written when "next" hands the item out (:func:`claim`), replaced by the person's next one (a person holds one
claim per project), and ignored once expired (``LABELHUB_QUEUE_CLAIM_MINUTES``, 10 by default; 0 turns claims
off). The queue (:mod:`labelhub.services.queue`) passes over items others hold (:func:`held_by_others`). The review
queue's "next" (:mod:`labelhub.services.review_queue`) claims labelled items in the same table.

Claims only order the work: opening an item from the grid, or saving it, is never refused because someone holds
it (the item's version still catches a concurrent edit). An item under consensus, which several people label
on purpose, is never claimed, and neither is one handed to someone who may not annotate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action, allows
from labelhub.services.access import Actor, role_in
from labelhub.storage.models import Item, utcnow
from labelhub.storage.team_models import ItemClaim


def held_by_others(session: Session, project_id: int, actor: Actor, now: datetime | None = None) -> set[int]:
    """The items of the project that someone other than ``actor`` holds a live claim on."""
    now = now or utcnow()
    stmt = select(ItemClaim.item_id).where(ItemClaim.project_id == project_id, ItemClaim.expires_at > now)
    if actor.user_id is not None:
        stmt = stmt.where(ItemClaim.user_id != actor.user_id)
    return set(session.scalars(stmt))


def claim(session: Session, actor: Actor, project_id: int, item_id: int, *, minutes: float,
          now: datetime | None = None) -> bool:  # fmt: skip
    """Give ``actor`` the claim on ``item_id`` for ``minutes``; False when someone else holds a live claim on it
    (:func:`claim_first` with one item)."""
    return claim_first(session, actor, project_id, [item_id], minutes=minutes, now=now) is not None


def claim_first(session: Session, actor: Actor, project_id: int, item_ids: Sequence[int], *, minutes: float,
                now: datetime | None = None, action: Action = Action.ANNOTATE) -> int | None:  # fmt: skip
    """Claim for ``actor`` the first of ``item_ids`` that nobody else holds a live claim on, for ``minutes``
    (dropping their claim on another item of the project, and the project's expired claims), and return it;
    None when others hold every one. An actor without a user, or who may not annotate, or an item under
    consensus gets no claim, and the item is returned all the same (nothing stands in the way). In a write
    transaction, so the claims it checks are the latest: the "next" of many people at once then costs one
    transaction each that steps past the items the others took, instead of one read of the queue per item lost
    (``benchmarks/bench_load.py``: at 100 users, five lost reads in a row handed out items others held).

    ``action`` is what the claim is for: labelling (the default) or, for the review queue's "next"
    (:mod:`labelhub.services.review_queue`), reviewing, which needs the reviewer role and claims an item under
    consensus too (its labels are merged by then, and one reviewer decides it)."""
    if not item_ids:
        return None
    now = now or utcnow()
    if minutes <= 0 or actor.user_id is None:
        return item_ids[0]
    if not allows(role_in(session, actor, project_id), action, is_admin=actor.is_admin):
        return item_ids[0]
    mine_or_expired = or_(ItemClaim.user_id == actor.user_id, ItemClaim.expires_at <= now)
    session.execute(delete(ItemClaim).where(ItemClaim.project_id == project_id, mine_or_expired))
    rows = session.execute(select(Item.id, Item.overlap).where(Item.id.in_(item_ids), Item.project_id == project_id))
    overlap = {int(r[0]): int(r[1]) for r in rows}
    held = set(session.scalars(select(ItemClaim.item_id).where(ItemClaim.item_id.in_(item_ids))))
    for item_id in item_ids:
        if item_id not in overlap:
            continue  # deleted meanwhile
        if overlap[item_id] >= 2 and action is Action.ANNOTATE:
            return item_id
        if item_id in held:
            continue  # another person's live claim
        try:
            with session.begin_nested():  # a concurrent "next" (PostgreSQL) may claim it first: the key says so
                session.add(ItemClaim(item_id=item_id, project_id=project_id, user_id=actor.user_id,
                                      expires_at=now + timedelta(minutes=minutes)))  # fmt: skip
        except IntegrityError:
            continue
        return item_id
    return None
