"""Deleting items: a manager takes items out of a project, with everything labelled on them.

:func:`delete_items` deletes the rows in the caller's transaction: the items, and through their foreign keys
their annotations (labels, boxes, track boxes, proposals) and embedding rows; one ``item.delete`` audit event
per item records its name. Either every id is deleted or none (an id that is not the project's refuses the
whole request, naming it).

What lives outside the database is cleaned by :func:`forget_items` once the transaction has committed: the
project's vector indexes (and the neighbour graphs of the duplicates finder), the labelling queue's cached
predictions and the hub's cached propagations of the items' tracks. SQLite hands a deleted last id to the next
new item, which must inherit none of it.

The media files stay in the content-addressed store: another item, of this project or another, may hold the
same file (a project's deletion leaves them too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.search import VectorIndex
from labelhub.services import audit
from labelhub.services._neighbours import Neighbours, held_graph, index_state, patch_after_removal
from labelhub.services._spaces import cached_index
from labelhub.services.access import Actor, require
from labelhub.storage.models import Item

__all__ = ["MAX_DELETE", "delete_items", "forget_items"]

MAX_DELETE = 10_000  # ids per request, as for the bulk changes (a grid selection, a lasso)
log = logging.getLogger(__name__)


def _ids(values: Iterable[int], field: str) -> list[int]:
    wanted = sorted(set(values))
    if not wanted:
        raise ValidationError("say which items to delete", field=field)
    if len(wanted) > MAX_DELETE:
        raise ValidationError(f"delete at most {MAX_DELETE:,} items at once, got {len(wanted):,}", field=field)
    return wanted


def delete_items(
    session: Session,
    actor: Actor,
    project_id: int,
    item_ids: Iterable[int],
    *,
    field: str = "item_ids",
    detail: dict[str, Any] | None = None,
) -> list[int]:
    """Delete the project's items ``item_ids`` in the caller's transaction and return their ids, sorted.

    Needs the manager role (``Action.EDIT_PROJECT``). ``detail`` is added to each item's audit event (the
    duplicates finder says why and which item it kept). Call :func:`forget_items` after the commit.
    """
    require(session, actor, project_id, Action.EDIT_PROJECT, doing="deleting items")
    wanted = _ids(item_ids, field)
    rows = session.execute(
        select(Item.id, Item.name).where(Item.project_id == project_id, Item.id.in_(wanted)).with_for_update()
    )
    names = {item_id: name for item_id, name in rows}
    missing = [i for i in wanted if i not in names]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (f" and {len(missing) - 10:,} more" if len(missing) > 10 else "")
        noun = "item" if len(missing) == 1 else "items"
        raise ValidationError(f"{noun} {shown} not in project {project_id}; nothing was deleted", field=field)
    session.execute(delete(Item).where(Item.project_id == project_id, Item.id.in_(wanted)))
    for item_id in wanted:
        audit.record(session, actor, "item.delete", "item", item_id, project_id=project_id,
                     detail={"name": names[item_id], **(detail or {})})  # fmt: skip
    return wanted


def forget_items(hub: Hub, project_id: int, item_ids: list[int]) -> None:
    """After the deletion committed: take the items out of the project's indexes and the hub's caches.

    Each index's save gives it a new state. The neighbour graph of the state before, when memory or its file
    holds one (none is computed here), is patched to the new state and saved (``_neighbours.patch_after_removal``:
    only the rows that listed a removed item are computed again), so the next duplicates request reads it. When
    that fails, a warning says so and the next request computes the whole graph. A search skips deleted items
    meanwhile.
    """
    ids = list(item_ids)
    deleted = set(ids)
    hub.propagations.drop_where(lambda key: isinstance(key, tuple) and bool(key) and key[0] in deleted)
    hub.queue.forget_items(ids)
    root = hub.settings.home / "indexes" / str(project_id)
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        index = cached_index(folder)
        if index is None:
            continue
        before = _graph_before(index)
        if index.remove(ids):
            index.save()
            if before is not None:
                _patch(index, before, ids)


def _graph_before(index: VectorIndex) -> Neighbours | None:
    try:
        return held_graph(index)
    except Exception as exc:  # noqa: BLE001 - the graph only saves time: without it, the next request computes it
        log.warning("cannot read the neighbour graph of %s, the next duplicates request computes it: %s",
                    index.folder, exc)  # fmt: skip
        return None


def _patch(index: VectorIndex, graph: Neighbours, ids: list[int]) -> None:
    try:
        if patch_after_removal(index, graph, ids, index_state(index)) is None:
            log.info("the neighbour graph of %s is left to the next duplicates request to compute", index.folder)
    except Exception as exc:  # noqa: BLE001 - the graph only saves time: without it, the next request computes it
        log.warning("cannot patch the neighbour graph of %s after removing %d items, the next duplicates request "
                    "computes it: %s: %s", index.folder, len(ids), type(exc).__name__, exc)  # fmt: skip
