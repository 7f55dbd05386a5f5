"""The ``labelhub`` command line: one module per command group, each a thin layer over the services."""

from __future__ import annotations

import typer

from labelhub.cli import (
    audit,
    demo,
    federated,
    jobs,
    media,
    models,
    openapi,
    prelabel,
    projects,
    search,
    serve,
    transfer,
    users,
)

app = typer.Typer(
    name="labelhub",
    help="Self-hosted hub for AI-assisted annotation.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")
app.add_typer(projects.project_app, name="project")
app.add_typer(models.model_app, name="model")
app.add_typer(jobs.jobs_app, name="jobs")
app.add_typer(media.media_app, name="media")
app.add_typer(federated.federated_app, name="federated")
app.command("stats")(projects.stats)
app.command("audit")(audit.audit)
app.command("import")(transfer.import_)
app.command("export")(transfer.export)
app.command("demo")(demo.demo)
app.command("openapi")(openapi.openapi)
app.command("prelabel")(prelabel.prelabel)
app.command("search")(search.search)
app.command("embed")(search.embed)
app.command("train-encoder")(search.train_encoder)


def main() -> None:
    app()
