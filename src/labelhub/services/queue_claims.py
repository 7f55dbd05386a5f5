"""Claims: the item the labelling queue's "next" hands to a person is kept from the others' "next" for a while.

Label Studio locks a task for the annotator it is shown to. Without that, people pressing "next" on the same
unassigned pool were all sent its first item, and all but the first to save met a conflict (a quarter of the saves
at 50 users in ``benchmarks/bench_load.py``). A claim is a row of :class:`ItemClaim` (item, person, expiry),
written when "next" hands the item out (:func:`claim`), replaced by the person's next one (a person holds one
claim per project), and ignored once expired (``LABELHUB_QUEUE_CLAIM_MINUTES``, 10 by default; 0 turns claims
off). The queue (:mod:`labelhub.services.queue`) passes over items others hold (:func:`held_by_others`).

Claims only order the work: opening an item from the grid, or saving it, is never refused because someone holds
it (the item's version still catches a concurrent edit). An item under consensus, which several people label
on purpose, is never claimed, and neither is one handed to someone who may not annotate.
"""

from __future__ import annotations

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
    """Give ``actor`` the claim on ``item_id`` for ``minutes`` (dropping their claim on another item of the
    project, and the project's expired claims); False when someone else holds a live claim on it. An actor
    without a user, who may not annotate, or an item under consensus gets no claim (True: nothing stands in the
    way). In a write transaction."""
    now = now or utcnow()
    if minutes <= 0 or actor.user_id is None:
        return True
    overlap = session.scalar(select(Item.overlap).where(Item.id == item_id, Item.project_id == project_id))
    if overlap is None or overlap >= 2:
        return True
    if not allows(role_in(session, actor, project_id), Action.ANNOTATE, is_admin=actor.is_admin):
        return True
    mine_or_expired = or_(ItemClaim.user_id == actor.user_id, ItemClaim.expires_at <= now)
    session.execute(delete(ItemClaim).where(ItemClaim.project_id == project_id, mine_or_expired))
    if session.scalar(select(ItemClaim.user_id).where(ItemClaim.item_id == item_id)) is not None:
        return False  # another person's live claim
    try:
        with session.begin_nested():  # a concurrent "next" (PostgreSQL) may claim it first: the key says so
            session.add(ItemClaim(item_id=item_id, project_id=project_id, user_id=actor.user_id,
                                  expires_at=now + timedelta(minutes=minutes)))  # fmt: skip
    except IntegrityError:
        return False
    return True
