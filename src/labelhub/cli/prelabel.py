"""``labelhub prelabel``: queue a pre-labelling job, or run it here with ``--wait``."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.markup import escape

from labelhub.cli._common import AsUser, acting_as, console, opened_hub, progress_bar
from labelhub.domain.enums import JobStatus
from labelhub.jobs.executor import LocalExecutor
from labelhub.jobs.handlers import run_prelabel_job
from labelhub.services.jobs import cancel as cancel_job
from labelhub.services.prelabel import KIND, MAX_BATCH, start_prelabel
from labelhub.services.projects import get_project_by_name
from labelhub.storage.models import Job


def prelabel(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    model: Annotated[int | None, typer.Option("--model", help="Model version id (default: the active model)")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Also items that already have an accepted label")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=MAX_BATCH, help="Items per model call")] = 64,
    wait: Annotated[bool, typer.Option("--wait", help="Run the job in this process and print its result")] = False,
    as_user: AsUser = None,
) -> None:
    """Pre-label a project's unlabelled items with a model, through the project's auto-accept bands."""
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        with hub.db.session(write=True) as s:
            pid = get_project_by_name(s, actor, project).id
            job_id = start_prelabel(s, actor, pid, model_id=model, only_unlabelled=not all_items,
                                    batch_size=batch_size).id  # fmt: skip
        if not wait:
            console.print(f"queued pre-labelling job {job_id}; a worker (labelhub serve or worker) runs it")
            return
        executor = LocalExecutor(hub, handlers={KIND: run_prelabel_job})

        # The job runs on a thread of this process; the bar follows the progress it records, as the web app does.
        def run_until_done() -> None:  # jobs of this kind queued before it run first, as a worker would run them
            while executor.run_once():
                with hub.db.session() as s:
                    done = s.get(Job, job_id)
                    if done is None or JobStatus(done.status).finished:
                        return

        runner = threading.Thread(target=run_until_done, name="labelhub-prelabel", daemon=True)
        runner.start()
        try:
            with progress_bar("pre-label") as progress:
                while True:
                    runner.join(timeout=0.5)
                    with hub.db.session() as s:
                        job = s.get(Job, job_id)
                        status = JobStatus(job.status) if job is not None else JobStatus.FAILED
                        progress(job.progress if job is not None else 1.0, job.message if job is not None else "")
                    if status.finished or not runner.is_alive():
                        break
        except KeyboardInterrupt:
            # Ctrl-C: the job stops at its next batch, keeping the batches it wrote (as a cancel from the web app).
            with hub.db.session(write=True) as s:
                cancel_job(s, actor, job_id)
            runner.join(timeout=30)
            console.print(f"[yellow]pre-labelling job {job_id} cancelled; the batches written so far are kept[/]")
            raise typer.Exit(130) from None
        with hub.db.session() as s:
            job = s.get(Job, job_id)
    if job is None or job.status != JobStatus.SUCCEEDED.value:
        # The message starts with the status ("failed: all 34 items failed …"); a model's error text is no markup.
        said = escape(job.message) if job is not None else "vanished"
        console.print(f"[red]job {job_id} {said}[/]")
        raise typer.Exit(1)
    r = job.result or {}
    console.print(f"pre-labelled {r.get('items', 0):,} items with {r.get('model_version')}: "
                  f"{r.get('accepted', 0):,} accepted, {r.get('proposed', 0):,} proposed, "
                  f"{r.get('dropped', 0):,} dropped, {r.get('errors_total', 0):,} errors")  # fmt: skip
    if r.get("upper_note"):
        console.print(f"[yellow]{r['upper_note']}[/]")
    if r.get("replaced"):
        console.print(f"replaced {r['replaced']:,} open proposals of earlier versions of the model")
    for e in r.get("errors", [])[:10]:
        console.print(f"  item {e['item_id']}: {escape(e['error'])}")
