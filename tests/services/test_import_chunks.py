"""Imports larger than one chunk: on PostgreSQL rows go to the server while the source is still read, yet a
problem at the very end still leaves the project untouched; on SQLite everything is written at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.builders import new_project

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError, ImportValidationError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services._import_rows import CHUNK_ITEMS
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.services.stats import project_stats

SYSTEM = Actor.system()
N = 2 * CHUNK_ITEMS + 7


def _records(bad_last: bool = False) -> Iterator[ItemRecord | Problem]:
    for i in range(N):
        x = 500.0 if bad_last and i == N - 1 else 1.0  # the last box lies outside its 100x80 image
        box = AnnotationRecord(kind=AnnotationKind.BOX, label="cat", geometry={"bbox": [x, 1.0, x + 5, 6.0]})
        yield ItemRecord(kind=ItemKind.IMAGE, name=f"{i:06d}.jpg", width=100, height=80, annotations=[box])


def _counts(hub: Hub, pid: int) -> tuple[int, int]:
    with hub.db.session() as s:
        stats = project_stats(s, SYSTEM, pid)
    return stats["items"]["total"], stats["annotations"]["total"]


def _import(hub: Hub, pid: int, records: Iterator[ItemRecord | Problem]) -> None:
    import_records(hub, SYSTEM, pid, records, labels=["cat"], format_name="test", options=ImportOptions(media="none"))


def test_a_problem_in_the_last_record_undoes_the_chunks_already_sent(hub: Hub) -> None:
    pid = new_project(hub, "chunks")
    with pytest.raises(ImportValidationError, match="extends past the image width"):
        _import(hub, pid, _records(bad_last=True))
    assert _counts(hub, pid) == (0, 0)


def test_every_chunk_is_written_and_a_second_import_matches_across_chunks(hub: Hub) -> None:
    pid = new_project(hub, "chunks")
    _import(hub, pid, _records())
    assert _counts(hub, pid) == (N, N)
    report = import_records(hub, SYSTEM, pid, _records(), labels=["cat"], format_name="test",
                            options=ImportOptions(media="none"))  # fmt: skip
    # Every item is matched, in every chunk, and each holds its box already: nothing is added twice.
    assert (report.items_added, report.items_matched, report.annotations_added) == (0, N, 0)
    assert report.annotations_present == N
    assert _counts(hub, pid) == (N, N)


def test_a_source_that_breaks_while_a_chunk_is_being_written_leaves_nothing(hub: Hub) -> None:
    def breaking() -> Iterator[ItemRecord | Problem]:
        for n, rec in enumerate(_records()):
            if n == CHUNK_ITEMS + 1:  # the first chunk was just handed to the writer (on PostgreSQL)
                raise FormatError("the file ends in the middle of an image", file="big.json", line=12)
            yield rec

    pid = new_project(hub, "chunks")
    with pytest.raises(FormatError, match="ends in the middle"):
        _import(hub, pid, breaking())
    assert _counts(hub, pid) == (0, 0)
    _import(hub, pid, _records())  # the project and its connection are usable afterwards
    assert _counts(hub, pid) == (N, N)
