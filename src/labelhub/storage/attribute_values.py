"""``attribute_is``: an annotation whose ``attributes[name]`` holds a value of a JSON type, as SQL each backend can use.

The item list's attribute filter must tell JSON ``true`` from the string ``"true"`` and the number ``1``, and
must not fail on a value of another type (a value stored before its attribute was declared, or imported from a
file, is kept unchecked). SQLAlchemy's ``as_boolean()`` / ``as_float()`` cast the element's text on PostgreSQL
(``CAST(attributes ->> 'x' AS BOOLEAN)``: the string ``"true"`` matches and ``"red"`` raises) and on SQLite read
JSON ``true`` as the integer 1, so this small construct compiles to each backend's own typed comparison:
PostgreSQL compares JSONB values (``attributes -> name = 'true'::jsonb``; JSONB numbers compare as numbers, so
``3`` is ``3.0``), SQLite asks ``json_type`` and ``json_extract`` for the member's JSON type and value (by a
path; ``json_each`` for a name holding a double quote, which a path cannot spell). Like
:mod:`labelhub.storage.tags`, it is written here because no library does it for a JSON/JSONB variant column.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from sqlalchemy import BindParameter, Boolean, ColumnElement, Float, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from labelhub.storage.models import Annotation

__all__ = ["attribute_is"]

# What is matched: any value but JSON null, JSON true, JSON false, a number equal to the value, text equal to it.
Match = Literal["any", "true", "false", "number", "text"]


class _AttributeIs(ColumnElement[bool]):
    type = Boolean()
    inherit_cache = True
    # The match and whether the name can be a SQLite JSON path are part of the SQL's text; name and value are
    # children, so cached compilations take each query's own values.
    _traverse_internals = [
        ("test", InternalTraversal.dp_string),
        ("pathable", InternalTraversal.dp_boolean),
        ("name", InternalTraversal.dp_clauseelement),
        ("path", InternalTraversal.dp_clauseelement),
        ("json", InternalTraversal.dp_clauseelement),
        ("value", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, name: str, match: Match, value: float | str | None) -> None:
        self.test: Match = match
        self.name: BindParameter[str] = bindparam("attr_name", name, unique=True, type_=String())
        # SQLite's JSON paths quote a member's name in double quotes, with no escape for one inside it.
        self.pathable = '"' not in name
        self.path: BindParameter[str] = bindparam("attr_path", f'$."{name}"', unique=True, type_=String())
        if match == "true" or match == "false":
            value = match == "true"
        self.json: BindParameter[str] = bindparam("attr_json", json.dumps(value), unique=True, type_=String())
        self.value: BindParameter[Any] = bindparam(
            "attr_value", value, unique=True, type_=Float() if match == "number" else String()
        )


def attribute_is(name: str, match: Match, value: float | str | None = None) -> ColumnElement[bool]:
    """True for annotations whose attribute ``name`` matches: ``any`` non-null value, JSON ``true`` / ``false``,
    a ``number`` equal to ``value``, or ``text`` equal to ``value`` (a JSON string)."""
    return _AttributeIs(name, match, value)


@compiles(_AttributeIs, "postgresql")
def _pg(element: _AttributeIs, compiler: Any, **kw: Any) -> str:
    attrs = compiler.process(Annotation.__table__.c.attributes, **kw)
    member = f"({attrs} -> CAST({compiler.process(element.name, **kw)} AS text))"  # bound: nothing spliced in
    if element.test == "any":
        return f"(jsonb_typeof({member}) <> 'null')"
    return f"({member} = CAST({compiler.process(element.json, **kw)} AS jsonb))"


@compiles(_AttributeIs)
def _sqlite(element: _AttributeIs, compiler: Any, **kw: Any) -> str:
    attrs = compiler.process(Annotation.__table__.c.attributes, **kw)
    if element.pathable:
        # json_type / json_extract by path: half the time of json_each (a 100k-item count, 94 against 178 ms).
        path = compiler.process(element.path, **kw)  # bound: nothing of the name is spliced in
        kind, value, where = f"json_type({attrs}, {path})", f"json_extract({attrs}, {path})", ""
    else:
        name = compiler.process(element.name, **kw)
        kind, value, where = "m.type", "m.value", f"FROM json_each({attrs}) AS m WHERE m.key = {name} AND "
    if element.test == "any":
        cond = f"{kind} <> 'null'"
    elif element.test in ("true", "false"):
        cond = f"{kind} = '{element.test}'"
    elif element.test == "number":
        cond = f"{kind} IN ('integer', 'real') AND {value} = {compiler.process(element.value, **kw)}"
    else:
        cond = f"{kind} = 'text' AND {value} = {compiler.process(element.value, **kw)}"
    return f"EXISTS (SELECT 1 {where}{cond})" if where else f"({cond})"
