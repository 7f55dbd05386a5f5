"""Helpers of the Label Studio import tests: writing a task list as Label Studio does, and reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.formats._support import split_records

from labelhub.domain.records import ItemRecord, Problem
from labelhub.formats.base import ImportOptions
from labelhub.formats.label_studio import LabelStudioImporter


def write(path: Path, tasks: Any, indent: int | None = 2) -> Path:
    # Python's json module, as Label Studio uses it: NaN is written as a bare NaN.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, indent=indent))
    return path


def read(src: Path, **options: Any) -> tuple[list[ItemRecord], list[Problem], list[str]]:
    with LabelStudioImporter(src, ImportOptions(**options)) as importer:
        labels = importer.labels()
        items, problems = split_records(importer)
    return items, problems, labels
