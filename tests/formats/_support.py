"""Helpers shared by the format tests."""

from __future__ import annotations

from collections.abc import Iterable

from labelhub.domain.records import ItemRecord, Problem


def split_records(records: Iterable[ItemRecord | Problem]) -> tuple[list[ItemRecord], list[Problem]]:
    """Return an importer's output as (items, problems)."""
    items: list[ItemRecord] = []
    problems: list[Problem] = []
    for rec in records:
        if isinstance(rec, Problem):
            problems.append(rec)
        else:
            items.append(rec)
    return items, problems
