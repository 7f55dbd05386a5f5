"""The project's class colours as formats see them: passed in the options, read back per class.

The export service puts each class's ``#rrggbb`` colour into ``options.extra["schema_colours"]`` so an exporter
can write it where its format has a place (a DICOM-SEG segment's display colour). No caller sets the key: it is
no option of any format, so it is refused from outside. An exporter used without the service (a test, a script)
falls back to the palette a schema built from the class names would have.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from labelhub.domain.schema import PALETTE, LabelClass
from labelhub.formats.base import ExportOptions, ImportOptions

SCHEMA_COLOURS = "schema_colours"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_Options = TypeVar("_Options", ImportOptions, ExportOptions)


def with_schema_colours(options: _Options, classes: Iterable[LabelClass]) -> _Options:
    """Return ``options`` carrying the colour of every class, by name."""
    found = {c.name: c.color for c in classes}
    if not found:
        return options
    return dataclasses.replace(options, extra={**options.extra, SCHEMA_COLOURS: found})


def class_colours(extra: Mapping[str, Any], labels: list[str]) -> dict[str, tuple[int, int, int]]:
    """Return each of ``labels`` as an RGB triple: the colour ``with_schema_colours`` passed, else the palette's."""
    raw = extra.get(SCHEMA_COLOURS)
    given = raw if isinstance(raw, dict) else {}
    out: dict[str, tuple[int, int, int]] = {}
    for i, name in enumerate(labels):
        colour = given.get(name)
        if not isinstance(colour, str) or not _HEX.match(colour):
            colour = PALETTE[i % len(PALETTE)]
        out[name] = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
    return out
