"""The orders an item list can be read in, each a keyset: a page at any depth costs what the first one does.

The name orders are natural and case-insensitive (img2 before img10, a before B): they sort by ``sort_key``
(:func:`labelhub.domain.natural.natural_key` of the name, stored with the item), then by the exact name where
keys tie (img01 and img1, a and A). Both compare by code point, on SQLite and PostgreSQL alike, so the order is
the same on either database. A name is unique within a project, so the pair is a total order, and the index
(project_id, sort_key, name) serves the list, its keyset and the position count without a sort step.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, String, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from labelhub.domain.natural import natural_key
from labelhub.errors import ValidationError
from labelhub.storage.models import Annotation, Item

# Where a name-order page starts: the anchor's (sort key, name); an id in the id orders.
NameKey = tuple[str, str]
Key = int | NameKey


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


class _ExactName(ColumnElement[str]):
    """``items.name`` compared by code point, the tie-break of the name orders.

    SQLite's default collation (BINARY) already compares so; PostgreSQL's is the database's own (en_US puts "a"
    before "A", C the reverse), so there it says ``COLLATE "C"``, as the index of migration 0006 does. Written
    here because SQLAlchemy's ``collate`` names one collation for every backend, and SQLite has no "C".
    """

    type = String()
    inherit_cache = True
    # No children: the cache key is the class alone, so statements holding it are compiled once, not per query.
    _traverse_internals = []


@compiles(_ExactName, "postgresql")
def _exact_name_pg(element: _ExactName, compiler: Any, **kw: Any) -> str:
    return f'{compiler.process(Item.__table__.c.name, **kw)} COLLATE "C"'


@compiles(_ExactName)
def _exact_name(element: _ExactName, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(Item.__table__.c.name, **kw))


def _name_key(name: str) -> NameKey:
    return natural_key(name), name


def anchor_key(
    session: Session, project_id: int, order: ItemOrder, item_id: int | None, *, name: str | None = None, field: str
) -> Key:
    """Return the sort key of the item a page starts after (or ends before): its id, or in a name order its
    (sort key, name).

    In the id orders any id will do (as it always has: the item may be gone since). A name order takes the
    anchor's ``name`` when the caller has it (the client does, from the page it showed): its key is computed, so
    it marks a place even after that item was deleted or renamed, and nothing is looked up. Without it the key is
    read by the item's primary key; an id that is no item of the project is a ValidationError on ``field``. A
    ``name`` in an id order is a ValidationError on ``{field}_name``: it would be ignored, and the caller would
    not know.
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
        return _name_key(name)
    if item_id is None:
        raise ValidationError(f"{field} or {field}_name is needed", field=field)
    found = session.execute(
        select(Item.sort_key, Item.name).where(Item.id == item_id, Item.project_id == project_id)
    ).first()
    if found is None:
        raise ValidationError(
            f"item {item_id} is not in project {project_id}: a page in {order.value} order starts at an item of it"
            f" (or at the name given as {field}_name)",
            field=field,
        )
    return found[0], found[1]


def _beyond(order: ItemOrder, key: Key, *, later: bool) -> ColumnElement[bool]:
    """The items after ``key`` in ``order`` (``later``), or before it."""
    up = later != order.descending  # the sort keys to keep are greater than the anchor's
    if isinstance(key, int):
        return Item.id > key if up else Item.id < key
    # A row-value comparison: both databases take it as one range of the (project_id, sort_key, name) index.
    pair, anchor = tuple_(Item.sort_key, _ExactName()), tuple_(*key)
    return pair > anchor if up else pair < anchor


def _sorted(stmt: Select[Item], order: ItemOrder, *, reverse: bool, by_project: bool = False) -> Select[Item]:
    down = order.descending != reverse
    if not order.by_name:
        lead = [Item.project_id.desc() if down else Item.project_id.asc()] if by_project else []
        return stmt.order_by(None).order_by(*lead, Item.id.desc() if down else Item.id.asc())
    exact = _ExactName()
    if down:
        return stmt.order_by(None).order_by(Item.sort_key.desc(), exact.desc())
    return stmt.order_by(None).order_by(Item.sort_key.asc(), exact.asc())


def ordered(stmt: Select[Item], order: ItemOrder, *, after: Key | None = None) -> Select[Item]:
    """Return ``stmt`` in ``order``, from just after the item whose sort key is ``after`` (the start when None)."""
    if after is not None:
        stmt = stmt.where(_beyond(order, after, later=True))
    return _sorted(stmt, order, reverse=False)


def ordered_before(stmt: Select[Item], order: ItemOrder, before: Key) -> Select[Item]:
    """Return ``stmt`` walking back from the item whose sort key is ``before``: nearest first, so the caller
    reverses the page it reads to have it in ``order``."""
    return _sorted(stmt.where(_beyond(order, before, later=False)), order, reverse=True)


def before_count_condition(order: ItemOrder, key: Key) -> ColumnElement[bool]:
    """Return the condition that holds for the items before the one whose sort key is ``key`` in ``order``."""
    return _beyond(order, key, later=False)


def whole_project_page(project_id: int, order: ItemOrder, *, after: Key | None = None,
                       before: Key | None = None) -> Select[Item]:  # fmt: skip
    """Return an unfiltered page of the project in an id order, for PostgreSQL: ``project_id BETWEEN p AND p``,
    ordered by (project_id, id), instead of ``project_id = p`` ordered by id.

    The same rows in the same order, but a plan that cannot walk the wrong index. Given ``project_id = p``,
    PostgreSQL drops the constant from the sort, and two indexes give id order: the primary key (filtering on
    the project as it goes) and (project_id, id). It assumes a project's rows are spread evenly over the ids and
    often takes the primary key, which first skips every row of the projects created before: 19 ms behind another
    project's 100k rows, 0.09 ms through (project_id, id) (EXPLAIN ANALYZE, 1.1M rows). A range is no constant,
    so only (project_id, id) gives the order asked for; its row estimate is the same as the equality's. Only for
    the unfiltered list: with a filter the range would stop PostgreSQL from seeking on the index's next column
    ((project_id, status, id): 6.8 ms instead of 0.03 ms for a status no item has), and those plans stay as
    they are. SQLite takes (project_id, id) by itself.
    """
    stmt = select(Item).where(Item.project_id.between(project_id, project_id))
    if before is not None:
        return _sorted(stmt.where(_beyond(order, before, later=False)), order, reverse=True, by_project=True)
    if after is not None:
        stmt = stmt.where(_beyond(order, after, later=True))
    return _sorted(stmt, order, reverse=False, by_project=True)


def ids_bound(session: Session | None, order: ItemOrder, key: object, *, before: bool) -> ColumnElement[bool] | None:
    """In the id orders, the keyset's bound (the items after, or ``before``, the anchor ``key``) restated on
    ``Annotation.item_id``; None in the name orders, and on SQLite when a page's ``session`` is given.

    It changes no result (the annotation's item is the item). PostgreSQL does not carry ``items.id > n`` over to
    the annotation EXISTS: without the bound a deep page walked the project's annotations from its first item (an
    attribute filter's page after item 90,000 of 100k: 170 ms, 0.8 ms with it). SQLite, given the bound, probes
    the (project, label, item) index by the range ``item_id > n`` once per item (a label-filtered page at half of
    1M items: seconds; the item's position: minutes); without it each probe is one index lookup.
    """
    if order.by_name or not isinstance(key, int) or (session is not None and not on_postgresql(session)):
        return None
    return Annotation.item_id > key if before == order.descending else Annotation.item_id < key


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
