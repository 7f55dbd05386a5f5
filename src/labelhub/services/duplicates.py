"""Duplicates of a project: exact groups by content hash, near groups from the index, and dropping them.

**Exact**: image and video items with the same media key (the file's SHA-256), text items with the same text
once whitespace runs are collapsed (``"a  cat\\n"`` and ``"a cat"`` are the same sentence to a person).
**Near**: leader groups (``labelhub.search.near_duplicates``'s rule: every member is above the threshold with the
item kept) over the index's nearest-neighbour graph, which the embedding job saves beside the index and
``_neighbours`` otherwise computes once per saved index state, so moving the threshold costs nothing more; the
extra copies of exact groups are mapped to the item they copy, so a group is not shown twice.

**Resolve** keeps one item and deletes the others in one transaction (their annotations and embedding rows go
with them through the foreign keys), with one audit event per deleted item; the items then leave the indexes,
and the neighbour graph is patched to the index's new state rather than computed again whole
(``item_delete.forget_items``).
The deletion itself is :mod:`labelhub.services.item_delete`'s, as for any item.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.search import DuplicateGroup, VectorIndex, exact_duplicates
from labelhub.services._neighbours import Neighbours, leader_groups, neighbours
from labelhub.services._spaces import cached_index, index_folder
from labelhub.services.access import Actor, require
from labelhub.services.item_delete import delete_items
from labelhub.services.search import describe_items, search_space
from labelhub.storage.models import Item

__all__ = [
    "MAX_DROP",
    "DuplicateMember",
    "DuplicateSet",
    "find_duplicates",
    "resolve_duplicates",
    "suggest_threshold",
]

MAX_DROP = 1_000
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DuplicateMember:
    """One item of a group; ``similarity`` is its cosine to the kept item (1.0 for the kept item itself)."""

    item_id: int
    name: str
    thumb_url: str | None
    similarity: float
    text: str | None = None  # a text item's snippet (texts have no thumbnail)


@dataclass(frozen=True, slots=True)
class DuplicateSet:
    """A group to keep one of: ``exact`` (same content) or ``near`` (embeddings above the threshold)."""

    kind: str
    items: list[DuplicateMember]


def _text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _exact_groups(session: Session, project_id: int) -> list[DuplicateGroup]:
    pairs: list[tuple[int, str]] = []
    stmt = select(Item.id, Item.kind, Item.media_key, Item.text).where(Item.project_id == project_id)
    for item_id, kind, key, text in session.execute(stmt.execution_options(yield_per=1_000)):
        if kind == ItemKind.TEXT.value:
            if text and text.strip():
                pairs.append((item_id, _text_hash(text)))
        elif key:
            pairs.append((item_id, key))
    return exact_duplicates(pairs)


def _near_groups(index: VectorIndex, threshold: float, exact: list[DuplicateGroup]) -> list[DuplicateGroup]:
    """Return the near groups, each exact copy replaced by the item its exact group keeps.

    The copies have the vector of the item they copy, so mapping them leaves the groups as they would be without
    them (searching among "all but the copies" instead would make every search a filtered one).
    """
    keeper = {other: g.keep for g in exact for other in g.others}
    out = []
    for keep, others in leader_groups(neighbours(index), threshold):
        members: list[int] = []
        for item_id in (keep, *others):
            kept = keeper.get(item_id, item_id)
            if kept not in members:
                members.append(kept)
        if len(members) > 1:
            vectors = index.get(members)
            scores = tuple(round(float(v), 6) for v in vectors[1:] @ vectors[0])
            out.append(DuplicateGroup(members[0], tuple(members[1:]), scores, "near"))
    return out


def suggested_threshold(graph: Neighbours) -> float | None:
    """The cosine above which two items count as near copies in this space, from its own neighbour distances.

    A near copy is ten times closer than a typical nearest neighbour: ``1 - median(1 - nearest cosine) / 10``,
    within [0.9, 0.999]. A fixed 0.95 suits a pretrained CLIP, whose distinct photos sit far apart; an encoder
    trained here on a hundred images packs everything close (median nearest cosine 0.97 in a QA pass, unrelated
    pairs at 0.995) and would group unrelated photos. None for fewer than two items. Hand-written: the rule is
    labelhub's.
    """
    nearest = graph.score[:, 0][graph.nbr[:, 0] >= 0]
    if nearest.size < 2:
        return None
    typical = float(np.median(1.0 - nearest.astype(np.float64)))
    return round(min(0.999, max(0.9, 1.0 - typical / 10.0)), 4)


def suggest_threshold(
    session: Session, hub: Hub, actor: Actor, project_id: int, space: str | None = None
) -> float | None:
    """The near-copy threshold the space's own neighbour distances suggest (:func:`suggested_threshold`),
    or None when the project has no vectors there."""
    project = require(session, actor, project_id, Action.READ)
    try:
        space = search_space(session, hub, project, space)
    except ValidationError:
        return None
    index = cached_index(index_folder(hub.settings, project_id, space))
    return suggested_threshold(neighbours(index)) if index is not None and len(index) else None


def find_duplicates(
    session: Session, hub: Hub, actor: Actor, project_id: int, *, threshold: float = 0.95, space: str | None = None
) -> tuple[str | None, list[DuplicateSet]]:
    """Return the space searched (None when the project has no vectors) and the groups: exact first, then near."""
    project = require(session, actor, project_id, Action.READ)
    if isinstance(threshold, bool) or not 0.5 <= threshold <= 1.0:
        raise ValidationError(f"threshold must be in [0.5, 1], got {threshold!r}", field="threshold")
    groups = _exact_groups(session, project_id)
    try:
        space = search_space(session, hub, project, space)
    except ValidationError:
        if space is not None:
            raise
        space = None  # no vectors and no embedder: exact groups only
    index = cached_index(index_folder(hub.settings, project_id, space)) if space is not None else None
    if index is not None and len(index):
        groups += _near_groups(index, float(threshold), groups)
    described = describe_items(session, project_id, sorted({i for g in groups for i in g.ids}))
    out = []
    for g in groups:
        members = [(i, s) for i, s in zip(g.ids, (1.0, *g.scores), strict=True) if i in described]
        if len(members) > 1:
            out.append(DuplicateSet(g.kind, [DuplicateMember(i, described[i][0], described[i][2], float(s),
                                                             described[i][3]) for i, s in members]))  # fmt: skip
    return space, out


def resolve_duplicates(session: Session, hub: Hub, actor: Actor, project_id: int, keep: int, drop: list[int]) -> int:
    """Delete the ``drop`` items (keeping ``keep``) in the caller's transaction; return how many were deleted.

    Every id must be an item of the project; nothing is deleted otherwise. Call
    :func:`labelhub.services.item_delete.forget_items` after the transaction commits.
    """
    require(session, actor, project_id, Action.EDIT_PROJECT)
    wanted = sorted(set(drop))
    if not wanted:
        raise ValidationError("say which items to drop", field="drop")
    if len(wanted) > MAX_DROP:
        raise ValidationError(f"drop at most {MAX_DROP} items at once, got {len(wanted)}", field="drop")
    if keep in wanted:
        raise ValidationError(f"item {keep} is both kept and dropped", field="drop")
    if session.scalar(select(Item.id).where(Item.project_id == project_id, Item.id == keep)) is None:
        raise ValidationError(f"item {keep} (the one to keep) not in project {project_id}", field="keep")
    deleted = delete_items(session, actor, project_id, wanted, field="drop",
                           detail={"reason": "duplicate", "kept": keep})  # fmt: skip
    return len(deleted)
