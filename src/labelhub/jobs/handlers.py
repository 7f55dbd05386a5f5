"""The job kinds labelhub knows and the function that runs each; the worker is built with this table."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labelhub.domain.enums import AnnotationState
from labelhub.domain.splits import parse_split
from labelhub.errors import LabelhubError
from labelhub.formats import ExportOptions, ImportOptions
from labelhub.jobs.context import JobContext, JobTakenOver
from labelhub.jobs.zip_export import zip_folder
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.services.uploads import remove_upload
from labelhub.storage.models import Project

Handler = Callable[[JobContext], dict[str, Any]]
# Kinds that commit as they go (batch by batch): a cancel keeps the batches already written. Every other kind
# writes all at once at its end, so a cancel leaves nothing behind.
COMMITS_AS_IT_GOES = frozenset({"prelabel", "embed"})
# Kinds a person waits for in the editor (a track's propagation takes seconds): a worker's interactive lane runs
# only these, so they never queue behind a training or an export (see LocalExecutor).
INTERACTIVE = frozenset({"propagate"})


def run_import(ctx: JobContext) -> dict[str, Any]:
    """Import ``params.source`` into the job's project."""
    p = ctx.params
    if ctx.project_id is None:
        raise ValueError("an import job needs a project")
    options = ImportOptions(
        media=p.get("media", "copy"),
        images_dir=Path(p["images_dir"]) if p.get("images_dir") else None,
        skip_invalid=bool(p.get("skip_invalid", False)),
        extra=dict(p.get("extra") or {}),
        split=parse_split(p["split"], int(p.get("seed") or 0)) if p.get("split") else None,
    )
    source = Path(p["source"])
    uploads = ctx.hub.settings.uploads_dir
    try:
        report = import_source(
            ctx.hub, ctx.actor, ctx.project_id, source, fmt=p.get("format", "auto"), options=options,
            progress=ctx.progress,
        )  # fmt: skip
    except JobTakenOver:
        raise  # another worker runs it again: it needs the upload
    except Exception as exc:
        if (
            isinstance(exc, LabelhubError)
            and source.is_relative_to(uploads)
            and len(source.relative_to(uploads).parts) > 1
        ):
            _hide_folder(exc, uploads / source.relative_to(uploads).parts[0])
        remove_upload(uploads, source)  # failed or cancelled: this job will not read it again
        raise
    # Imported, failed or cancelled, the uploaded file (an unpacked zip may be gigabytes) goes: the import
    # dialog keeps the file in the browser and sends it again for "Retry, skipping invalid items" and "Change
    # settings", so nothing on the server needs it later.
    remove_upload(uploads, source)
    return report.to_json()


def _hide_folder(exc: LabelhubError, folder: Path) -> None:
    """Name an uploaded file as the person uploaded it: drop the server's upload folder from the error's text,
    its ``file`` and its listed problems (they said ``/srv/labelhub/uploads/<hex>/requests.jsonl``)."""
    prefix = f"{folder}/"

    def plain(value: Any) -> Any:
        return value.replace(prefix, "") if isinstance(value, str) else value

    exc.detail = plain(exc.detail)
    exc.args = (exc.detail,)
    for key, value in list(exc.context.items()):
        if isinstance(value, list):
            exc.context[key] = [{k: plain(v) for k, v in x.items()} if isinstance(x, dict) else plain(x) for x in value]
        else:
            exc.context[key] = plain(value)


def run_export(ctx: JobContext) -> dict[str, Any]:
    """Export the job's project into the exports folder (one file, or a folder zipped for download)."""
    p = ctx.params
    if ctx.project_id is None:
        raise ValueError("an export job needs a project")
    out_dir = ctx.hub.settings.exports_dir / f"job-{ctx.job_id}"
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / _named_for_project(ctx, p["filename"], p["format"])
    if bool(p.get("copy_media", False)) and dest.suffix.lower() == ".json":
        # COCO with its images: a folder (annotations/ and images/) that is zipped below, not the JSON alone.
        dest = dest.with_suffix("")
    states = tuple(AnnotationState(s) for s in p.get("states", ["accepted"]))
    report = export_project(
        ctx.hub,
        ctx.actor,
        ctx.project_id,
        dest,
        fmt=p["format"],
        options=ExportOptions(
            copy_media=bool(p.get("copy_media", False)),
            extra=dict(p.get("extra") or {}),
            split=parse_split(p["split"], int(p.get("seed") or 0)) if p.get("split") else None,
        ),
        states=states,
        progress=ctx.progress,
    )
    download = dest
    if dest.is_dir():
        # Packing 100k label files or gigabytes of media takes a while: report it, or the job sits at "wrote N
        # of N items" and cannot be cancelled. The zip is the same bytes for the same data (see zip_export).
        download = zip_folder(dest, dest.with_name(f"{dest.name}.zip"), lambda f, m: ctx.progress(0.99 + 0.009 * f, m))
    return {**report.to_json(), "download": str(download), "size": download.stat().st_size}


def _named_for_project(ctx: JobContext, filename: str, fmt: str) -> str:
    """The default name ``coco-export.json`` as ``<project-slug>-coco-export.json``, so two projects' downloads
    do not collide in a Downloads folder; a name the caller chose stays as it is."""
    if not filename.startswith(f"{fmt}-export"):
        return filename
    with ctx.hub.db.session() as s:
        project = s.get(Project, ctx.project_id)
    slug = _SLUG.sub("-", project.name.lower()).strip("-")[:60] if project is not None else ""
    return f"{slug or f'project-{ctx.project_id}'}-{filename}"


_SLUG = re.compile(r"[^a-z0-9]+")


def run_propagate(ctx: JobContext) -> dict[str, Any]:
    """Propagate one track of a video item from its keyframes (``params``: item_id, track_id, method)."""
    p = ctx.params
    if ctx.project_id is None:
        raise ValueError("a propagation job needs a project")
    from labelhub.services.propagation import run_propagation  # the tracking engine: when a job needs it

    return run_propagation(
        ctx.hub, ctx.actor, ctx.project_id, int(p["item_id"]), int(p["track_id"]), str(p.get("method", "track")),
        ctx.progress,
    )  # fmt: skip


def run_prelabel_job(ctx: JobContext) -> dict[str, Any]:
    """Pre-label the job's project with a model (``params``: model_id, only_unlabelled, batch_size)."""
    if ctx.project_id is None:
        raise ValueError("a pre-labelling job needs a project")
    from labelhub.services.prelabel import run_prelabel

    return run_prelabel(ctx.hub, ctx.actor, ctx.project_id, ctx.params, ctx.progress)


def imported(module: str, name: str) -> Handler:
    """A handler that imports ``module`` when its first job runs: the model, tracking and search services
    load PyTorch, scikit-learn, OpenCV or UMAP, which a server that never runs such a job need not hold."""

    def run(ctx: JobContext) -> dict[str, Any]:
        handler: Handler = getattr(importlib.import_module(module), name)
        return handler(ctx)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"Runs {module}.{name} (imported on first use)."
    return run


def default_handlers() -> dict[str, Handler]:
    """Return the built-in job kinds; later capabilities add theirs to this table."""
    return {"import": run_import, "export": run_export, "propagate": run_propagate, "prelabel": run_prelabel_job,
            "train_model": imported("labelhub.services.model_jobs", "run_train_model"),
            "evaluate_model": imported("labelhub.services.model_eval", "run_evaluate_model"),
            "embed": imported("labelhub.services.embeddings", "run_embed_job"),
            "embedding_map": imported("labelhub.services.embedding_map", "run_map_job"),
            "train_embedder": imported("labelhub.services.embedder_training", "run_train_embedder"),
            "federated_train": imported("labelhub.services.federated_jobs", "run_federated_train")}  # fmt: skip
