"""Request bodies that refuse fields they do not know.

A misspelt field (``item_knd``) silently ignored creates the wrong thing with a 201; a 422 naming the field and
the closest known one lets the caller fix it at once. Every ``*In``, ``*Create``, ``*Update`` and ``*Put`` body
derives from :class:`StrictIn`; :func:`unknown_field_message` words the error, with a suggestion found by
walking the route's body model along the error's location.
"""

from __future__ import annotations

import difflib
import types
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator
from starlette.requests import Request

from labelhub.errors import ValidationError


class StrictIn(BaseModel):
    """A request body: an unknown field is a 422 naming it, never silently dropped.

    ``echoed`` names read-only fields of the matching response that a client may send back unchanged (read,
    modify, write back); they are dropped before validation.
    """

    model_config = ConfigDict(extra="forbid")
    echoed: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_echoed(cls, data: Any) -> Any:
        if cls.echoed and isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in cls.echoed}
        return data


def unknown_field_message(request: Request, loc: tuple[Any, ...] | list[Any]) -> str:
    """Word an ``extra_forbidden`` error: the field, the closest known name and the fields the place takes."""
    name = str(loc[-1]) if loc else ""
    known = _known_fields(request, list(loc[:-1]))
    if not known:
        return f"unknown field {name!r}"
    # A known name holding the word itself (kind -> item_kind) beats one that merely looks alike (kinds).
    close = [k for k in known if name in k.split("_")] or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown field {name!r}{hint} (known: {', '.join(known)})"


def _known_fields(request: Request, path: list[Any]) -> list[str]:
    """The field names of the model at ``path`` inside the route's body, or [] when it cannot be found."""
    model = _body_model(request)
    if path and path[0] == "body":
        path = path[1:]
    current: Any = model
    for part in path:
        current = _step(current, part)
        if current is None:
            return []
    model_type = _as_model(current)
    return list(model_type.model_fields) if model_type is not None else []


def _body_model(request: Request) -> type[BaseModel] | None:
    """The pydantic model of the route's (single) body parameter."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for param in getattr(dependant, "body_params", None) or []:
        model = _as_model(getattr(getattr(param, "field_info", None), "annotation", None))
        if model is not None:
            return model
    return None


def _step(current: Any, part: Any) -> Any:
    """Go one step along an error location: a field of a model, or the element type of a list or dict."""
    if isinstance(part, int) or get_origin(_unwrap(current)) is dict:
        args = get_args(_unwrap(current))
        return args[-1] if args else None
    model = _as_model(current)
    if model is None or part not in model.model_fields:
        return None
    return model.model_fields[part].annotation


def _unwrap(tp: Any) -> Any:
    """``X | None`` -> ``X``; other types unchanged."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _as_model(tp: Any) -> type[BaseModel] | None:
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def refuse_unknown_query(request: Request) -> None:
    """A router dependency: a query parameter the route does not read is a 422 naming it.

    ``?offset=24`` on a route that pages otherwise would silently return the first page again; bodies are
    already strict (:class:`StrictIn`), and this makes the query string so too.
    """
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known = sorted(_query_names(dependant))
    for name in request.query_params:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            takes = f" (this route takes: {', '.join(known)})" if known else " (this route takes none)"
            raise ValidationError(f"unknown query parameter {name!r}{hint}{takes}", field=name)


def _query_names(dependant: Any) -> set[str]:
    """The query parameter names a route reads, through its dependencies."""
    names: set[str] = set()
    for param in getattr(dependant, "query_params", None) or []:
        model = _as_model(getattr(getattr(param, "field_info", None), "annotation", None))
        if model is not None:  # a pydantic model of query parameters
            names.update(f.alias or n for n, f in model.model_fields.items())
        else:
            names.add(param.alias)
    for sub in getattr(dependant, "dependencies", None) or []:
        names |= _query_names(sub)
    return names
