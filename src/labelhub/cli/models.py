"""``labelhub model train|list|eval|prune``: assist model versions from the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from labelhub.cli._common import (
    AsUser,
    acting_as,
    cannot_write,
    console,
    opened_hub,
    prepare_output,
    progress_bar,
    project_id,
)
from labelhub.services.projects import get_project_by_name

# The model services load PyTorch and scikit-learn: imported inside the commands, so that every other
# ``labelhub`` command starts without them.

model_app = typer.Typer(help="Train, list, evaluate and prune assist models.", no_args_is_help=True)
Project = Annotated[str, typer.Argument(help="Project name or id")]


# Choices as Typer sees them, so that a wrong one is a usage error (exit 2) and ``--help`` lists them; they are
# those of labelhub.services.train_spec (TRAINABLE and the modes), which still checks every spec it is given.
class TrainKind(StrEnum):
    TEXT_CLASSIFIER = "text_classifier"
    IMAGE_CLASSIFIER = "image_classifier"
    VOLUME_SEGMENTER = "volume_segmenter"


class TrainMode(StrEnum):
    SGD = "sgd"
    SWA = "swa"
    SWAG = "swag"


MAX_SEED = 2**31 - 1  # TrainSpec's range of seeds
MAX_EPOCHS = 10_000  # TrainSpec's range of epochs


def _fmt(v: object) -> str:
    return f"{v:.3f}" if isinstance(v, float) else "-" if v is None else str(v)


@model_app.command("train")
def train(
    project: Project,
    kind: Annotated[TrainKind | None, typer.Option(help="What to train; default from the project's kind")] = None,
    mode: Annotated[TrainMode, typer.Option(help="Training mode")] = TrainMode.SWAG,
    seed: Annotated[
        int,
        typer.Option(min=0, max=MAX_SEED, help="The one seed of the run: the same seed and labels, the same model"),
    ] = 0,
    name: Annotated[str | None, typer.Option(help="Model line name (default per kind)")] = None,
    epochs: Annotated[
        int | None, typer.Option(min=1, max=MAX_EPOCHS, help="Passes over the labels (at least 500 steps run)")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Train here with a progress bar instead of queueing a job")] = (
        False
    ),
    prelabel: Annotated[
        bool, typer.Option("--prelabel", help="Then queue pre-labelling of the unlabelled items with the new version")
    ] = False,
    activate: Annotated[
        bool | None,
        typer.Option(
            "--activate/--no-activate",
            help="Make the new version the active model, or not (default: when nothing is active or the active "
            "model is of its line)",
        ),
    ] = None,
    text_encoder: Annotated[
        str | None,
        typer.Option(
            help="Text projects: the folder of a pretrained sentence-transformers model whose vectors join the "
            "n-gram features (save one with SentenceTransformer(name).save(folder); nothing is downloaded)",
        ),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Train a model version from the project's accepted class labels (queued as a job unless --wait)."""
    from labelhub.services import models as model_service
    from labelhub.services.model_jobs import queue_prelabel_after, train_version

    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        with hub.db.session() as s:
            p = get_project_by_name(s, actor, project)
            pid, item_kind = p.id, p.item_kind
        default = {"text": "text_classifier", "volume": "volume_segmenter"}.get(item_kind, "image_classifier")
        chosen = kind.value if kind else default
        spec = model_service.TrainSpec(kind=chosen, name=name, mode=mode.value, seed=seed, epochs=epochs,
                                       activate=activate, text_encoder=text_encoder)  # fmt: skip
        if not wait:
            with hub.db.session(write=True) as s:
                job = model_service.queue_training(s, actor, pid, spec, prelabel=prelabel)
            then = ", then pre-labelling with it" if prelabel else ""
            console.print(f"queued training job {job.id} ({chosen}, {mode.value}, seed {seed}{then}); a worker runs it")
            return
        with progress_bar(f"train {spec.line}") as progress:
            mv_id = train_version(hub, actor, pid, spec, progress=progress)
        with hub.db.session() as s:
            mv = model_service.get_version(s, actor, pid, mv_id)
            m = mv.metrics
            figures = (
                "Dice " + ", ".join(f"{c} {_fmt(d)}" for c, d in (m.get("dice") or {}).items())
                if mv.kind == "volume_segmenter"
                else f"accuracy {_fmt(m.get('accuracy'))}, ECE {_fmt(m.get('ece'))}, "
                f"temperature {_fmt(m.get('temperature'))}"
            )
            if mv.kind == "text_classifier" and m.get("backbone"):
                figures += f" (n-grams and the {m['backbone']})"
            console.print(
                f"trained [bold]{mv.name} v{mv.version}[/] (id {mv.id}) on {mv.data.get('count')} labels: "
                f"{figures} on {m.get('evaluated_on')}" + (", now the active model" if mv.active else "")
            )
        if prelabel:
            job_id = queue_prelabel_after(hub, actor, pid, mv_id)
            console.print(f"queued pre-labelling job {job_id} with it; a worker runs it")


@model_app.command("list")
def list_models(
    project: Project,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    as_user: AsUser = None,
) -> None:
    """List the project's model versions, newest first."""
    from labelhub.services import models as model_service

    with opened_hub() as hub, hub.db.session() as s:
        actor = acting_as(hub, as_user)
        pid = get_project_by_name(s, actor, project).id
        if as_json:
            rows = [
                {"id": mv.id, "name": mv.name, "version": mv.version, "kind": mv.kind, "status": mv.status,
                 "active": mv.active, "mode": mv.mode, "seed": mv.seed, "labels": (mv.data or {}).get("count"),
                 "metrics": mv.metrics or {}, "created_at": mv.created_at.isoformat()}
                for mv in model_service.list_versions(s, actor, pid)
            ]  # fmt: skip
            typer.echo(json.dumps(rows, indent=2, default=str))
            return
        # Few, short columns: the table must read whole in an 80-column terminal.
        table = Table(
            "id", Column("model", overflow="fold"), "kind", "status", "mode", "labels", "acc.", "ECE", "created"
        )
        for mv in model_service.list_versions(s, actor, pid):
            m = mv.metrics or {}
            table.add_row(
                str(mv.id),
                f"{mv.name}@{mv.version}" + (" [bold](active)[/]" if mv.active else ""),
                mv.kind.replace("_classifier", "").replace("_", " "),
                mv.status,
                f"{mv.mode or '-'}/{_fmt(mv.seed)}",
                _fmt((mv.data or {}).get("count")),
                _fmt(m.get("accuracy")),
                _fmt(m.get("ece")),
                f"{mv.created_at:%m-%d %H:%M}",
            )
        console.print(table)


@model_app.command("prune")
def prune(project: Project, as_user: AsUser = None) -> None:
    """Remove the files of the versions beyond the project's keep_versions setting (rows and metrics stay)."""
    from labelhub.services.model_retention import human_size, prune_versions

    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        pid = project_id(hub, actor, project)
        result = prune_versions(hub, actor, pid)
    if not result.pruned:
        console.print(f"nothing to prune: every model line keeps at most {result.keep_versions} versions' files")
        return
    for p in result.pruned:
        console.print(f"pruned {p.name}@{p.version} (id {p.id}): {human_size(p.bytes)}")
    n = len(result.pruned)
    console.print(
        f"removed the files of {n} version{'s' if n != 1 else ''}, {human_size(result.bytes_freed)} freed "
        f"(keeping the last {result.keep_versions} per model line, the active and the pinned one)"
    )


@model_app.command("eval")
def evaluate(
    project: Project,
    version_id: Annotated[int, typer.Argument(help="Model version id (see `labelhub model list`)")],
    html: Annotated[Path | None, typer.Option("--html", help="Also write the report as a self-contained HTML file")] = (
        None
    ),
    as_user: AsUser = None,
) -> None:
    """Evaluate a version against the accepted human labels: per-class scores, calibration, work saved."""
    from labelhub.assist.report import render_html
    from labelhub.services import models as model_service
    from labelhub.services.model_eval import evaluate_version

    if html is not None:
        prepare_output(html, "html")  # before the evaluation, which may take minutes
    with opened_hub() as hub:
        actor = acting_as(hub, as_user)
        with hub.db.session() as s:
            pid = get_project_by_name(s, actor, project).id
            mv = model_service.get_version(s, actor, pid, version_id)
            title = f"{mv.name} v{mv.version}"
        with progress_bar(f"evaluate {title}") as progress:
            report = evaluate_version(hub, actor, pid, version_id, progress=progress)
    if report["per_class"]:
        table = Table("label", "precision", "recall", "F1", "support", title=f"{title} on {report['n']} labels")
        for c in report["per_class"]:
            table.add_row(c["label"], _fmt(c["precision"]), _fmt(c["recall"]), _fmt(c["f1"]), str(c["support"]))
        console.print(table)
        console.print(f"accuracy {_fmt(report['accuracy'])}, ECE {_fmt(report['ece'])}")
    if report.get("detection") is not None:
        _print_detection(report, title)
    saved = report["accepted_unchanged"]
    console.print(
        "proposals accepted unchanged: "
        f"{saved['accepted_unchanged']} of {saved['reviewed']} reviewed ({_fmt(saved['share'])}); "
        f"{saved['auto_accepted']} auto-accepted, not reviewed; {saved['proposals']} proposals in all"
    )  # the same words as the HTML report and the web app
    if html is not None:
        try:
            html.write_text(render_html(report, title=f"Validation report: {title}"), encoding="utf-8")
        except OSError as exc:
            cannot_write(html, exc, "html")
        console.print(f"wrote {html}")


def _print_detection(report: dict[str, Any], title: str) -> None:
    """The box part of a report: AP per class, mAP, and the human boxes of classes the model cannot propose."""
    d = report["detection"]
    table = Table("label", "AP@0.5", "AP@0.5:0.95", "human boxes", "predicted",
                  title=f"{title} on {d['true_boxes']} human boxes in {d['images']} images")  # fmt: skip
    for c in d["per_class"]:
        table.add_row(c["label"], _fmt(c["ap50"]), _fmt(c["ap50_95"]), str(c["true_boxes"]), str(c["predicted_boxes"]))
    console.print(table)
    console.print(f"mAP@0.5 {_fmt(report['map50'])}, mAP@0.5:0.95 {_fmt(report['map50_95'])} over "
                  f"{len(d['classes'])} class(es) the model proposes")  # fmt: skip
    other = d["not_scored"]
    if other["classes"]:
        named = ", ".join(other["examples"]) + (", ..." if other["classes"] > len(other["examples"]) else "")
        console.print(f"not scored: {other['true_boxes']} human boxes of {other['classes']} class(es) the model "
                      f"does not propose ({named})")  # fmt: skip
