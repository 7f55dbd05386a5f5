"""``has_tag``: an item whose ``meta["tags"]`` list holds a tag, as SQL each backend can use.

PostgreSQL stores ``meta`` as JSONB, where ``meta -> 'tags' @> [tag]`` asks for an element of the array; SQLite
stores JSON text, where ``json_each`` lists the array's values. SQLAlchemy's generic JSON comparators offer
neither (``contains`` on a generic JSON column is a LIKE on its text), so this small construct compiles to
each backend's own form; it is written here because no library does it for a JSON/JSONB variant column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnElement, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from labelhub.storage.models import Item

__all__ = ["has_tag"]


class _HasTag(ColumnElement[bool]):
    type = Boolean()
    inherit_cache = True
    # The tag is a child of the statement: cached compilations then take each query's own value.
    _traverse_internals = [("tag", InternalTraversal.dp_clauseelement)]

    def __init__(self, tag: str) -> None:
        self.tag: BindParameter[str] = bindparam("tag_value", tag, unique=True)


def has_tag(tag: str) -> ColumnElement[bool]:
    """True for items whose ``meta["tags"]`` holds ``tag`` exactly."""
    return _HasTag(tag)


@compiles(_HasTag, "postgresql")
def _pg(element: _HasTag, compiler: Any, **kw: Any) -> str:
    meta = compiler.process(Item.__table__.c.meta, **kw)
    value = compiler.process(element.tag, **kw)  # a bound parameter: nothing of the tag is spliced in
    return f"(({meta} -> 'tags') @> jsonb_build_array(CAST({value} AS text)))"


@compiles(_HasTag)
def _sqlite(element: _HasTag, compiler: Any, **kw: Any) -> str:
    meta = compiler.process(Item.__table__.c.meta, **kw)
    value = compiler.process(element.tag, **kw)  # a bound parameter: nothing of the tag is spliced in
    return f"EXISTS (SELECT 1 FROM json_each({meta}, '$.tags') WHERE value = {value})"  # noqa: S608
