"""Changes to many items at once (a lasso on the embedding map): tags, and "send to labelling".

Tags live in ``item.meta["tags"]`` (a sorted list of distinct strings). Sending to labelling sets
``item.meta["priority"] = 1``, which the labelling queue puts first, and puts an item that was not labelled yet
(status ``new`` or ``in_progress``) back to ``new``; labelled, reviewed and rejected items keep their status.
An item whose status changes gets a new version, so an editor still holding it is told to reload on save; tags
alone leave the version alone (they do not touch the annotations the version guards).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemStatus
from labelhub.domain.permissions import Action
from labelhub.errors import ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.items import to_label
from labelhub.storage.models import Item, utcnow

__all__ = ["MAX_ITEMS", "MAX_TAG", "BulkResult", "bulk_update"]

MAX_ITEMS = 10_000
MAX_TAG = 64
MAX_TAGS = 50
_UNLABELLED = frozenset({ItemStatus.NEW.value, ItemStatus.IN_PROGRESS.value})


def _tags(values: list[str] | None, field: str) -> set[str]:
    out: set[str] = set()
    for value in values or []:
        tag = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(tag) <= MAX_TAG:
            raise ValidationError(f"a tag must be 1 to {MAX_TAG} characters, got {value!r:.80}", field=field)
        out.add(tag)
    return out


@dataclass(frozen=True, slots=True)
class BulkResult:
    changed: int  # items whose tags, priority or status changed
    queued: int | None  # when sending to labelling: how many of them the labelling queue offers (no label yet)


def bulk_update(
    session: Session,
    actor: Actor,
    project_id: int,
    item_ids: list[int],
    *,
    add_tags: list[str] | None = None,
    remove_tags: list[str] | None = None,
    send_to_labelling: bool = False,
) -> BulkResult:
    """Tag, untag and/or send to labelling the items; all ids must be the project's.

    Items that already have an accepted label (a person's, or a proposal the band accepted) get the priority
    too, but the queue does not offer them: ``queued`` says how many it does, so the caller can tell the rest.
    """
    require(session, actor, project_id, Action.ANNOTATE)
    wanted = sorted(set(item_ids))
    if not wanted:
        raise ValidationError("select at least one item", field="item_ids")
    if len(wanted) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} items at once, got {len(wanted)}", field="item_ids")
    add, remove = _tags(add_tags, "add_tags"), _tags(remove_tags, "remove_tags")
    if add & remove:
        raise ValidationError(f"tags both added and removed: {sorted(add & remove)}", field="remove_tags")
    if not (add or remove or send_to_labelling):
        raise ValidationError("nothing to do: give add_tags, remove_tags or send_to_labelling", field="item_ids")
    items = list(session.scalars(select(Item).where(Item.project_id == project_id, Item.id.in_(wanted))))
    if len(items) != len(wanted):
        missing = sorted(set(wanted) - {i.id for i in items})
        raise ValidationError(f"items {missing[:10]} are not in project {project_id}", field="item_ids")
    changed = 0
    now = utcnow()
    for item in items:
        meta = dict(item.meta or {})
        tags = set(meta.get("tags") or [])
        new_tags = (tags | add) - remove
        if len(new_tags) > MAX_TAGS:
            raise ValidationError(f"item {item.id} would have more than {MAX_TAGS} tags", field="add_tags")
        if new_tags != tags:
            meta["tags"] = sorted(new_tags)
        if send_to_labelling:
            meta["priority"] = 1
            if item.status in _UNLABELLED and item.status != ItemStatus.NEW.value:
                item.status = ItemStatus.NEW.value
                item.version += 1
        if meta != (item.meta or {}) or session.is_modified(item):
            item.meta = meta  # a new dict, so the JSON column is written
            item.updated_at = now
            changed += 1
    audit.record(session, actor, "item.bulk_update", "project", project_id, project_id=project_id,
                 detail={"items": len(wanted), "changed": changed, "add_tags": sorted(add),
                         "remove_tags": sorted(remove), "send_to_labelling": send_to_labelling})  # fmt: skip
    if not send_to_labelling:
        return BulkResult(changed, None)
    session.flush()
    queued = session.scalar(select(func.count()).select_from(Item).where(*to_label(project_id), Item.id.in_(wanted)))
    return BulkResult(changed, int(queued or 0))
