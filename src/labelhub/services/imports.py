"""Importing a source into a project: read, validate, store media, then write everything in one transaction.

The work runs in two phases. The first reads the source through its format module, validates every
record against the project and stores media files (content-addressed, so a retry stores nothing twice);
it reports progress freely. The second writes all rows in a single transaction, so a failed, cancelled or
killed import leaves the project exactly as it was. Rows are kept as compact tuples between the phases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, ItemStatus
from labelhub.domain.geometry import validate_geometry
from labelhub.domain.permissions import Action
from labelhub.domain.records import ItemRecord, Problem
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ImportValidationError, LabelhubError, ValidationError
from labelhub.formats import ImportOptions, detect_format, get_format
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.projects import extend_schema
from labelhub.services.writes import insert_media_rows
from labelhub.storage.bulk import ANNOTATION_COLUMNS, ITEM_COLUMNS, bulk_writer
from labelhub.storage.models import Item, utcnow

Progress = Callable[[float, str], None]
MAX_LISTED_PROBLEMS = 200


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``skipped`` lists each record left out with ``skip_invalid`` and why."""

    format: str
    items_added: int = 0
    items_matched: int = 0
    annotations_added: int = 0
    labels: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    report_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "items_added": self.items_added,
            "items_matched": self.items_matched,
            "annotations_added": self.annotations_added,
            "labels": self.labels,
            "skipped_count": len(self.skipped),
            "skipped": self.skipped[:MAX_LISTED_PROBLEMS],
            "report_path": self.report_path,
        }


@dataclass(slots=True)
class _Staged:
    items: list[tuple[Any, ...]] = field(default_factory=list)  # ITEM_COLUMNS without id/project/timestamps
    annotations: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)  # (item index, columns)
    media: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)  # key -> size, mime, link
    names: dict[str, int] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    kinds: frozenset[AnnotationKind] = frozenset(AnnotationKind)  # what the project's schema allows
    problems: list[Problem] = field(default_factory=list)


def _problem_from(exc: LabelhubError, origin: str | None) -> Problem:
    ctx = exc.context
    return Problem(message=exc.detail, file=ctx.get("file") or origin, line=ctx.get("line"), field=ctx.get("field"))


def _stage_record(hub: Hub, rec: ItemRecord, kind: ItemKind, options: ImportOptions, st: _Staged) -> None:
    """Validate one record and add its rows to ``st``; problems go to ``st.problems``."""
    where = rec.origin or rec.name
    if rec.kind is not kind:
        st.problems.append(
            Problem(f"{rec.name}: a {rec.kind.value} item cannot go into a {kind.value} project", file=where)
        )
        return
    if rec.name in st.names:
        st.problems.append(Problem(f"duplicate item {rec.name!r}", file=where, field="name"))
        return
    media_key = None
    frame_keys: list[str] = []
    if options.media != "none":
        files = rec.frame_files or ([rec.media_path] if rec.media_path is not None else [])
        for path in files:
            try:
                stored = hub.media.put_file(path, link=options.media == "link")
            except (OSError, LabelhubError) as exc:
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
            geom = validate_geometry(a.kind, a.geometry, width=rec.width, height=rec.height, text_length=text_len)
        except ValidationError as exc:
            p = _problem_from(exc, a.origin or where)
            p.message = f"{rec.name}: {p.message}"
            st.problems.append(p)
            continue
        ann_rows.append(
            (
                a.kind.value,
                a.label,
                orjson.dumps(geom).decode(),
                a.frame,
                a.track_id,
                a.source.value,
                a.model_version,
                a.score,
                a.state.value,
                orjson.dumps(a.attributes).decode(),
            )
        )
    index = len(st.items)
    st.names[rec.name] = index
    split = options.split.assign(rec.name, rec.meta, rec.split) if options.split else rec.split
    accepted = any(r[8] == AnnotationState.ACCEPTED.value for r in ann_rows)
    meta = dict(rec.meta)
    if rec.external_id is not None:
        meta.setdefault("external_id", rec.external_id)
    if rec.frame_files and frame_keys:
        meta["frames"] = frame_keys  # an image sequence: the item's media is the first frame
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
            orjson.dumps(meta).decode(),
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
        require(s, actor, project_id, Action.IMPORT)
    spec = detect_format(source) if fmt == "auto" else get_format(fmt)
    with spec.importer_class()(source, options) as importer:
        return import_records(
            hub,
            actor,
            project_id,
            importer,
            labels=importer.labels(),
            meta=importer.schema_meta(),
            total=importer.total(),
            format_name=spec.name,
            description=f"reading {source.name} as {spec.title}",
            options=options,
            progress=progress,
        )


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
) -> ImportReport:
    """Validate and write ``records`` into the project in one transaction; the core of every import."""
    report_progress = progress or (lambda _f, _m: None)
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.IMPORT)
        kind = ItemKind(project.item_kind)
        allowed = frozenset(LabelSchema.from_json(project.label_schema).kinds)
    report = ImportReport(format=format_name)
    st = _Staged(labels=list(labels), kinds=allowed)
    report_progress(0.0, description)
    for n, rec in enumerate(records, 1):
        if isinstance(rec, Problem):
            st.problems.append(rec)
        else:
            _stage_record(hub, rec, kind, options, st)
        if n % 2000 == 0:
            frac = 0.8 * n / total if total else 0.4
            report_progress(min(frac, 0.8), f"read {n:,} of {total or '?'} items")
    report.skipped = [p.to_json() for p in st.problems]
    if st.problems and not options.skip_invalid:
        raise _refusal(st.problems, report.skipped)
    # The last chance to cancel: after this the write is one transaction and cannot be half-done.
    report_progress(0.8, f"writing {len(st.items):,} items and {len(st.annotations):,} annotations")
    with hub.db.session(write=True) as s:
        _write(s, actor, project_id, st, meta or {}, report)
    if st.problems:
        report.report_path = _write_report(hub, options, report)
    return report


def _refusal(problems: list[Problem], listed: list[dict[str, Any]]) -> ImportValidationError:
    first = problems[0]
    where = ", ".join(x for x in (first.file, f"line {first.line}" if first.line else None, first.field) if x)
    return ImportValidationError(
        f"import refused, nothing was imported: {len(problems)} problem(s); first: {first.message}"
        + (f" ({where})" if where else "")
        + ". Fix the source, or use --skip-invalid to import the rest.",
        problems=listed[:MAX_LISTED_PROBLEMS],
        file=first.file,
        line=first.line,
        field=first.field,
    )


def _write(s: Session, actor: Actor, project_id: int, st: _Staged, meta: dict[str, Any], rep: ImportReport) -> None:
    project = require(s, actor, project_id, Action.IMPORT)
    used = list(dict.fromkeys([*st.labels, *(r[1] for _, r in st.annotations if r[1] is not None)]))
    extend_schema(s, project, used, meta)
    rep.labels = LabelSchema.from_json(project.label_schema).names
    existing = _existing_ids(s, project_id, list(st.names))
    writer = bulk_writer(s)
    now = writer.timestamp(utcnow())
    new_idx = [i for i, row in enumerate(st.items) if row[1] not in existing]
    ids = writer.reserve_item_ids(len(new_idx))
    item_id: dict[int, int] = {i: existing[row[1]] for i, row in enumerate(st.items) if row[1] in existing}
    item_id.update(zip(new_idx, ids, strict=True))
    insert_media_rows(s, st.media)
    writer.write(
        "items",
        ITEM_COLUMNS,
        ((item_id[i], project_id, *st.items[i][:10], st.items[i][10], 1, now, now) for i in new_idx),
    )
    rep.annotations_added = writer.write(
        "annotations",
        ANNOTATION_COLUMNS,
        ((item_id[i], project_id, *r, actor.user_id, 1, now, now) for i, r in st.annotations),
    )
    writer.finish()
    if existing:
        _merge_meta(s, {item_id[i]: row[8] for i, row in enumerate(st.items) if row[1] in existing and row[8] != "{}"})
        touched = sorted({item_id[i] for i, _ in st.annotations if st.items[i][1] in existing})
        for chunk in range(0, len(touched), 900):
            s.execute(
                update(Item)
                .where(Item.id.in_(touched[chunk : chunk + 900]))
                .values(version=Item.version + 1, updated_at=utcnow())
            )
    rep.items_added, rep.items_matched = len(new_idx), len(existing)
    audit.record(
        s,
        actor,
        "project.import",
        "project",
        project_id,
        project_id=project_id,
        detail={
            "format": rep.format,
            "items_added": rep.items_added,
            "annotations_added": rep.annotations_added,
            "skipped": len(rep.skipped),
        },
    )


def _merge_meta(s: Session, new_meta: dict[int, str]) -> None:
    """Add the keys of an import's metadata to items that already exist (e.g. captions onto imported images).

    A key the import brings replaces the stored value; keys it does not bring stay.
    """
    ids = sorted(new_meta)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for iid, stored in s.execute(select(Item.id, Item.meta).where(Item.id.in_(chunk))):
            merged = {**(stored or {}), **orjson.loads(new_meta[iid])}
            s.execute(update(Item).where(Item.id == iid).values(meta=merged, version=Item.version + 1))


def _existing_ids(s: Session, project_id: int, names: list[str]) -> dict[str, int]:
    if s.scalar(select(Item.id).where(Item.project_id == project_id).limit(1)) is None:
        return {}
    found: dict[str, int] = {}
    for start in range(0, len(names), 900):
        rows = s.execute(
            select(Item.name, Item.id).where(Item.project_id == project_id, Item.name.in_(names[start : start + 900]))
        )
        found.update({name: iid for name, iid in rows})
    return found


def _write_report(hub: Hub, options: ImportOptions, report: ImportReport) -> str:
    path = Path(
        options.extra.get("report_path") or hub.settings.exports_dir / f"import-report-{utcnow():%Y%m%d-%H%M%S-%f}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({**report.to_json(), "skipped": report.skipped}, option=orjson.OPT_INDENT_2))
    return str(path)
