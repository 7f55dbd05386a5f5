"""The write side of an import: staged rows, and the sink that writes them into one transaction in chunks.

An import stages each record as compact row tuples (:class:`Staged`). :class:`RowSink` writes staged rows
into the import's single transaction. On SQLite it is given everything at the end, after every record was
read and checked, so the one write lock is held only while writing. On PostgreSQL the transaction opens
first and the sink takes a chunk whenever enough rows are staged: the server checks foreign keys and builds
indexes for one chunk (in its own process, on the other core) while Python reads the next: a
:class:`BackgroundSink` writes each chunk from a thread, so the reader does not wait for the server. A problem
found later still refuses the whole import, because nothing is committed until the end (rollback).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.natural import natural_key
from labelhub.domain.permissions import Action
from labelhub.domain.records import Problem
from labelhub.domain.schema import LabelSchema
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.projects import extend_schema
from labelhub.services.writes import insert_media_rows
from labelhub.storage.bulk import ANNOTATION_COLUMNS, ITEM_COLUMNS, bulk_writer
from labelhub.storage.models import Annotation, Item, utcnow

# Rows staged before the PostgreSQL sink takes them: large enough that COPY's set-up is noise, small enough
# that the server always has work while Python reads.
CHUNK_ITEMS = 10_000


@dataclass(slots=True)
class Staged:
    """Rows read and checked but not yet written; item indexes count from the first item of the import."""

    items: list[tuple[Any, ...]] = field(default_factory=list)  # ITEM_COLUMNS without id/project/timestamps
    annotations: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)  # (item index, columns)
    media: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)  # key -> size, mime, link
    names: dict[str, int] = field(default_factory=dict)  # every item name of the import -> its index
    base: int = 0  # index of items[0]: the items before it were written already
    labels: list[str] = field(default_factory=list)
    kinds: frozenset[AnnotationKind] = frozenset(AnnotationKind)  # what the project's schema allows
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class Counts:
    items_added: int = 0
    items_matched: int = 0
    annotations_added: int = 0
    annotations_present: int = 0  # on matched items, identical to one they hold already: not added again


class RowSink:
    """Writes staged rows into the session's open transaction, chunk after chunk, then finishes the import."""

    def __init__(self, s: Session, actor: Actor, project_id: int) -> None:
        require(s, actor, project_id, Action.IMPORT)
        self.s = s
        self.actor = actor
        self.project_id = project_id
        self.writer = bulk_writer(s)
        self.now = self.writer.timestamp(utcnow())
        # Names can match only items that were there before: later chunks' names are new (checked in staging).
        self.had_items = s.scalar(select(Item.id).where(Item.project_id == project_id).limit(1)) is not None
        self.used_labels: dict[str, None] = {}
        self.counts = Counts()
        self.labels_added: list[str] = []  # classes the import added to the project's schema (set by finish)

    def take(self, st: Staged) -> None:
        """Write the staged items, their annotations and media rows, and empty ``st`` for the next chunk."""
        if not st.items:
            return
        base, items = st.base, st.items
        existing = self._existing_ids([row[1] for row in items]) if self.had_items else {}
        new_idx = [i for i, row in enumerate(items) if row[1] not in existing]
        item_id = {i: existing[row[1]] for i, row in enumerate(items) if row[1] in existing}
        item_id.update(zip(new_idx, self.writer.reserve_item_ids(len(new_idx)), strict=True))
        insert_media_rows(self.s, st.media)
        if existing:
            st.annotations = self._without_present(st.annotations, {i + base: item_id[i] for i in item_id
                                                                  if items[i][1] in existing})  # fmt: skip
        pid, now = self.project_id, self.now
        self.writer.write("items", ITEM_COLUMNS, ((item_id[i], pid, *items[i][:11], 1, now, now,
                                                   natural_key(items[i][1])) for i in new_idx))  # fmt: skip
        self.counts.annotations_added += self.writer.write(
            "annotations",
            ANNOTATION_COLUMNS,
            ((item_id[i - base], pid, *r, self.actor.user_id, 1, now, now) for i, r in st.annotations),
        )
        self.used_labels.update((r[1], None) for _, r in st.annotations if r[1] is not None)
        if existing:
            matched = {i: item_id[i] for i, row in enumerate(items) if row[1] in existing}
            self._merge_meta({iid: items[i][8] for i, iid in matched.items() if items[i][8] != "{}"})
            touched = sorted({item_id[i - base] for i, _ in st.annotations if i - base in matched})
            for start in range(0, len(touched), 900):
                self.s.execute(
                    update(Item)
                    .where(Item.id.in_(touched[start : start + 900]))
                    .values(version=Item.version + 1, updated_at=utcnow())
                )
        self.counts.items_added += len(new_idx)
        self.counts.items_matched += len(existing)
        st.base += len(items)
        st.items = []
        st.annotations = []
        st.media = {}

    def finish(self, labels: list[str], meta: dict[str, Any], fmt: str, skipped: int) -> list[str]:
        """Add the labels to the schema, gather statistics, audit; return the project's class names."""
        project = require(self.s, self.actor, self.project_id, Action.IMPORT)
        before = set(LabelSchema.from_json(project.label_schema).names)
        extend_schema(self.s, project, list(dict.fromkeys([*labels, *self.used_labels])), meta)
        self.labels_added = [n for n in LabelSchema.from_json(project.label_schema).names if n not in before]
        self.writer.finish()
        c = self.counts
        audit.record(
            self.s,
            self.actor,
            "project.import",
            "project",
            self.project_id,
            project_id=self.project_id,
            detail={
                "format": fmt,
                "items_added": c.items_added,
                "annotations_added": c.annotations_added,
                "skipped": skipped,
            },
        )
        return LabelSchema.from_json(project.label_schema).names

    def _merge_meta(self, new_meta: dict[int, str]) -> None:
        """Add the keys of an import's metadata to items that already exist (e.g. captions onto imported images).

        A key the import brings replaces the stored value; keys it does not bring stay. An item whose metadata this
        leaves as it was keeps its version (importing the same file again must not make open editors conflict).
        """
        ids = sorted(new_meta)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            for iid, stored in self.s.execute(select(Item.id, Item.meta).where(Item.id.in_(chunk))):
                merged = {**(stored or {}), **orjson.loads(new_meta[iid])}
                if merged == (stored or {}):
                    continue
                self.s.execute(update(Item).where(Item.id == iid).values(meta=merged, version=Item.version + 1))

    def _without_present(
        self, staged: list[tuple[int, tuple[Any, ...]]], matched: dict[int, int]
    ) -> list[tuple[int, tuple[Any, ...]]]:
        """Drop the staged annotations of matched items (import index -> item id) that the item already holds:
        same kind, label, geometry and frame. Importing a file again then adds nothing twice; what it changes
        (another label, a moved box) is added beside what was there."""
        ids = sorted(set(matched.values()))
        held: set[tuple[int, str, str | None, bytes, int | None]] = set()
        for start in range(0, len(ids), 900):
            rows = self.s.execute(
                select(
                    Annotation.item_id, Annotation.kind, Annotation.label, Annotation.geometry, Annotation.frame
                ).where(Annotation.item_id.in_(ids[start : start + 900]))
            )
            held.update((i, k, lab, _canonical(g), f) for i, k, lab, g, f in rows)
        if not held:
            return staged
        kept = []
        for index, r in staged:
            iid = matched.get(index)
            if iid is not None and (iid, r[0], r[1], _canonical(orjson.loads(r[2])), r[3]) in held:
                self.counts.annotations_present += 1
                continue
            kept.append((index, r))
        return kept

    def _existing_ids(self, names: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(names), 900):
            rows = self.s.execute(
                select(Item.name, Item.id).where(
                    Item.project_id == self.project_id, Item.name.in_(names[start : start + 900])
                )
            )
            found.update({name: iid for name, iid in rows})
        return found


def _canonical(geometry: Any) -> bytes:
    """A geometry as comparable bytes: keys sorted, numbers as JSON writes them."""
    return orjson.dumps(geometry, option=orjson.OPT_SORT_KEYS)


class BackgroundSink:
    """Runs a :class:`RowSink`'s ``take`` on one worker thread, at most one chunk behind the reader.

    The reader hands a chunk over and goes on reading while the thread sends it (COPY) and the server checks and
    indexes it; the session is used only by that thread until :meth:`wait` returns. One chunk in flight keeps
    memory bounded, and a write error surfaces at the next hand-over or at :meth:`wait`.
    """

    def __init__(self, sink: RowSink) -> None:
        self.sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labelhub-import-write")
        self._pending: Future[None] | None = None

    def take(self, st: Staged) -> None:
        """Hand the staged rows to the writer thread and empty ``st`` for the next chunk."""
        self.wait()
        chunk = Staged(items=st.items, annotations=st.annotations, media=st.media, base=st.base)
        st.base += len(st.items)
        st.items, st.annotations, st.media = [], [], {}
        self._pending = self._pool.submit(self.sink.take, chunk)

    def wait(self) -> None:
        """Return once the chunk in flight is written; raise what its write raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the chunk in flight (so the transaction can end), without raising its error, and stop."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.exception()  # an error here is the import's failure already being handled, or seen by wait()
        self._pool.shutdown(wait=True)
