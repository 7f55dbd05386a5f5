"""A text project filled with BANKING77 rows through the real import (CSV, label column "category")."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.assist._rows import banking_rows
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source


def banking_project(hub: Hub, folder: Path, *, name: str = "banking", n_classes: int = 8, per_class: int = 30) -> int:
    """Create a text project, import ``n_classes`` x ``per_class`` BANKING77 rows as class labels; return its id."""
    pid = new_project(hub, name, ItemKind.TEXT)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "category"])
        w.writerows(banking_rows(n_classes, per_class))
    options = ImportOptions(media="none", extra={"label_column": "category"})
    import_source(hub, Actor.system(), pid, path, fmt="text", options=options)
    return pid
