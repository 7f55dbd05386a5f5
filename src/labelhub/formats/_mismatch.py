"""What a source looks like, for the error of a format chosen by hand that does not fit it.

``ok.zip is not a YOLO dataset: ...; it looks like COCO detection JSON (annotations/instances.json): choose coco
or auto``: the person chose a format, so the message says which one auto-detection would have taken.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from labelhub.errors import FormatError


def looks_like(source: Path, chosen: str) -> str:
    """Return ``"; it looks like TITLE (evidence): choose NAME or auto"`` for the first other format whose
    detection takes ``source``, or ``""`` when none does."""
    registry = importlib.import_module("labelhub.formats.registry")
    for spec in registry.FORMATS.values():
        if spec.name == chosen or spec.importer is None:
            continue
        try:
            hit = spec.detect(source)
        except (OSError, FormatError):
            hit = False
        if hit:
            return f"; it looks like {spec.title}{_evidence(source, spec.name)}: choose {spec.name} or auto"
    return ""


def _evidence(source: Path, name: str) -> str:
    """The file that made ``source`` look like the format ``name``, relative to it, in parentheses."""
    if name != "coco" or not source.is_dir():
        return ""
    from labelhub.formats._coco_files import find_annotation_file

    try:
        return f" ({find_annotation_file(source).relative_to(source).as_posix()})"
    except (FormatError, ValueError):
        return ""


def not_this_format(source: Path, chosen: str, message: str, **context: Any) -> FormatError:
    """The FormatError for a source the chosen format cannot read, saying what the source looks like."""
    return FormatError(message + looks_like(source, chosen), file=str(source), **context)
