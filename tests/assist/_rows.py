"""A small, quick slice of BANKING77 for tests that train whole models: the first classes, a few rows each."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.conftest import data_path


def banking_rows(n_classes: int = 8, per_class: int = 30, file: str = "train.csv") -> list[tuple[str, str]]:
    """Return (text, category) rows of the first ``n_classes`` categories (sorted), ``per_class`` of each."""
    path: Path = data_path("text_banking77", file)
    with path.open(newline="", encoding="utf-8") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    keep = sorted({c for _, c in rows})[:n_classes]
    out: list[tuple[str, str]] = []
    for c in keep:
        out += [r for r in rows if r[1] == c][:per_class]
    return out
