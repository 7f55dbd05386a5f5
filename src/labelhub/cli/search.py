"""``labelhub search`` (a text query, shown as a ranked table) and ``labelhub embed`` (the embedding job)."""

from __future__ import annotations

import shlex
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from labelhub.cli._common import AsUser, acting_as, console, opened_hub, progress_bar, project_id
from labelhub.services.embeddings import embed_project
from labelhub.services.projects import get_project_by_name
from labelhub.services.search import MAX_K, search_text


class EncoderKind(StrEnum):
    """The built-in encoders ``train-encoder`` trains (labelhub.services.embedder_training.ENCODER_KINDS, which
    still checks the kind): a Typer choice, so that another is a usage error and ``--help`` lists them."""

    SSL = "ssl"
    DUAL = "dual"


SpaceOption = Annotated[
    str | None, typer.Option("--space", help="Embedding space (an embedder name); default: the project's")
]


def search(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    query: Annotated[str, typer.Argument(help="What to look for, in any language")],
    lang: Annotated[str | None, typer.Option("--lang", help="The query's language, e.g. de")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=MAX_K, help="How many items to show")] = 10,
    space: SpaceOption = None,
    as_user: AsUser = None,
) -> None:
    """Find the items most similar to a text (compute embeddings first with `labelhub embed`)."""
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        with hub.db.session() as s:
            pid = get_project_by_name(s, actor, project).id
            result = search_text(s, hub, actor, pid, query, lang=lang, space=space, k=k)
    if result.indexed == 0:
        hint = escape(_command("embed", project))
        console.print(f"no embeddings in the {result.space} space yet: run [bold]{hint}[/]")
        raise typer.Exit(1)  # a script must tell "nothing to search" from "no hits"
    table = Table(title=f"{result.query!r} in {result.space} ({result.indexed:,} items)")
    table.add_column("rank", justify="right")
    table.add_column("score", justify="right")
    table.add_column("item", overflow="fold")
    table.add_column("id", justify="right")
    for rank, hit in enumerate(result.hits, 1):
        shown = hit.text if hit.text else hit.name
        table.add_row(str(rank), f"{hit.score:.3f}", shown, str(hit.item_id))
    console.print(table)


def embed(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    space: SpaceOption = None,
    as_user: AsUser = None,
) -> None:
    """Compute the embeddings of a project's new and changed items, and update its vector index."""
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        pid = project_id(hub, actor, project)
        with progress_bar(f"embed {project}") as progress:
            report = embed_project(hub, actor, pid, space, progress=progress)
    console.print(
        f"{report.space} ({report.embedder_version}, {report.backend} index): embedded {report.embedded:,} items, "
        f"{report.unchanged:,} unchanged, {report.removed:,} removed, {report.skipped:,} with nothing to embed"
    )
    for err in report.errors[:20]:
        console.print(f"[yellow]item {err['item_id']}: {err['error']}[/]")


def train_encoder(
    project: Annotated[str, typer.Argument(help="Project name or id")],
    kind: Annotated[EncoderKind, typer.Option("--kind", help="ssl (images only) or dual (images + multilingual text)")],
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, max=10_000, help="Passes over the data")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**31 - 1, help="The run's one seed")] = 0,
    bitext: Annotated[
        str | None, typer.Option("--bitext", help="dual: translation pairs, a TSV file or a folder of parallel files")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Queue the training of a built-in encoder on the project's data (a worker or `labelhub serve` runs it)."""
    from labelhub.services.embedder_training import queue_embedder_training

    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        with hub.db.session(write=True) as s:
            pid = get_project_by_name(s, actor, project).id
            job = queue_embedder_training(s, actor, pid, kind.value, epochs=epochs, seed=seed, bitext=bitext)
            job_id = job.id
    hint = escape(_command("embed", project, "--space", kind.value))
    console.print(f"queued job {job_id}: train the {kind.value} encoder of {escape(project)}; when a worker has "
                  f"run it, compute its embeddings: `{hint}`")  # fmt: skip


def _command(*words: str) -> str:
    """``labelhub WORDS...`` as a line to paste into a POSIX shell (``labelhub embed 'Demo: shapes'``)."""
    return shlex.join(["labelhub", *words])
