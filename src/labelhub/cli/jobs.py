"""``labelhub jobs``: follow and cancel the queued work (training, embedding, pre-labelling...)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Column, Table
from typer.core import TyperGroup

from labelhub.cli._common import AsUser, acting_as, console, opened_hub
from labelhub.services import jobs as job_service
from labelhub.services.projects import get_project_by_name
from labelhub.storage.models import Job


class _ListByDefault(TyperGroup):
    """``labelhub jobs [PROJECT]`` lists; ``show`` and ``cancel`` are subcommands (``jobs list NAME`` lists a
    project whose name is a subcommand's)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a typer Context
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


jobs_app = typer.Typer(cls=_ListByDefault, help="List, show and cancel jobs (`labelhub jobs [PROJECT]` lists).")
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
JobId = Annotated[int, typer.Argument(help="Job id (see `labelhub jobs`)")]


def job_dict(job: Job) -> dict[str, Any]:
    """A job as JSON-ready values: what the table shows, and its times, error and result."""
    return {
        "id": job.id,
        "kind": job.kind,
        "project_id": job.project_id,
        "status": job.status,
        "progress": round(job.progress or 0.0, 4),
        "message": job.message,
        "attempts": job.attempts,
        "created_by": job.created_by,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
        "result": job.result,
    }


@jobs_app.command("list")
def list_jobs(
    project: Annotated[str | None, typer.Argument(help="Project name or id; default: every project you see")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many jobs, newest first")] = 20,
    as_json: AsJson = False,
    as_user: AsUser = None,
) -> None:
    """List jobs, newest first, with their status, progress and message."""
    with opened_hub() as hub, hub.db.session() as s:
        actor = acting_as(hub, as_user)
        pid = get_project_by_name(s, actor, project).id if project is not None else None
        rows = [job_dict(j) for j in job_service.list_jobs(s, actor, project_id=pid, limit=limit)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "kind", "project", "status", "progress", Column("message", overflow="fold"), "created")
    for r in rows:
        table.add_row(str(r["id"]), r["kind"], str(r["project_id"] or "-"), r["status"], f"{r['progress']:.0%}",
                      r["message"], r["created_at"][5:16].replace("T", " "))  # fmt: skip
    console.print(table)


@jobs_app.command("show")
def show(job_id: JobId, as_json: AsJson = False, as_user: AsUser = None) -> None:
    """Show one job: status, progress, message, times, and its error or result."""
    with opened_hub() as hub, hub.db.session() as s:
        data = job_dict(job_service.get_job(s, acting_as(hub, as_user), job_id))
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        if key in ("error", "result"):
            if value:
                shown = {k: v for k, v in value.items() if k != "traceback"} if key == "error" else value
                typer.echo(f"{key}: {json.dumps(shown)}")
        elif value is not None:
            typer.echo(f"{key}: {value:.0%}" if key == "progress" else f"{key}: {value}")


@jobs_app.command("cancel")
def cancel(job_id: JobId, as_user: AsUser = None) -> None:
    """Cancel a job: a queued one at once, a running one at its next progress report (or, when its worker has
    stopped, once a live worker finds it stale)."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        job = job_service.cancel(s, acting_as(hub, as_user), job_id)
        status = job.status
        stale = hub.settings.job_stale_seconds
    if status == "cancelled":
        console.print(f"cancelled job {job_id}")
    else:
        # A live worker checks for stale jobs every min(15 s, stale / 4): see labelhub.jobs.executor.
        within = stale + min(15.0, stale / 4)
        console.print(f"asked job {job_id} to stop; it stops at its next progress report, or, if its worker has "
                      f"stopped, within about {within:.0f} s (see labelhub jobs show)")  # fmt: skip
