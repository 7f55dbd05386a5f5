"""Starting imports (from an upload or an allowed server folder) and exports; both run as jobs."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile

from labelhub.api.deps import ActorDep, HubDep, job_public, wake_worker
from labelhub.api.schemas import ExportIn, FormatPublic, ImportIn, JobPublic
from labelhub.domain.permissions import Action
from labelhub.domain.splits import parse_split
from labelhub.formats import FORMATS, get_format
from labelhub.services import jobs
from labelhub.services.access import require
from labelhub.services.exports import check_export_kind
from labelhub.services.uploads import check_server_path, checked_options, form_options, save_upload, server_roots

router = APIRouter(tags=["transfers"])
_SUFFIX = {"coco": ".json", "text": ".jsonl", "label_studio": ".json"}


@router.get("/formats", response_model=list[FormatPublic])
def list_formats(_: ActorDep) -> list[FormatPublic]:
    return [
        FormatPublic(
            name=f.name,
            title=f.title,
            item_kinds=list(f.item_kinds),
            export_kinds=list(f.export_kinds),
            can_import=f.importer is not None,
            can_export=f.exporter is not None,
        )
        for f in FORMATS.values()
    ]


@router.post("/projects/{project_id}/imports", response_model=JobPublic, status_code=202)
def start_import(project_id: int, body: ImportIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Import from a server path inside LABELHUB_IMPORT_ROOTS; returns the job to follow."""
    with hub.db.session(write=True) as s:
        require(s, actor, project_id, Action.IMPORT)  # before the body's checks: a stranger gets the 404
        if body.format != "auto":
            get_format(body.format)
        roots = server_roots(hub.settings)
        source = check_server_path(body.source, roots)
        images_dir = check_server_path(body.images_dir, roots, field="images_dir") if body.images_dir else None
        extra = checked_options(body.options, roots, fmt=body.format, side="import")
        if body.split:
            parse_split(body.split, body.seed)
        job = jobs.enqueue(
            s,
            actor,
            "import",
            {
                "source": str(source),
                "format": body.format,
                "media": body.media,
                "skip_invalid": body.skip_invalid,
                "images_dir": str(images_dir) if images_dir else None,
                "extra": extra,
                "split": body.split,
                "seed": body.seed,
            },
            project_id=project_id,
        )
        out = job_public(job, actor, hub)
    wake_worker(request)
    return out


@router.post("/projects/{project_id}/uploads", response_model=JobPublic, status_code=202)
def upload_and_import(
    project_id: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    file: UploadFile = File(description="A .json, .jsonl, .csv or a .zip of a dataset folder"),
    format: str = Form("auto"),
    skip_invalid: bool = Form(False),
    split: str | None = Form(None),
    seed: int = Form(0),
    options: str | None = Form(
        None, description='Format options as a JSON object of strings, e.g. {"text_column": "utterance"}'
    ),
) -> JobPublic:
    """Upload a file (a zip is unpacked safely) and import it as a job."""
    if format != "auto":
        get_format(format)
    if split:
        parse_split(split, seed)
    extra = checked_options(form_options(options), server_roots(hub.settings), fmt=format, side="import")
    with hub.db.session() as s:
        require(s, actor, project_id, Action.IMPORT)
    source = save_upload(
        hub.settings.uploads_dir,
        file.filename or "upload",
        file.file,
        max_bytes=hub.settings.max_upload_mb << 20,
    )
    with hub.db.session(write=True) as s:
        job = jobs.enqueue(
            s,
            actor,
            "import",
            {
                "source": str(source),
                "format": format,
                "media": "copy",
                "skip_invalid": skip_invalid,
                "extra": extra,
                "split": split,
                "seed": seed,
            },
            project_id=project_id,
        )
        out = job_public(job, actor, hub)
    wake_worker(request)
    return out


@router.post("/projects/{project_id}/exports", response_model=JobPublic, status_code=202)
def start_export(project_id: int, body: ExportIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Export as a job; download the result from ``/jobs/{id}/download`` when it has succeeded."""
    with hub.db.session() as s:
        require(s, actor, project_id, Action.EXPORT)  # a stranger learns nothing from the body's checks: 404 first
    spec = get_format(body.format)
    if spec.exporter is None:
        get_format(body.format).exporter_class()  # raises a clear "format has no exporter" error
    filename = body.filename or f"{spec.name}-export{_SUFFIX.get(spec.name, '')}"
    if body.split:
        parse_split(body.split, body.seed)
    extra = checked_options(body.options, server_roots(hub.settings), fmt=spec.name, side="export")
    with hub.db.session(write=True) as s:
        project = require(s, actor, project_id, Action.EXPORT)
        check_export_kind(spec, project.item_kind)
        job = jobs.enqueue(
            s,
            actor,
            "export",
            {
                "format": spec.name,
                "filename": filename,
                "states": [st.value for st in body.states],
                "copy_media": body.copy_media,
                "split": body.split,
                "seed": body.seed,
                "extra": extra,
            },
            project_id=project_id,
        )
        out = job_public(job, actor, hub)
    wake_worker(request)
    return out
