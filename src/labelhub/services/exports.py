"""Exporting a project: stream items and their annotations from one consistent snapshot into a format.

The report counts the annotations the format wrote, not those the project holds: a format leaves out what it
has no place for (YOLO writes boxes and polygons, not tags), and ``annotations_skipped`` says how many of each
kind that was. With ``copy_media`` an item whose media is not stored makes the export fail, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, func, select, type_coerce
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.permissions import Action
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.domain.schema import LabelSchema
from labelhub.errors import FormatError, NotFoundError, ValidationError
from labelhub.formats import FORMATS, ExportItem, ExportOptions, FormatSpec, check_options, get_format
from labelhub.formats._attributes import with_schema_attributes
from labelhub.formats._class_colours import with_schema_colours
from labelhub.formats._keypoint_schema import with_schema_keypoints
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.items import ItemFilter, filtered_items
from labelhub.services.webdataset_shard_state import label_order
from labelhub.storage.db import json_loads
from labelhub.storage.models import Annotation, Item, Media, User

Progress = Callable[[float, str], None]
BATCH = 2000
# An export reports its progress about this many times (at least every BATCH items): per item on a small export,
# whose items may each be slow (a WebDataset shard copying images), yet not a million calls on a large one.
PROGRESS_STEPS = 100
# Stored value -> enum member by dict lookup: calling the enum class costs ~0.5 us, a million times per export.
_KINDS = {k.value: k for k in AnnotationKind}
_SOURCES = {x.value: x for x in Source}
_STATES = {x.value: x for x in AnnotationState}
_ITEM_KINDS = {k.value: k for k in ItemKind}


# Geometry as the stored text, decoded here with orjson: it was validated on the way in (finite numbers, integers
# far below 64 bits), so it needs none of the column type's fallbacks, which cost a regular expression and two
# calls per value. PostgreSQL's driver decodes JSONB itself and hands over the object.
_RAW_GEOMETRY = type_coerce(Annotation.geometry, Text)
# Attributes and meta as text too, decoded by _json_column with the column type's own deserializer (any value may
# be there), without the two layers of result processing around it.
_ITEM_COLUMNS = (Item.id, Item.kind, Item.name, Item.media_key, Item.width, Item.height, Item.frame_count, Item.fps,
                 Item.text, type_coerce(Item.meta, Text).label("meta"), Item.split)  # fmt: skip
_ANNOTATION_COLUMNS = (Annotation.item_id, Annotation.kind, Annotation.label, _RAW_GEOMETRY, Annotation.source,
                       Annotation.state, Annotation.score, Annotation.model_version, Annotation.frame,
                       Annotation.track_id, type_coerce(Annotation.attributes, Text), Annotation.author_id)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote: ``annotations`` written, and per kind those the format left out."""

    format: str
    dest: str
    items: int
    annotations: int
    annotations_skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dest": self.dest,
            "items": self.items,
            "annotations": self.annotations,
            "annotations_skipped": dict(self.annotations_skipped),
        }


def export_records(
    s: Session,
    hub: Hub,
    project_id: int,
    f: ItemFilter,
    states: tuple[str, ...],
    *,
    after: int = 0,
    where: Sequence[ColumnElement[bool]] = (),
) -> Iterator[ExportItem]:
    """Yield each item (with an id above ``after``, meeting ``where`` too) with its annotations in the given
    states, in id order. The WebDataset stream (services/webdataset_stream.py) reads its shards' ranges with it."""
    # Core rows on the session's connection (its transaction and snapshot): the ORM's per-row processing of plain
    # column rows cost ~0.5 s of a 300k-box export, for the same values.
    execute = s.connection().execute
    authors: dict[int, str] | None = None  # user id -> username, read once when an annotation has an author
    while True:
        items = execute(
            filtered_items(project_id, f).with_only_columns(*_ITEM_COLUMNS).where(Item.id > after, *where).limit(BATCH)
        ).all()
        if not items:
            return
        after = items[-1].id
        rows = execute(
            select(*_ANNOTATION_COLUMNS)
            .where(Annotation.item_id.in_([i.id for i in items]), Annotation.state.in_(states))
            .order_by(Annotation.item_id, Annotation.id)
        ).all()  # fetched at once: row by row cost a call into the driver and two into the result per row
        # The rows per item (they come in item order). Each item's records are made as it is yielded, so they die
        # young instead of living through the batch for the garbage collector to walk again and again: its full
        # collections took a fifth of an export.
        on_item = {item_id: list(found) for item_id, found in groupby(rows, itemgetter(0))}
        # Decoded from the row's text, each meta is a new object, which the records may keep without a copy.
        metas: list[dict[str, Any]] = [_json_column(i.meta) or {} for i in items]
        keys = {i.media_key for i in items if i.media_key}
        for meta in metas:
            if isinstance(meta.get("frames"), list):
                keys.update(meta["frames"])
        links = {k: p for k, p in execute(select(Media.key, Media.path).where(Media.key.in_(keys)))} if keys else {}
        for it, meta in zip(items, metas, strict=True):
            media_file = None if it.media_key is None else _media_file(hub, it.media_key, links.get(it.media_key))
            frames: list[Path] = []
            frame_keys = meta.get("frames")
            if frame_keys:
                frame_files = [_media_file(hub, k, links.get(k)) for k in frame_keys]
                frames = [f for f in frame_files if f is not None] if all(frame_files) else []
            annotations: list[AnnotationRecord] = []
            for _, kind, label, geom, source, state, score, mv, frame, track, attrs, author in on_item.get(it.id, ()):
                name = None
                if author is not None:
                    if authors is None:
                        authors = {int(i): str(n) for i, n in execute(select(User.id, User.username))}
                    name = authors.get(author)
                # Positional, in the order of AnnotationRecord's fields: keywords cost twice as much per record.
                annotations.append(
                    AnnotationRecord(
                        _KINDS[kind],
                        label,
                        orjson.loads(geom) if isinstance(geom, str) else geom,
                        _SOURCES[source],
                        _STATES[state],
                        score,
                        mv,  # model_version
                        frame,
                        track,  # track_id
                        _json_column(attrs) or {},  # attributes
                        None,  # origin
                        name,  # author
                    )
                )
            rec = ItemRecord(
                kind=_ITEM_KINDS.get(it.kind) or ItemKind(it.kind),
                name=it.name,
                width=it.width,
                height=it.height,
                frame_count=it.frame_count,
                fps=it.fps,
                text=it.text,
                meta=meta,
                external_id=meta.get("external_id"),
                split=it.split,
                annotations=annotations,
                media_path=media_file,
                frame_files=frames,
            )
            yield ExportItem(record=rec, media_file=media_file, frame_files=frames)


def _json_column(value: Any) -> Any:
    """A JSON column selected as text, decoded as its column type does (with the deserializer storage/db.py gives
    every engine); PostgreSQL's driver decodes JSON itself, with that deserializer, and hands over the object."""
    return json_loads(value) if isinstance(value, str | bytes) else value


def check_export_kind(spec: FormatSpec, item_kind: str) -> None:
    """Refuse a format whose exporter does not write the project's kind of item, naming the ones that do."""
    if any(k.value == item_kind for k in spec.export_kinds):
        return
    fits = sorted(f.name for f in FORMATS.values() if any(k.value == item_kind for k in f.export_kinds))
    raise ValidationError(
        f"{spec.name} ({spec.title}) does not export {item_kind} items; formats that do: {', '.join(fits)}",
        field="format",
    )


def export_project(
    hub: Hub,
    actor: Actor,
    project_id: int,
    dest: Path,
    *,
    fmt: str,
    options: ExportOptions | None = None,
    states: tuple[AnnotationState, ...] = (AnnotationState.ACCEPTED,),
    item_filter: ItemFilter | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
) -> ExportReport:
    """Write the project to ``dest`` in ``fmt``; a failure removes the partial output.

    An existing file at ``dest`` is replaced only with ``overwrite`` (one careless name must not replace a
    dataset's own annotation file); a folder export already refuses a folder that is not empty.
    """
    report_progress = progress or (lambda _f, _m: None)
    spec = get_format(fmt)
    check_options(spec, (options or ExportOptions()).extra, "export")
    if dest.is_file() and not overwrite:
        raise FormatError(f"{dest} already exists; choose another name, or replace it (--overwrite)", file=str(dest))
    f = item_filter or ItemFilter()
    n_items = 0
    with hub.db.session() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        project = require(s, actor, project_id, Action.EXPORT)
        check_export_kind(spec, project.item_kind)
        schema_json = project.label_schema
        total = s.scalar(select(func.count()).select_from(Item).where(Item.project_id == project_id)) or 0
        schema = LabelSchema.from_json(schema_json)
        labels = schema.names
        if spec.name == "webdataset":  # a label outside the list gets the id a streamed shard gives it
            labels = label_order(s, project_id, labels, tuple(st.value for st in states))
        opts = options or ExportOptions()
        internal = {"format_meta": schema_json.get("format_meta", {}), "project_name": project.name,
                    "changed_at": _newest_change(s, project_id, project.updated_at)}  # fmt: skip
        opts = ExportOptions(copy_media=opts.copy_media, extra={**internal, **opts.extra}, split=opts.split)
        opts = with_schema_attributes(opts, schema.attributes)  # formats that declare or write them
        opts = with_schema_keypoints(opts, schema.classes)  # COCO declares them on its categories
        opts = with_schema_colours(opts, schema.classes)  # DICOM-SEG gives each segment its class's colour
        rule = opts.split
        step = max(1, min(BATCH, total // PROGRESS_STEPS))
        report_progress(0.0, f"exporting to {spec.title}")
        with spec.exporter_class()(dest, labels, opts) as exporter:
            for export_item in export_records(s, hub, project_id, f, tuple(st.value for st in states)):
                if rule is not None:
                    rec = export_item.record
                    rec.split = rule.assign(rec.name, rec.meta, rec.split)
                exporter.write(export_item)
                n_items += 1
                if n_items % step == 0:
                    report_progress(0.99 * n_items / max(total, n_items), f"wrote {n_items:,} of {total:,} items")
    tally = exporter.tally
    skipped = dict(sorted(tally.skipped.items()))
    with hub.db.session(write=True) as s:
        audit.record(
            s,
            actor,
            "project.export",
            "project",
            project_id,
            project_id=project_id,
            detail={"format": fmt, "items": n_items, "annotations": tally.annotations, "annotations_skipped": skipped},
        )
    return ExportReport(
        format=spec.name, dest=str(dest), items=n_items, annotations=tally.annotations, annotations_skipped=skipped
    )


def _newest_change(s: Session, project_id: int, project_changed: datetime) -> datetime:
    """Return when the project's data last changed: its settings, an item or an annotation.

    Formats that write a date (CVAT's ``<dumped>``) write this one, not the clock's, so exporting the same data
    twice gives the same bytes.
    """
    items = s.scalar(select(func.max(Item.updated_at)).where(Item.project_id == project_id))
    annotations = s.scalar(select(func.max(Annotation.updated_at)).where(Annotation.project_id == project_id))
    return max(t for t in (project_changed, items, annotations) if t is not None)


def _media_file(hub: Hub, key: str | None, linked: str | None) -> Path | None:
    """Return the stored file of an item, or None when it has none or the file is gone (a linked file moved).

    Annotation-only formats export fine without it; with ``copy_media`` the exporter fails naming such items.
    """
    if key is None:
        return None
    try:
        return hub.media.local_path(key, linked)
    except NotFoundError:
        return None
