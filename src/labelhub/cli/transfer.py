"""``labelhub import`` and ``labelhub export``, with progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from labelhub.cli._common import (
    AsUser,
    acting_as,
    cannot_write,
    console,
    guarded,
    opened_hub,
    progress_bar,
    project_id,
)
from labelhub.domain.enums import AnnotationState, ItemKind
from labelhub.domain.splits import parse_split
from labelhub.errors import ValidationError
from labelhub.formats import ExportOptions, ImportOptions, check_options, dataset_root, detect_format, get_format
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source, unread_annotations
from labelhub.services.projects import get_project_by_name


def _checked_split(value: str | None) -> str | None:
    """Return ``--split`` as given once it reads as a split; a mistake (``0.5/0.6``) is a usage error, exit 2."""
    if value:
        try:
            parse_split(value)
        except ValidationError as exc:
            raise typer.BadParameter(exc.detail) from None
    return value


Split = Annotated[
    str | None,
    typer.Option(
        "--split",
        help="Assign splits: ratios train/val/test such as 0.8/0.1/0.1 (summing to 1, or 100 as percentages),"
        " NAME=RATIO pairs, or field:NAME to read them",
        callback=_checked_split,
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of a ratio split (the same seed gives the same split)")]
FormatOptions = Annotated[
    list[str] | None,
    typer.Option("--option", "-o", help="Format option KEY=VALUE, e.g. text_column=utterance (repeatable)"),
]


def import_(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    source: Annotated[Path, typer.Argument(help="File or folder to import")],
    format: Annotated[str, typer.Option("--format", "-f", help="Format name, or auto to detect")] = "auto",
    link: Annotated[bool, typer.Option("--link", help="Keep media files in place instead of copying")] = False,
    metadata_only: Annotated[bool, typer.Option("--metadata-only", help="Do not read or store media")] = False,
    images_dir: Annotated[
        Path | None, typer.Option(help="Where the media files are, if not beside the annotation file")
    ] = None,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Import the valid part, report the rest")] = (
        False
    ),
    option: FormatOptions = None,
    split: Split = None,
    seed: Seed = 0,
    as_user: AsUser = None,
) -> None:
    """Import a dataset into a project (all or nothing unless --skip-invalid)."""
    with guarded():
        rule = parse_split(split, seed) if split else None
        extra = _parse_options(option or [])
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        with hub.db.session() as s:
            found = get_project_by_name(s, actor, project)
            pid, kind = found.id, ItemKind(found.item_kind)
        warnings: list[str] = []
        if format == "auto":
            spec = detect_format(dataset_root(source), kind, extra)  # the options steer it (-o text_column=...)
            console.print(f"detected format: [bold]{spec.name}[/] ({spec.title})")
            format = spec.name
            warnings = unread_annotations(source, dataset_root(source), spec.name)
        check_options(get_format(format), extra, "import")  # before the progress bar: a typo is refused at once
        options = ImportOptions(
            media="none" if metadata_only else "link" if link else "copy",
            images_dir=images_dir,
            skip_invalid=skip_invalid,
            extra=extra,
            split=rule,
        )
        with progress_bar(f"import {source.name}") as progress:
            report = import_source(hub, actor, pid, source, fmt=format, options=options, progress=progress)
    console.print(
        f"imported {report.items_added:,} new items ({report.items_matched:,} matched existing), "
        f"{report.annotations_added:,} annotations, {len(report.labels)} classes"
        + (f"; {report.annotations_present:,} annotations already there, not added again"
           if report.annotations_present else "")
    )  # fmt: skip
    if report.labels_added:
        console.print(f"new classes added to the project: {', '.join(report.labels_added)}")
    for warning in [*warnings, *report.warnings]:
        console.print(f"[yellow]warning: {warning}[/]")
    if report.skipped:
        console.print(f"[yellow]skipped {len(report.skipped):,} invalid record(s); report: {report.report_path}[/]")


def _parse_options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--option {pair!r} is not KEY=VALUE", field="option")
        out[key.strip()] = value.strip()
    return out


@contextmanager
def _written_to(dest: Path) -> Iterator[None]:
    """An export's destination that cannot be written: the clean ``error: cannot write ...`` line."""
    try:
        yield
    except OSError as exc:
        cannot_write(dest, exc, "dest")


def export(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    dest: Annotated[Path, typer.Argument(help="File or folder to write")],
    format: Annotated[str, typer.Option("--format", "-f", help="Format name")] = "coco",
    copy_media: Annotated[bool, typer.Option("--copy-media", help="Also write the media files")] = False,
    include_proposed: Annotated[bool, typer.Option(help="Also export model proposals not yet accepted")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace DEST when it is an existing file")] = False,
    option: FormatOptions = None,
    split: Split = None,
    seed: Seed = 0,
    as_user: AsUser = None,
) -> None:
    """Export a project's accepted annotations (streamed; memory stays flat). An existing file is replaced only
    with --overwrite; a folder must be new or empty."""
    with guarded():
        rule = parse_split(split, seed) if split else None
        extra = _parse_options(option or [])
        check_options(get_format(format), extra, "export")  # before the database: a typo is refused at once
    states = (AnnotationState.ACCEPTED, AnnotationState.PROPOSED) if include_proposed else (AnnotationState.ACCEPTED,)
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        pid = project_id(hub, actor, project)
        with progress_bar(f"export {format}") as progress, _written_to(dest):
            report = export_project(
                hub,
                actor,
                pid,
                dest,
                fmt=format,
                options=ExportOptions(copy_media=copy_media, extra=extra, split=rule),
                states=states,
                progress=progress,
                overwrite=overwrite,
            )
    console.print(f"exported {report.items:,} items, {report.annotations:,} annotations to {report.dest}")
    skipped = {kind: n for kind, n in report.annotations_skipped.items() if n}
    if skipped:
        left = ", ".join(f"{n:,} {kind}" for kind, n in sorted(skipped.items(), key=lambda kv: -kv[1]))
        console.print(f"left out, as {format} cannot hold them: {left}")
