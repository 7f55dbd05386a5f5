"""The project's keypoint skeletons as formats see them: passed in the options, read back per class.

The export service puts each class's declared ``keypoints`` and ``skeleton`` (0-based) into
``options.extra["schema_keypoints"]`` so an exporter can declare them where its format has a place (COCO's
categories). No caller sets the key: it is no option of any format, so it is refused from outside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from labelhub.domain.keypoints import Skeleton, check_skeleton, edges_from_json
from labelhub.domain.schema import LabelClass
from labelhub.errors import ValidationError
from labelhub.formats.base import ExportOptions, ImportOptions

SCHEMA_KEYPOINTS = "schema_keypoints"
_Options = TypeVar("_Options", ImportOptions, ExportOptions)


def with_schema_keypoints(options: _Options, classes: Iterable[LabelClass]) -> _Options:
    """Return ``options`` carrying the classes' skeletons (unchanged when no class declares keypoints)."""
    found = {
        c.name: {"keypoints": list(c.keypoints), "skeleton": [list(e) for e in c.skeleton]}
        for c in classes
        if c.keypoints
    }
    if not found:
        return options
    return dataclasses.replace(options, extra={**options.extra, SCHEMA_KEYPOINTS: found})


def schema_keypoints(extra: Mapping[str, Any]) -> dict[str, Skeleton]:
    """Return the skeletons ``with_schema_keypoints`` put into ``extra``, by class (unreadable ones left out)."""
    raw = extra.get(SCHEMA_KEYPOINTS)
    out: dict[str, Skeleton] = {}
    for name, entry in raw.items() if isinstance(raw, dict) else ():
        try:
            names = tuple(str(n) for n in entry["keypoints"])
            edges = edges_from_json(entry.get("skeleton"))
            check_skeleton(names, edges, name)
        except (KeyError, TypeError, ValueError, AttributeError, ValidationError):
            continue
        if names:
            out[str(name)] = Skeleton(names, edges)
    return out
