"""Importing a source into a project: read, validate, store media, and write everything in one transaction.

The import reads the source through its format module, validates every record against the project and
stores media files (content-addressed, so a retry stores nothing twice), reporting progress as it goes. All
rows are written in a single transaction, so a failed, cancelled or killed import leaves the project exactly
as it was. Rows are kept as compact tuples until written; when the transaction opens depends on the database
(see :mod:`labelhub.services._import_rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, ItemStatus
from labelhub.domain.geometry import outside_box_in_image, validate_geometry
from labelhub.domain.permissions import Action
from labelhub.domain.records import ItemRecord, Problem
from labelhub.domain.schema import LabelSchema
from labelhub.errors import LabelhubError, ValidationError
from labelhub.formats import (
    ImportOptions,
    annotation_files,
    check_format_for,
    check_options,
    dataset_root,
    detect_format,
    get_format,
    kind_with_article,
)
from labelhub.formats._attributes import with_schema_attributes
from labelhub.formats._common import media_checked
from labelhub.hub import Hub
from labelhub.services._import_refusals import refusal, refuse_if_the_store_failed
from labelhub.services._import_rows import CHUNK_ITEMS, BackgroundSink, RowSink, Staged
from labelhub.services.access import Actor, require
from labelhub.services.projects import extend_attributes
from labelhub.services.schema_keypoints import adopt_file_skeletons
from labelhub.services.uploads import MediaGuard, import_roots_for
from labelhub.storage.json_text import json_text
from labelhub.storage.models import utcnow

Progress = Callable[[float, str], None]
#: A source's attribute declarations, or a function asked for them once its records were read.
Declared = list[AttributeSpec] | Callable[[], list[AttributeSpec]]
MAX_LISTED_PROBLEMS = 200

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``skipped`` lists each record left out with ``skip_invalid`` and why."""

    format: str
    items_added: int = 0
    items_matched: int = 0
    annotations_added: int = 0
    annotations_present: int = 0
    labels: list[str] = field(default_factory=list)
    labels_added: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    report_path: str | None = None
    # What the person should know although the import succeeded (annotation files a plain image read left unread).
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "items_added": self.items_added,
            "items_matched": self.items_matched,
            "annotations_added": self.annotations_added,
            "annotations_present": self.annotations_present,
            "labels": self.labels,
            "labels_added": self.labels_added,
            "skipped_count": len(self.skipped),
            "skipped": self.skipped[:MAX_LISTED_PROBLEMS],
            "report_path": self.report_path,
            "warnings": self.warnings,
        }


def _problem_from(exc: LabelhubError, origin: str | None) -> Problem:
    ctx = exc.context
    return Problem(message=exc.detail, file=ctx.get("file") or origin, line=ctx.get("line"), field=ctx.get("field"))


_BOX = AnnotationKind.BOX


def _stage_record(
    hub: Hub, rec: ItemRecord, kind: ItemKind, options: ImportOptions, st: Staged, guard: MediaGuard | None = None
) -> None:
    """Validate one record and add its rows to ``st``; problems go to ``st.problems``. ``guard``: where media
    files may lie (after links); a file elsewhere is a problem of the record, and is not read."""
    where = rec.origin or rec.name
    if rec.kind is not kind:
        msg = f"{rec.name}: {kind_with_article(rec.kind)} item cannot go into {kind_with_article(kind)} project"
        st.problems.append(Problem(msg, file=where))
        return
    if rec.name in st.names:
        st.problems.append(Problem(f"duplicate item {rec.name!r}", file=where, field="name"))
        return
    media_key = None
    frame_keys: list[str] = []
    if options.media != "none":
        files = rec.frame_files or ([rec.media_path] if rec.media_path is not None else [])
        for path in files:
            refused = guard.refusal(path) if guard is not None else None
            if refused is not None:
                st.problems.append(Problem(refused, file=str(path)))
                return
            try:
                stored = hub.media.put_file(path, link=options.media == "link")
            except OSError as exc:
                refuse_if_the_store_failed(hub, exc)
                st.problems.append(Problem(f"cannot store media {path}: {exc}", file=str(path)))
                return
            except LabelhubError as exc:
                st.problems.append(Problem(f"cannot store media {path}: {exc}", file=str(path)))
                return
            frame_keys.append(stored.key)
            st.media.setdefault(stored.key, (stored.size, stored.mime, stored.linked_path))
        media_key = frame_keys[0] if frame_keys else None
    text_len = len(rec.text) if rec.text is not None else None
    ann_rows: list[tuple[Any, ...]] = []
    for a in rec.annotations:
        try:
            if a.kind not in st.kinds:
                raise ValidationError(f"{a.kind.value} annotations are not allowed in this project", field="kind")
            if a.kind is not AnnotationKind.CLASS and not a.label:
                raise ValidationError("annotation has no label", field="label")
            g = a.geometry
            if a.kind is AnnotationKind.TRACK_BOX and a.attributes.get("outside") is True:
                g = outside_box_in_image(g, rec.width, rec.height)  # only where it was last seen
            geom = validate_geometry(a.kind, g, width=rec.width, height=rec.height, text_length=text_len)
            # A box is four floats (validate_geometry made them so): nothing in it to check.
            geom_json = orjson.dumps(geom).decode() if a.kind is _BOX else json_text(geom, "geometry")
            attrs_json = json_text(a.attributes, "attributes") if a.attributes else "{}"
        except ValidationError as exc:
            p = _problem_from(exc, a.origin or where)
            p.message = f"{rec.name}: {p.message}"
            st.problems.append(p)
            continue
        # str() of a StrEnum member is its value, without the slower ``.value`` property.
        ann_rows.append(
            (
                str(a.kind),
                a.label,
                geom_json,
                a.frame,
                a.track_id,
                str(a.source),
                a.model_version,
                a.score,
                str(a.state),
                attrs_json,
            )
        )
    meta = dict(rec.meta)
    if rec.external_id is not None:
        meta.setdefault("external_id", rec.external_id)
    if rec.frame_files and frame_keys:
        meta["frames"] = frame_keys  # an image sequence: the item's media is the first frame
    try:
        meta_json = json_text(meta, "meta")
    except ValidationError as exc:
        st.problems.append(Problem(f"{rec.name}: {exc.detail}", file=where, field="meta"))
        return
    index = st.base + len(st.items)
    st.names[rec.name] = index
    split = options.split.assign(rec.name, rec.meta, rec.split) if options.split else rec.split
    accepted = any(r[8] == AnnotationState.ACCEPTED.value for r in ann_rows)
    st.items.append(
        (
            kind.value,
            rec.name,
            media_key,
            rec.width,
            rec.height,
            rec.frame_count,
            rec.fps,
            rec.text,
            meta_json,
            split,
            (ItemStatus.LABELED if accepted else ItemStatus.NEW).value,
        )
    )
    st.annotations.extend((index, r) for r in ann_rows)


def import_source(
    hub: Hub,
    actor: Actor,
    project_id: int,
    source: Path,
    *,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``source`` into the project; all or nothing unless ``options.skip_invalid``."""
    options = options or ImportOptions()
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.IMPORT)
        kind, declared = ItemKind(project.item_kind), LabelSchema.from_json(project.label_schema).attributes
    named, source = source, dataset_root(source)  # a zipped dataset folder is read from inside it
    spec = detect_format(source, kind, options.extra) if fmt == "auto" else get_format(fmt)
    check_format_for(spec, kind)
    check_options(spec, options.extra, "import")
    options = with_schema_attributes(options, declared)  # formats read values as the project declares them
    # An import the API could have started reads media only inside the import folders, whatever links lead to.
    roots = import_roots_for(hub.settings, named)
    guard = MediaGuard(roots) if roots is not None else None
    check = guard.refusal if guard is not None else None
    with media_checked(check), spec.importer_class()(source, options) as importer:
        report = import_records(
            hub,
            actor,
            project_id,
            importer,
            labels=importer.labels(),
            meta=importer.schema_meta(),
            attributes=importer.attribute_specs,  # asked after reading: CVAT declares what its shapes carry
            total=importer.total(),
            format_name=spec.name,
            description=f"reading {source.name} as {spec.title}",
            options=options,
            progress=progress,
            media_guard=guard,
        )
    if fmt == "auto":
        report.warnings.extend(unread_annotations(named, source, spec.name))
    return report


def unread_annotations(named: Path, source: Path, format_name: str) -> list[str]:
    """Say so when auto-detection read ``source`` as plain images although files that may hold annotations lie
    below it (a COCO file in an unexpected place, a format the project's kind does not take): no silent 0."""
    if format_name not in ("image_folder", "video") or not source.is_dir():
        return []
    found = annotation_files(source)
    if not found:
        return []
    shown = [f"{f.name} in {_as_named(named, f.parent)}" for f in found]
    return [
        f"no annotations were read: the folder was read as plain images ({format_name}); found {'; '.join(shown)}"
        ": choose its format (the import dialog's format, or --format), or point the import at that file"
    ]


def _as_named(named: Path, folder: Path) -> str:
    """``folder`` as the person knows it: relative to, and starting with, the source they named."""
    try:
        rel = folder.relative_to(named)
    except ValueError:
        return str(folder)
    return (Path(named.name) / rel).as_posix() if rel.parts else named.name


def import_records(
    hub: Hub,
    actor: Actor,
    project_id: int,
    records: Iterable[ItemRecord | Problem],
    *,
    labels: list[str],
    format_name: str,
    options: ImportOptions,
    meta: dict[str, Any] | None = None,
    total: int | None = None,
    description: str = "reading",
    progress: Progress | None = None,
    media_guard: MediaGuard | None = None,
    attributes: Declared | None = None,
) -> ImportReport:
    """Validate and write ``records`` into the project in one transaction; the core of every import.

    ``media_guard``: where the records' media files may lie (see :func:`import_source`); None reads any file.
    ``attributes``: what the source declares (one per label and attribute), or a function asked for it once the
    records were read; declared in the project's schema in the same transaction (see
    :func:`labelhub.services.projects.merge_attributes`)."""
    report_progress = progress or (lambda _f, _m: None)
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.IMPORT)
        kind = ItemKind(project.item_kind)
        allowed = frozenset(LabelSchema.from_json(project.label_schema).kinds)
    report = ImportReport(format=format_name)
    st = Staged(labels=list(labels), kinds=allowed)
    report_progress(0.0, description)
    # PostgreSQL: the transaction opens now and takes rows chunk by chunk while the source is read (see
    # _import_rows). SQLite: it opens only after every record was read and checked, to hold the lock briefly.
    streaming = hub.db.dialect == "postgresql"
    with hub.db.session(write=True) if streaming else nullcontext() as early:
        sink = RowSink(early, actor, project_id) if early is not None else None
        if sink is not None:
            with closing(BackgroundSink(sink)) as background:
                _read(hub, records, kind, options, st, total, report_progress, background, media_guard)
                background.wait()
        else:
            _read(hub, records, kind, options, st, total, report_progress, None, media_guard)
        report.skipped = [p.to_json() for p in st.problems]
        if st.problems and not options.skip_invalid:
            raise refusal(st.problems, report.skipped[:MAX_LISTED_PROBLEMS])  # rolls back whatever the sink wrote
        # The last chance to cancel: after this the write cannot be half-done.
        n_anns = len(st.annotations) + (sink.counts.annotations_added if sink is not None else 0)
        report_progress(0.8, f"writing {st.base + len(st.items):,} items and {n_anns:,} annotations")
        if sink is not None:
            _finish(sink, st, meta, report, attributes)
    if sink is None:
        with hub.db.session(write=True) as s:
            _finish(RowSink(s, actor, project_id), st, meta, report, attributes)
    if st.problems:
        try:
            report.report_path = _write_report(hub, options, report)
        except OSError as exc:  # the import has committed: say so, do not fail it
            log.warning("import into project %s committed, but its report could not be written: %s", project_id, exc)
            report.warnings.append(f"the import's report (the skipped items) could not be written: {exc}")
    return report


def _read(
    hub: Hub,
    records: Iterable[ItemRecord | Problem],
    kind: ItemKind,
    options: ImportOptions,
    st: Staged,
    total: int | None,
    report_progress: Progress,
    background: BackgroundSink | None,
    guard: MediaGuard | None,
) -> None:
    """Stage every record into ``st``, handing full chunks to ``background`` (PostgreSQL) as they fill."""
    for n, rec in enumerate(records, 1):
        if isinstance(rec, Problem):
            st.problems.append(rec)
        else:
            _stage_record(hub, rec, kind, options, st, guard)
        if n % 2000 == 0:
            frac = 0.8 * n / total if total else 0.4
            report_progress(min(frac, 0.8), f"read {n:,} of {f'{total:,}' if total else '?'} items")
        if background is not None and len(st.items) >= CHUNK_ITEMS and not (st.problems and not options.skip_invalid):
            background.take(st)


def _finish(
    sink: RowSink, st: Staged, meta: dict[str, Any] | None, report: ImportReport, attributes: Declared | None
) -> None:
    declared = attributes() if callable(attributes) else attributes
    sink.take(st)
    report.labels = sink.finish(st.labels, meta or {}, report.format, len(report.skipped))
    project = require(sink.s, sink.actor, sink.project_id, Action.IMPORT)
    report.warnings.extend(adopt_file_skeletons(project, meta))
    if declared:
        report.warnings.extend(extend_attributes(sink.s, project, declared))
    report.items_added = sink.counts.items_added
    report.items_matched = sink.counts.items_matched
    report.annotations_added = sink.counts.annotations_added
    report.annotations_present = sink.counts.annotations_present
    report.labels_added = sink.labels_added


def _write_report(hub: Hub, options: ImportOptions, report: ImportReport) -> str:
    path = Path(
        options.extra.get("report_path") or hub.settings.exports_dir / f"import-report-{utcnow():%Y%m%d-%H%M%S-%f}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({**report.to_json(), "skipped": report.skipped}, option=orjson.OPT_INDENT_2))
    return str(path)
