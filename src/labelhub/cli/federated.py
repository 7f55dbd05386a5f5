"""``labelhub federated train``: the coordinator of federated training (see services/federated_train.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape

from labelhub.cli._common import AsUser, acting_as, console, err_console, guarded, opened_hub, progress_bar, project_id

# The federated services load PyTorch: imported inside the command, so other commands start without it.

federated_app = typer.Typer(help="Federated training across labelhub servers (sites).", no_args_is_help=True)


class OnFailure(StrEnum):
    SKIP = "skip"
    STOP = "stop"


@federated_app.command("train")
def train(
    project: Annotated[str, typer.Option("--project", help="The coordinator's project (name or id): the model's home")],
    site: Annotated[
        list[str],
        typer.Option(
            "--site",
            help="A site: its project URL=a manager's token, e.g. "
            "https://a.example/api/v1/projects/3=TOKEN; repeat per site",
        ),
    ],
    rounds: Annotated[int, typer.Option(min=1, max=10_000, help="FedAvg rounds")] = 10,
    steps: Annotated[int, typer.Option(min=1, max=2000, help="Local SGD steps per round (whole passes)")] = 50,
    lr: Annotated[float, typer.Option(min=0.0, max=100.0, help="Local learning rate")] = 0.5,
    seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Initial weights and batch order")] = 0,
    on_failure: Annotated[
        OnFailure, typer.Option(help="A site that fails a round twice: skip it for that round, or stop")
    ] = OnFailure.SKIP,
    name: Annotated[str, typer.Option(help="Model line of the new version")] = "federated-text-classifier",
    as_user: AsUser = None,
) -> None:
    """Train the coordinator project's text classifier by federated averaging over the sites' labels; no text or
    label leaves a site (each sends back weights and a count). The result is a new model version."""
    from labelhub.services.federated_train import FederatedSpec, RoundReport, Site, train_federated

    with guarded():
        sites = [Site.parse(s) for s in site]
        spec = FederatedSpec(rounds=rounds, steps=steps, lr=lr, seed=seed, on_failure=on_failure.value, name=name)
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        pid = project_id(hub, actor, project)
        with progress_bar(f"federated {name}") as progress:

            def on_round(r: RoundReport) -> None:
                counts = ", ".join(f"{escape(x.site)} {x.examples if x.examples is not None else 'skipped'}"
                                   for x in r.sites)  # fmt: skip
                acc = f", accuracy {r.accuracy:.3f}" if r.accuracy is not None else ""
                console.print(f"round {r.round}/{rounds}: {counts}{acc}", highlight=False)
                progress(r.round / rounds, f"round {r.round}/{rounds}")

            def warn(message: str) -> None:
                err_console.print(f"[yellow]warning:[/] {escape(message)}")

            mv_id = train_federated(hub, actor, pid, sites, spec, on_round=on_round, warn=warn)
        from labelhub.services import models as model_service

        with hub.db.session() as s:
            mv = model_service.get_version(s, actor, pid, mv_id)
            acc = (mv.metrics or {}).get("accuracy")
            console.print(
                f"registered [bold]{escape(mv.name)} v{mv.version}[/] (id {mv.id}) from {len(sites)} sites, "
                f"{rounds} rounds"
                + (f": accuracy {acc:.3f} on the coordinator's labels" if acc is not None else "")
                + (", now the active model" if mv.active else "")
            )
