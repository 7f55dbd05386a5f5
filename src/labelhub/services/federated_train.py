"""The coordinator side of federated training: rounds of FedAvg over the sites' HTTP API, then a model version.

Each round (:func:`run_rounds`) sends every site the global weights and the round settings
(``POST <site project URL>/federated/round``, see :mod:`labelhub.services.federated_site`), takes back each
site's new weights and label count, and averages them weighted by the counts
(:func:`~labelhub.assist.federated.fedavg`). A site whose call fails (network, an HTTP error, an answer that is
not safetensors, a tensor of the wrong name, shape or type, or not finite) is asked once more; if that fails too
it is skipped for the round with a warning (``on_failure="skip"``) or the training stops (``"stop"``). Only
whole, checked answers are averaged. The round's settings send the seed ``seed + round - 1``, so batch orders
differ between rounds and a rerun gives the same weights.

:func:`train_federated` runs the rounds for a coordinator project, measures the global weights on the
coordinator's own labels after each round (when it has any: none of them is trained on), and registers the
result as a ``text_classifier`` version of that project (line ``federated-text-classifier`` by default), so
pre-labelling, the reports and the labelling queue use it like any other. Its ``params.federated`` holds the
settings and the sites (URLs, never tokens); its ``data.federated`` each round's counts and accuracy.
No SWA or SWAG: the sites run plain SGD and the coordinator keeps the last global weights.

After the last round the temperature is fitted (``fit_temperature``, as an ordinary training does) on the
coordinator's labels, all held out (none was trained on): at least ``MIN_HELD_OUT`` = 20, else it stays 1 and
``metrics.calibration`` says why. ``metrics`` holds the ECE and NLL before and after (on those same labels).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch
from sqlalchemy import select

from labelhub.assist.calibration import ece, fit_temperature, nll
from labelhub.assist.config import TrainConfig, TrainMode
from labelhub.assist.federated import (
    FeatureSettings,
    RoundSettings,
    SiteState,
    State,
    check_state,
    decode_state,
    encode_state,
    expected_shapes,
    fedavg,
    federated_featurizer,
    initial_state,
)
from labelhub.assist.heads import Head
from labelhub.assist.model import AssistModel, TrainingHistory
from labelhub.assist.persist import save_classifier
from labelhub.assist.report import classification_report
from labelhub.assist.text import MIN_HELD_OUT, HeldOutReport, TextClassifier
from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError, LabelhubError, ValidationError
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.federated_site import ROUND_METADATA
from labelhub.services.model_jobs import take_over
from labelhub.services.models import models_dir, next_version, select_training_data
from labelhub.storage.models import Item, ModelVersion

__all__ = ["FederatedSpec", "RoundReport", "Site", "SiteResult", "run_rounds", "train_federated"]

MAX_LSA_TEXTS = 20_000  # texts the saved classifier's LSA (diversity sampling) is fitted on
Post = Callable[["Site", bytes], bytes]


@dataclass(frozen=True, slots=True)
class Site:
    """A site: its project's API URL (``https://host/api/v1/projects/<pid>``) and a manager's bearer token."""

    url: str
    token: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> Site:
        """``URL=TOKEN`` (the URL holds no ``=``) -> Site; a malformed one raises ValidationError (``site``)."""
        url, sep, token = text.partition("=")
        url = url.strip().rstrip("/")
        if not sep or not token.strip() or not url.startswith(("http://", "https://")) or "/projects/" not in url:
            raise ValidationError(
                f"--site must be URL=TOKEN with URL like https://host/api/v1/projects/3, got {url[:80]!r}",
                field="site",
            )
        return cls(url=url, token=token.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class FederatedSpec:
    """How to train: rounds, the sites' local steps and SGD settings, head and features, failures, the line."""

    rounds: int = 10
    steps: int = 50
    lr: float = 0.5
    batch_size: int = 64
    hidden: int = 128
    dim: int = 2**13
    seed: int = 0
    on_failure: str = "skip"  # "skip": leave a failing site out of the round (warned); "stop": raise
    name: str = "federated-text-classifier"
    activate: bool | None = None
    timeout: float = 300.0

    def __post_init__(self) -> None:
        if not 1 <= self.rounds <= 10_000:
            raise ValidationError(f"rounds must be in 1..10000, got {self.rounds}", field="rounds")
        if self.on_failure not in ("skip", "stop"):
            raise ValidationError(f"on_failure must be skip or stop, got {self.on_failure!r}", field="on_failure")
        self.settings(("a", "b"), 1)  # checks steps, lr, batch_size, hidden, dim and seed now, naming the field

    def settings(self, classes: Sequence[str], round_no: int) -> RoundSettings:
        return RoundSettings(classes=tuple(classes), features=FeatureSettings(dim=self.dim), hidden=self.hidden,
                             steps=self.steps, lr=self.lr, batch_size=self.batch_size,
                             seed=self.seed + round_no - 1, round=round_no)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SiteResult:
    """One site's part in a round: its label count, or the error that left it out; seconds; attempts."""

    site: str
    examples: int | None
    error: str | None
    seconds: float
    attempts: int


@dataclass(frozen=True, slots=True)
class RoundReport:
    """A finished round: the sites, the global accuracy on the coordinator's labels, bytes sent and received."""

    round: int
    sites: tuple[SiteResult, ...]
    accuracy: float | None
    bytes_sent: int
    bytes_received: int


def http_post(http: httpx.Client) -> Post:
    """Send a round to a site over HTTP; an error status raises ConflictError with the site's problem detail."""

    def post(site: Site, body: bytes) -> bytes:
        r = http.post(f"{site.url}/federated/round", content=body,
                      headers={"Authorization": f"Bearer {site.token}",
                               "Content-Type": "application/octet-stream"})  # fmt: skip
        if r.status_code != 200:
            try:
                detail = str(r.json().get("detail", r.text))
            except ValueError:
                detail = r.text
            raise ConflictError(f"HTTP {r.status_code}: {detail[:300]}", field="sites")
        return r.content

    return post


def _one_site(post: Post, site: Site, body: bytes, shapes: dict[str, tuple[int, ...]]) -> tuple[SiteState, int]:
    """Send one round to one site; return its checked answer and the answer's size in bytes."""
    out = post(site, body)
    state, meta = decode_state(out, what=f"{site.url}'s answer")
    if set(meta) != {"examples"} or not meta["examples"].isdigit() or int(meta["examples"]) < 1:
        raise ConflictError(f"{site.url} answered metadata {sorted(meta)}, not a positive 'examples'", field="sites")
    check_state(state, shapes, site=site.url)
    return SiteState(site.url, state, int(meta["examples"])), len(out)


def run_rounds(
    sites: Sequence[Site],
    classes: Sequence[str],
    spec: FederatedSpec,
    post: Post,
    *,
    evaluate: Callable[[State, RoundSettings], float | None] = lambda state, settings: None,
    on_round: Callable[[RoundReport], None] = lambda report: None,
    warn: Callable[[str], None] = lambda message: None,
) -> tuple[State, list[RoundReport]]:
    """Run ``spec.rounds`` rounds of FedAvg over ``sites``; return the final global weights and the reports."""
    if not sites:
        raise ValidationError("federated training needs at least one site", field="sites")
    if len({s.url for s in sites}) != len(sites):
        raise ValidationError("a site is listed twice", field="sites")
    state = initial_state(spec.settings(classes, 1))
    reports: list[RoundReport] = []
    for r in range(1, spec.rounds + 1):
        settings = spec.settings(classes, r)
        shapes = expected_shapes(settings.features.n_features, len(classes), settings.hidden)
        body = encode_state(state, {ROUND_METADATA: json.dumps(settings.to_json())})
        got: list[SiteState] = []
        results: list[SiteResult] = []
        received = sent = 0
        for site in sites:
            start, error, attempts = time.monotonic(), "", 0
            while attempts < 2:  # once, then one retry
                attempts += 1
                sent += len(body)
                try:
                    one, size = _one_site(post, site, body, shapes)
                except (LabelhubError, httpx.HTTPError) as exc:
                    error = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
                    continue
                got.append(one)
                received += size
                error = ""
                break
            seconds = time.monotonic() - start
            if error:
                if spec.on_failure == "stop":
                    raise ConflictError(f"site {site.url} failed round {r} twice: {error}", field="sites")
                warn(f"round {r}: skipped {site.url} after two attempts: {error}")
            results.append(SiteResult(site.url, None if error else got[-1].examples, error or None, seconds,
                                      attempts))  # fmt: skip
        if not got:
            raise ConflictError(f"round {r}: no site returned weights", field="sites")
        state = fedavg(got)
        report = RoundReport(r, tuple(results), evaluate(state, settings), sent, received)
        reports.append(report)
        on_round(report)
    return state, reports


def _coordinator_data(hub: Hub, actor: Actor, project_id: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """The coordinator project's classes, labelled texts and their labels, and texts for the LSA."""
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.TRAIN_MODEL, doing="federated training")
        if project.item_kind != ItemKind.TEXT.value:
            raise ConflictError(f"federated training needs a text project; this one holds {project.item_kind} items",
                                field="item_kind")  # fmt: skip
        classes = LabelSchema.from_json(project.label_schema).names
        data = select_training_data(s, hub, project_id, project.item_kind)
        stmt = select(Item.text).where(Item.project_id == project_id, Item.text.is_not(None))
        pool = [t for t in s.scalars(stmt.order_by(Item.id).limit(MAX_LSA_TEXTS)) if t is not None]
    if len(classes) < 2:
        raise ValidationError("the coordinator project's label schema needs two classes or more", field="classes")
    known = set(classes)
    texts = [t for t, label in zip(data.texts, data.labels, strict=True) if label in known]
    labels = [label for label in data.labels if label in known]
    if len(pool) < 2:
        raise ValidationError("the coordinator project needs at least two text items (the model's embeddings are"
                              " fitted on them, and pre-labelling runs on them)", field="items")  # fmt: skip
    return classes, texts, labels, pool


def train_federated(
    hub: Hub,
    actor: Actor,
    project_id: int,
    sites: Sequence[Site],
    spec: FederatedSpec,
    *,
    http: httpx.Client | None = None,
    on_round: Callable[[RoundReport], None] = lambda report: None,
    warn: Callable[[str], None] = lambda message: None,
    job_id: int | None = None,
) -> int:
    """Train by FedAvg over ``sites`` and register the result in the coordinator project; return the version id.
    ``on_round`` may raise (a job's cancel): the rounds stop and nothing is registered."""
    classes, texts, labels, pool = _coordinator_data(hub, actor, project_id)
    feats = federated_featurizer(FeatureSettings(dim=spec.dim), pool)
    x = feats.transform(texts) if texts else None
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels], dtype=np.int64)

    def evaluate(state: State, settings: RoundSettings) -> float | None:
        from labelhub.assist.federated import accuracy

        return accuracy(state, settings, x, y) if x is not None else None

    client = http or httpx.Client(timeout=spec.timeout)
    try:
        state, reports = run_rounds(sites, classes, spec, http_post(client), evaluate=evaluate, on_round=on_round,
                                    warn=warn)  # fmt: skip
    finally:
        if http is None:
            client.close()
    clf = _calibrated(_classifier(state, classes, feats, spec, reports), x, y)
    return _register(hub, actor, project_id, clf, spec, sites, reports, texts, labels, job_id)


def _classifier(state: State, classes: Sequence[str], feats: Any, spec: FederatedSpec,
                reports: list[RoundReport]) -> TextClassifier:  # fmt: skip
    settings = spec.settings(classes, spec.rounds)
    head = Head(settings.features.n_features, len(classes), sparse=True, hidden=spec.hidden,
                generator=torch.Generator())  # fmt: skip
    head.load_state_dict(state)
    head.eval()
    cfg = TrainConfig(mode=TrainMode.SGD, hidden=spec.hidden, lr=spec.lr, batch_size=spec.batch_size, seed=spec.seed)
    history = TrainingHistory(steps=spec.rounds * spec.steps, epoch_loss=(), snapshots=0)
    model = AssistModel(head=head, config=cfg, n_classes=len(classes), dim=settings.features.n_features,
                        sparse=True, history=history)  # fmt: skip
    return TextClassifier(classes=tuple(classes), featurizer=feats, model=model, held_out=None)


def _calibrated(clf: TextClassifier, x: Any, y: np.ndarray) -> TextClassifier:
    """Fit the temperature on the coordinator's labels (all held out: none was trained on), as
    ``train_text_classifier`` does on its held-out slice; under ``MIN_HELD_OUT`` labels it stays 1."""
    if x is None or len(y) < MIN_HELD_OUT:
        return clf
    logits = clf.model.logit_samples(x)
    before = clf.model.proba_from_logits(logits)
    model = clf.model.with_temperature(fit_temperature(logits, y))
    after = model.proba_from_logits(logits)
    report = HeldOutReport(n=len(y), temperature=model.temperature, nll_before=nll(before, y),
                           nll_after=nll(after, y), ece_before=ece(before, y), ece_after=ece(after, y))  # fmt: skip
    return dataclasses.replace(clf, model=model, held_out=report)


def _metrics(clf: TextClassifier, texts: list[str], labels: list[str]) -> dict[str, Any]:
    if not labels:
        return {"evaluated_on": "no coordinator labels", "n": 0, "classes": list(clf.classes), "temperature": 1.0,
                "calibration": f"temperature 1: no coordinator labels (it needs {MIN_HELD_OUT})"}  # fmt: skip
    probs = clf.predict_proba(texts)
    rep = classification_report(labels, probs, clf.classes)
    index = {c: i for i, c in enumerate(clf.classes)}
    best = probs.argmax(axis=1)
    h = clf.held_out
    note = (f"temperature fitted on the {h.n} coordinator labels (none was trained on)" if h is not None else
            f"temperature 1: {len(labels)} coordinator labels, under the {MIN_HELD_OUT} needed to fit one")  # fmt: skip
    return {
        "held_out": {"scores": [float(probs[i, b]) for i, b in enumerate(best)],
                     "correct": [clf.classes[b] == t for b, t in zip(best, labels, strict=True)]},
        "evaluated_on": "coordinator labels",
        "n": len(labels),
        "accuracy": rep["accuracy"],
        "ece": rep["ece"],
        "nll": nll(probs, [index[t] for t in labels]),
        "temperature": clf.model.temperature,
        "calibration": note,
        "ece_before_temperature": h.ece_before if h is not None else rep["ece"],
        "ece_after_temperature": h.ece_after if h is not None else rep["ece"],
        "nll_before_temperature": h.nll_before if h is not None else None,
        "per_class": rep["per_class"],
        "classes": list(clf.classes),
        "steps": clf.model.history.steps,
    }  # fmt: skip


def _register(
    hub: Hub,
    actor: Actor,
    project_id: int,
    clf: TextClassifier,
    spec: FederatedSpec,
    sites: Sequence[Site],
    reports: list[RoundReport],
    texts: list[str],
    labels: list[str],
    job_id: int | None = None,
) -> int:
    """Save the classifier and record it as a ready version of the coordinator project (see train_version)."""
    params = {"kind": "text_classifier", "name": spec.name, "mode": "sgd", "seed": spec.seed,
              "federated": {**{k: v for k, v in asdict(spec).items() if k != "timeout"},
                            "sites": [s.url for s in sites]}}  # fmt: skip
    with hub.db.session(write=True) as s:
        require(s, actor, project_id, Action.TRAIN_MODEL, doing="federated training")
        mv = ModelVersion(project_id=project_id, name=spec.name, kind="text_classifier",
                          version=next_version(s, project_id, spec.name), status="training", active=False,
                          mode="sgd", seed=spec.seed, params=params, created_by=actor.user_id,
                          job_id=job_id)  # fmt: skip
        s.add(mv)
        s.flush()
        mv_id, version = mv.id, mv.version
    rel = Path(f"project-{project_id}") / f"{spec.name}-v{version}-{mv_id}"
    try:
        files = save_classifier(clf, models_dir(hub) / rel)
        metrics = _metrics(clf, texts, labels)
    except BaseException as exc:
        shutil.rmtree(models_dir(hub) / rel, ignore_errors=True)
        with hub.db.session(write=True) as s:
            row = s.get(ModelVersion, mv_id)
            if row is not None:
                row.status, row.metrics = "failed", {"error": getattr(exc, "detail", None) or repr(exc)}
        raise
    rounds = [{"round": r.round, "accuracy": r.accuracy, "bytes_sent": r.bytes_sent,
               "sites": [asdict(x) for x in r.sites]} for r in reports]  # fmt: skip
    last = reports[-1].sites
    with hub.db.session(write=True) as s:
        row = s.get(ModelVersion, mv_id)
        if row is None:
            shutil.rmtree(models_dir(hub) / rel, ignore_errors=True)
            raise ConflictError("the model version was removed while it was being saved", field="model_id")
        row.status, row.metrics = "ready", metrics
        row.artifacts = {"folder": rel.as_posix(), **{k: (rel / v).as_posix() for k, v in files.items()}}
        row.data = {"count": sum(x.examples or 0 for x in last), "annotation_ids": [], "held_out_ids": [],
                    "classes": list(clf.classes), "skipped": 0, "federated": {"rounds": rounds}}  # fmt: skip
        take_over(s, project_id, row, spec.activate)  # as an ordinary training does
        audit.record(s, actor, "federated.train", "model_version", mv_id, project_id=project_id,
                     detail={"name": spec.name, "version": version, "sites": len(sites),
                             "rounds": len(reports)})  # fmt: skip
    return mv_id
