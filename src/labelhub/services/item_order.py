"""The orders an item list can be read in, each a keyset: a page at any depth costs what the first one does."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from labelhub.errors import ValidationError
from labelhub.storage.models import Item


class ItemOrder(StrEnum):
    """How an item list is sorted; ``-`` reverses it (newest first, Z to A)."""

    ID = "id"
    ID_DESC = "-id"
    NAME = "name"
    NAME_DESC = "-name"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    @property
    def by_name(self) -> bool:
        return self.value.endswith("name")


def _key(order: ItemOrder) -> InstrumentedAttribute[int] | InstrumentedAttribute[str]:
    # A name is unique within a project (uq_items_project_name), so the name alone is a total order there and
    # the (project_id, name) index serves the list without a sort step. Adding the id as a tie-break would make
    # PostgreSQL sort each page behind that index for ties that cannot happen.
    return Item.name if order.by_name else Item.id


def anchor_key(
    session: Session, project_id: int, order: ItemOrder, item_id: int | None, *, name: str | None = None, field: str
) -> int | str:
    """Return the sort key of the item a page starts after (or ends before): its id, or its name in a name order.

    In the id orders any id will do (as it always has: the item may be gone since). A name order takes the
    anchor's ``name`` when the caller has it (the client does, from the page it showed): it marks a place even
    after that item was deleted or renamed, and nothing is looked up. Without it the name is read by the item's
    primary key; an id that is no item of the project is a ValidationError on ``field``. A ``name`` in an id
    order is a ValidationError on ``{field}_name``: it would be ignored, and the caller would not know.
    """
    if not order.by_name:
        if name is not None:
            raise ValidationError(
                f"{field}_name marks a place only in the name orders, not in {order.value} order: pass {field}",
                field=f"{field}_name",
            )
        if item_id is None:
            raise ValidationError(f"{field} is needed in {order.value} order", field=field)
        return item_id
    if name is not None:
        return name
    if item_id is None:
        raise ValidationError(f"{field} or {field}_name is needed", field=field)
    found = session.scalar(select(Item.name).where(Item.id == item_id, Item.project_id == project_id))
    if found is None:
        raise ValidationError(
            f"item {item_id} is not in project {project_id}: a page in {order.value} order starts at an item of it"
            f" (or at the name given as {field}_name)",
            field=field,
        )
    return found


def ordered(stmt: Select[Item], order: ItemOrder, *, after: int | str | None = None) -> Select[Item]:
    """Return ``stmt`` in ``order``, from just after the item whose sort key is ``after`` (the start when None)."""
    key = _key(order)
    if after is not None:
        stmt = stmt.where(key < after if order.descending else key > after)
    return stmt.order_by(None).order_by(key.desc() if order.descending else key.asc())


def ordered_before(stmt: Select[Item], order: ItemOrder, before: int | str) -> Select[Item]:
    """Return ``stmt`` walking back from the item whose sort key is ``before``: nearest first, so the caller
    reverses the page it reads to have it in ``order``."""
    key = _key(order)
    stmt = stmt.where(key > before if order.descending else key < before)
    return stmt.order_by(None).order_by(key.asc() if order.descending else key.desc())


def before_count_condition(order: ItemOrder, key: int | str) -> ColumnElement[bool]:
    """Return the condition that holds for the items before the one whose sort key is ``key`` in ``order``."""
    col = _key(order)
    return col > key if order.descending else col < key
