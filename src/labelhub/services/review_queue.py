"""The review queue's "next": the labelled item a reviewer decides next, claimed so that two reviewers are not sent
the same one (``GET /projects/{pid}/review/next``).

The review queue is the project's labelled items (status ``labeled``) in id order. Without claims every reviewer
who opened it started at its first item and walked the same sequence: double work, and every decision after the
first was a 409 (the item's version had moved). "next" hands the reviewer the first labelled item after the one on
screen (wrapping to the start, as the labelling queue's "next" does) that nobody else holds a live claim on, and
claims it for them with :func:`~labelhub.services.queue_claims.claim_first`, in the caller's write transaction.

Review claims are rows of the labelling queue's :class:`ItemClaim` table: one claim per item, and a person holds one
claim per project, of either kind (someone who both labels and reviews holds the item they are on, whichever queue
sent it; moving on in either queue frees it). The two kinds never compete for an item: the labelling queue offers
items of status ``new``, the review queue items of status ``labeled``, so reviewers' claims leave the labelling
side as it was. One exception is looked after here: an annotator whose labelling "next" found nothing more keeps
the claim on the item they labelled last until it expires; a claim on a labelled item held by someone who may not
review is no review, so it is dropped instead of holding the item back from the reviewers.

As in the labelling queue, a claim only orders the work: opening an item, saving it or deciding on it is never
refused because someone holds it (the item's version still catches a concurrent decision).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemStatus, Role
from labelhub.domain.permissions import Action
from labelhub.services.access import Actor, require
from labelhub.services.queue_claims import claim_first
from labelhub.storage.models import Item, Membership, utcnow
from labelhub.storage.team_models import ItemClaim

__all__ = ["claim_for_review", "held_for_review", "next_to_review"]

_BATCH = 64  # labelled items offered to one claim at a time
_TRIES = 3  # reads of the queue when concurrent reviewers took every item offered (PostgreSQL)
_NOT_REVIEWERS = [r.value for r in Role if not r.at_least(Role.REVIEWER)]


def _held_by_others(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """Items someone other than ``actor`` holds a live claim on (any claim, for an actor without a user)."""
    live = exists().where(ItemClaim.item_id == Item.id, ItemClaim.expires_at > now)
    return live.where(ItemClaim.user_id != actor.user_id) if actor.user_id is not None else live


def _candidates(session: Session, actor: Actor, project_id: int, after: int | None, now: datetime,
                taken: set[int]) -> list[int]:  # fmt: skip
    """Up to :data:`_BATCH` labelled items after ``after`` in id order, then from the list's start (never ``after``
    itself), leaving out those others hold and ``taken``."""
    base = select(Item.id).where(Item.project_id == project_id, Item.status == ItemStatus.LABELED.value,
                                 ~_held_by_others(actor, now))  # fmt: skip
    if taken:
        base = base.where(Item.id.not_in(taken))
    if after is None:
        return list(session.scalars(base.order_by(Item.id).limit(_BATCH)))
    ids = list(session.scalars(base.where(Item.id > after).order_by(Item.id).limit(_BATCH)))
    if len(ids) < _BATCH:
        ids += session.scalars(base.where(Item.id < after).order_by(Item.id).limit(_BATCH - len(ids)))
    return ids


def _drop_left_over_claims(session: Session, project_id: int) -> None:
    """Drop the claims on labelled items held by members who may not review: what an annotator kept of the
    labelling queue (see the module's text). Read first, so a "next" with nothing to drop locks no row."""
    stale = list(session.scalars(
        select(ItemClaim.item_id).join(Membership, (Membership.project_id == ItemClaim.project_id)
                                       & (Membership.user_id == ItemClaim.user_id))
        .where(ItemClaim.project_id == project_id, Membership.role.in_(_NOT_REVIEWERS),
               exists().where(Item.id == ItemClaim.item_id, Item.status == ItemStatus.LABELED.value))
    ))  # fmt: skip
    if stale:
        session.execute(delete(ItemClaim).where(ItemClaim.item_id.in_(stale), ItemClaim.user_id.in_(
            select(Membership.user_id).where(Membership.project_id == project_id,
                                             Membership.role.in_(_NOT_REVIEWERS)))))  # fmt: skip


def next_to_review(session: Session, actor: Actor, project_id: int, after: int | None = None, *, minutes: float,
                   now: datetime | None = None) -> int | None:  # fmt: skip
    """Return the labelled item a reviewer's "next" opens, claimed for them for ``minutes`` (0: no claims): the
    first after ``after`` (the item on screen) in id order, wrapping to the start, that nobody else holds; None
    when none is left (the reviewer's claim is then let go, unless it is on ``after``, still waiting for them).
    Reviewers and up; ``session`` must be a write transaction (the claims it checks are then the latest: many
    reviewers at once each get their own item)."""
    require(session, actor, project_id, Action.REVIEW)
    now = now or utcnow()
    if minutes > 0:
        _drop_left_over_claims(session, project_id)
    taken: set[int] = set()
    for _ in range(_TRIES):
        order = _candidates(session, actor, project_id, after, now, taken)
        if not order:
            break
        found = claim_first(session, actor, project_id, order, minutes=minutes, now=now, action=Action.REVIEW)
        if found is not None:
            return found
        taken.update(order)  # concurrent reviewers claimed all of them since: read the queue again
    if actor.user_id is not None:  # nothing else: let go of the claim, but on the item on screen while it waits
        mine = delete(ItemClaim).where(ItemClaim.project_id == project_id, ItemClaim.user_id == actor.user_id)
        on_screen = select(Item.status).where(Item.id == after, Item.project_id == project_id)
        if after is not None and session.scalar(on_screen) == ItemStatus.LABELED.value:
            mine = mine.where(ItemClaim.item_id != after)
        session.execute(mine)
    return None


def held_for_review(session: Session, actor: Actor, project_id: int, now: datetime | None = None) -> list[int]:
    """The labelled items of the project that other reviewers hold a live claim on (they are deciding them now), in
    id order; a claim an annotator kept on a labelled item is not counted (see the module's text). Reviewers."""
    require(session, actor, project_id, Action.REVIEW)
    now = now or utcnow()
    others = select(Membership.user_id).where(Membership.project_id == project_id,
                                               Membership.role.in_(_NOT_REVIEWERS))  # fmt: skip
    stmt = (
        select(ItemClaim.item_id)
        .join(Item, Item.id == ItemClaim.item_id)
        .where(ItemClaim.project_id == project_id, ItemClaim.expires_at > now,
               Item.status == ItemStatus.LABELED.value, ItemClaim.user_id.not_in(others))
        .order_by(ItemClaim.item_id)
    )  # fmt: skip
    if actor.user_id is not None:
        stmt = stmt.where(ItemClaim.user_id != actor.user_id)
    return list(session.scalars(stmt))


def claim_for_review(session: Session, actor: Actor, project_id: int, item_id: int, *, minutes: float) -> bool:
    """Claim a labelled item a reviewer opened from the queue's list (not through "next"), so the others' "next"
    passes over it; False when someone else holds it, or it is not a labelled item of the project (nothing to
    claim). A claim the reviewer held on another item is let go either way (they left it). Reviewers; in a write
    transaction."""
    require(session, actor, project_id, Action.REVIEW)
    labelled = select(Item.id).where(Item.id == item_id, Item.project_id == project_id,
                                     Item.status == ItemStatus.LABELED.value)  # fmt: skip
    if session.scalar(labelled) is None:
        return False
    if minutes > 0:
        _drop_left_over_claims(session, project_id)
    return claim_first(session, actor, project_id, [item_id], minutes=minutes, action=Action.REVIEW) is not None
