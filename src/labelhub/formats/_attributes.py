"""The project's attribute declarations as formats see them: passed in the options, read back as specs.

The import and export services put the project's declared attributes (``AttributeSpec.to_json()`` each) into
``options.extra["schema_attributes"]``: an importer reads a value as the type the project declares when the file
itself does not say (a VOC ``<difficult>1</difficult>`` becomes ``True`` for a declared bool), and an exporter
declares them where its format has a place for declarations (CVAT's ``<meta>``) or writes their values (COCO's
``attributes`` object). No caller sets the key: it is not an option of any format, so it is refused from outside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from labelhub.domain.attributes import AttributeSpec
from labelhub.formats.base import ExportOptions, ImportOptions

SCHEMA_ATTRIBUTES = "schema_attributes"
_Options = TypeVar("_Options", ImportOptions, ExportOptions)


def with_schema_attributes(options: _Options, specs: Iterable[AttributeSpec]) -> _Options:
    """Return ``options`` carrying the project's declarations (unchanged when it declares none)."""
    found = [s.to_json() for s in specs]
    if not found:
        return options
    return dataclasses.replace(options, extra={**options.extra, SCHEMA_ATTRIBUTES: found})


def schema_attributes(extra: Mapping[str, Any]) -> list[AttributeSpec]:
    """Return the declarations ``with_schema_attributes`` put into ``extra`` (none when absent or unreadable)."""
    raw = extra.get(SCHEMA_ATTRIBUTES)
    out: list[AttributeSpec] = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            try:
                out.append(AttributeSpec.from_json(entry))
            except (TypeError, ValueError):
                continue
    return out


def declared_bools(extra: Mapping[str, Any]) -> frozenset[str]:
    """Return the names the project declares as ``bool``."""
    return frozenset(s.name for s in schema_attributes(extra) if s.type == "bool")
