"""Federated training from the server: the ``federated_train`` job over a coordinator project's stored sites, and
the rounds of its federated versions.

:func:`queue_federated` checks the role (``train_model``), the settings (as the CLI's ``FederatedSpec`` does,
naming the field) and that the project is text with sites, and queues the job with the sites' ids (never their
tokens: a job's params are shown to whoever sees the job). :func:`run_federated_train` (the job) reads the sites
that still exist, checks their URLs again against ``LABELHUB_WEBHOOK_HOSTS`` (DNS may have changed), and runs
:func:`~labelhub.services.federated_train.train_federated` as the CLI does. After each round it reports
"round 3 of 20: 4 sites, accuracy 0.710" as the job's progress, which is also where a cancel stops it: between
rounds, before anything is registered, so a cancelled job leaves no version. The version (line
``federated-text-classifier``) is registered as the CLI registers it, with its job id; the job's result holds
the version, each round's figures and the warnings (sites skipped in a round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, ValidationError
from labelhub.jobs.context import JobContext
from labelhub.services import jobs
from labelhub.services.access import Actor, require
from labelhub.services.federated_sites import check_site_url, policy_of, site_rows
from labelhub.services.federated_train import FederatedSpec, RoundReport, Site, train_federated
from labelhub.storage.models import Job, ModelVersion

__all__ = ["FEDERATED_KIND", "FederatedVersion", "federated_versions", "queue_federated", "run_federated_train"]

FEDERATED_KIND = "federated_train"
SPEC_FIELDS = ("rounds", "steps", "lr", "seed", "on_failure", "name")


def queue_federated(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    rounds: int = 10,
    steps: int = 50,
    lr: float = 0.5,
    seed: int = 0,
    on_failure: str = "skip",
    name: str = "federated-text-classifier",
) -> Job:
    """Queue a federated training over every site the project lists now."""
    project = require(session, actor, project_id, Action.TRAIN_MODEL, doing="federated training")
    if project.item_kind != ItemKind.TEXT.value:
        raise ConflictError(f"federated training needs a text project; this one holds {project.item_kind} items",
                            field="item_kind")  # fmt: skip
    spec = FederatedSpec(rounds=rounds, steps=steps, lr=lr, seed=seed, on_failure=on_failure, name=name)
    ids = [r.id for r in site_rows(session, project_id)]
    if not ids:
        raise ValidationError("add a site first: federated training needs at least one", field="sites")
    params = {k: getattr(spec, k) for k in SPEC_FIELDS} | {"site_ids": ids}
    return jobs.enqueue(session, actor, FEDERATED_KIND, params, project_id=project_id)


def round_line(r: RoundReport, rounds: int) -> str:
    """``round 3 of 20: 4 sites, accuracy 0.710`` (and how many were skipped): the job's progress message."""
    took = sum(1 for x in r.sites if x.error is None)
    skipped = len(r.sites) - took
    acc = f", accuracy {r.accuracy:.3f}" if r.accuracy is not None else ""
    return (f"round {r.round} of {rounds}: {took} {'site' if took == 1 else 'sites'}"
            f"{f' ({skipped} skipped)' if skipped else ''}{acc}")  # fmt: skip


def run_federated_train(ctx: JobContext) -> dict[str, Any]:
    """The ``federated_train`` job: FedAvg rounds over the project's stored sites, then a registered version."""
    if ctx.project_id is None:
        raise ValueError("a federated training job needs a project")
    p = ctx.params
    spec = FederatedSpec(**{k: p[k] for k in SPEC_FIELDS if k in p})
    policy = policy_of(ctx.hub)
    with ctx.hub.db.session() as s:
        rows = site_rows(s, ctx.project_id, [int(i) for i in p.get("site_ids", [])])
        sites = [Site(url=check_site_url(r.url, policy), token=r.token) for r in rows]
    if not sites:
        raise ConflictError("the job's sites were all removed before it started", field="sites")
    warnings: list[str] = []
    lines: list[dict[str, Any]] = []
    last = [""]
    ctx.progress(0.0, f"round 1 of {spec.rounds}: sending to {len(sites)} sites")

    def on_round(r: RoundReport) -> None:
        lines.append({"round": r.round, "accuracy": r.accuracy,
                      "sites": sum(1 for x in r.sites if x.error is None)})  # fmt: skip
        last[0] = round_line(r, spec.rounds)
        ctx.progress(0.95 * r.round / spec.rounds, last[0])  # raises on cancel: nothing saved

    mv_id = train_federated(ctx.hub, ctx.actor, ctx.project_id, sites, spec, on_round=on_round,
                            warn=warnings.append, job_id=ctx.job_id)  # fmt: skip
    with ctx.hub.db.session() as s:
        mv = s.get_one(ModelVersion, mv_id)
        m = mv.metrics or {}
        metrics = {k: m.get(k) for k in ("accuracy", "ece", "nll", "n", "temperature", "evaluated_on")}
        return {"model_id": mv_id, "version": mv.version, "name": mv.name, "metrics": metrics, "rounds": lines,
                "last_round": last[0], "warnings": warnings[-50:]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FederatedVersion:
    """A federated version of the project and its rounds (``data.federated.rounds``): per round the accuracy on
    the coordinator's labels, the bytes sent, and each site's label count or error."""

    model_id: int
    name: str
    version: int
    status: str
    active: bool
    accuracy: float | None
    sites: list[str]
    rounds: list[dict[str, Any]]


def federated_versions(session: Session, actor: Actor, project_id: int) -> list[FederatedVersion]:
    """The project's federated versions, newest first (anyone who may read the project, as the versions list)."""
    require(session, actor, project_id, Action.READ)
    stmt = select(ModelVersion).where(ModelVersion.project_id == project_id).order_by(ModelVersion.id.desc())
    out = []
    for mv in session.scalars(stmt):
        fed = (mv.params or {}).get("federated")
        if not isinstance(fed, dict):
            continue
        acc = (mv.metrics or {}).get("accuracy")
        rounds = ((mv.data or {}).get("federated") or {}).get("rounds") or []
        out.append(FederatedVersion(model_id=mv.id, name=mv.name, version=mv.version, status=mv.status,
                                    active=mv.active, accuracy=acc if isinstance(acc, float) else None,
                                    sites=list(fed.get("sites") or []), rounds=list(rounds)))  # fmt: skip
    return out
