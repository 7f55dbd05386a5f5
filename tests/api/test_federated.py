"""Federated training end to end: two sites as real servers (uvicorn) holding class-skewed BANKING77 slices, a
coordinator that averages their weights over HTTP, and what a site refuses (roles, classes, pickles)."""

from __future__ import annotations

import csv
import dataclasses
import json
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, quick_user, served
from tests.assist._rows import banking_rows
from typer.testing import CliRunner

from labelhub.api.app import create_app
from labelhub.assist.federated import (
    FeatureSettings,
    RoundSettings,
    accuracy,
    decode_state,
    encode_state,
    expected_shapes,
    federated_featurizer,
    initial_state,
    local_round,
)
from labelhub.cli import app
from labelhub.domain.enums import ItemKind, Role
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.federated_train import FederatedSpec, Site, run_rounds, train_federated
from labelhub.services.imports import import_source
from labelhub.services.models import count_human_labels, get_version, list_versions
from labelhub.services.projects import create_project, set_member
from labelhub.storage.models import AuditEvent

N_CLASSES, DIM, ROUNDS, STEPS = 8, 2**10, 4, 15
Rows = list[tuple[str, str]]


def _project(hub: Hub, folder: Path, name: str, rows: Rows, classes: list[str]) -> int:
    """A text project whose schema holds every class (sites agree on them) with ``rows`` imported as labels."""
    with hub.db.session(write=True) as s:
        pid = create_project(s, Actor.system(), name, item_kind=ItemKind.TEXT,
                             schema=LabelSchema.from_names(classes)).id  # fmt: skip
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("text", "category"), *rows])
    import_source(hub, Actor.system(), pid, path, fmt="text",
                  options=ImportOptions(media="none", extra={"label_column": "category"}))  # fmt: skip
    return pid


def _member(hub: Hub, pid: int, name: str, role: Role) -> dict[str, str]:
    uid, headers = quick_user(hub, name)
    with hub.db.session(write=True) as s:
        set_member(s, Actor.system(), pid, uid, role)
    return headers


def _skewed(rows: Rows, classes: list[str]) -> tuple[Rows, Rows]:
    """Two disjoint slices: site A has 30 rows of each of the first half of the classes and 3 of the others,
    site B the reverse."""
    by = {c: [r for r in rows if r[1] == c] for c in classes}
    half = set(classes[: len(classes) // 2])
    a = [r for c in classes for r in (by[c][:30] if c in half else by[c][:3])]
    b = [r for c in classes for r in (by[c][30:33] if c in half else by[c][3:33])]
    return a, b


@pytest.fixture
def servers(hub: Hub) -> Iterator[list[str]]:
    """Two uvicorn servers, each its own API app (the sites), on free ports."""
    with served(create_app(hub, run_worker=False)) as a, served(create_app(hub, run_worker=False)) as b:
        yield [a, b]


def test_federated_model_beats_each_sites_own_and_only_weights_cross(
    hub: Hub, tmp_path: Path, servers: list[str], one_torch_thread: None
) -> None:
    train, test = banking_rows(N_CLASSES, 40), banking_rows(N_CLASSES, 20, file="test.csv")
    classes = sorted({c for _, c in train})
    slices = _skewed(train, classes)
    sites, site_pids = [], []
    for i, (url, rows) in enumerate(zip(servers, slices, strict=True)):
        pid = _project(hub, tmp_path, f"site-{i}", rows, classes)
        site_pids.append(pid)
        token = _member(hub, pid, f"site-manager-{i}", Role.MANAGER)["Authorization"][7:]
        sites.append(Site.parse(f"{url}{API}/projects/{pid}={token}"))
    coordinator = _project(hub, tmp_path, "coordinator", test, classes)  # its labels: the held-out set

    answers: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        answers.append(response)

    spec = FederatedSpec(rounds=ROUNDS, steps=STEPS, dim=DIM, seed=1)
    reports = []
    with httpx.Client(timeout=60, event_hooks={"response": [keep]}) as http:
        mv_id = train_federated(hub, Actor.system(), coordinator, sites, spec, http=http, on_round=reports.append)

    with hub.db.session() as s:
        mv = get_version(s, Actor.system(), coordinator, mv_id)
        assert (mv.status, mv.kind, mv.active) == ("ready", "text_classifier", True)
        assert mv.params["federated"]["sites"] == [site.url for site in sites]  # URLs, never tokens
        assert all(site.token not in json.dumps(mv.params) for site in sites)
        assert len(mv.data["federated"]["rounds"]) == ROUNDS
        federated = mv.metrics["accuracy"]
        assert mv.metrics["evaluated_on"] == "coordinator labels" and mv.metrics["n"] == len(test)
        # Calibrated at the coordinator on its labels (none trained on), as an ordinary training is.
        m = mv.metrics
        assert m["temperature"] != 1.0 and m["calibration"].startswith("temperature fitted on the 160")
        assert m["ece_after_temperature"] <= m["ece_before_temperature"] and m["ece"] == m["ece_after_temperature"]
        assert s.query(AuditEvent).filter_by(action="federated.round").count() == 2 * ROUNDS
        labels = [count_human_labels(s, pid) for pid in site_pids]
    assert [r.round for r in reports] == list(range(1, ROUNDS + 1))
    assert [x.examples for x in reports[-1].sites] == labels and all(n > 60 for n in labels)
    assert reports[-1].accuracy == pytest.approx(federated, abs=1e-9)

    # Only weights and a count came back: every answer is a safetensors file of the head's tensors whose one
    # metadata entry is the count.
    shapes = expected_shapes(2 * DIM, N_CLASSES, 128)
    assert len(answers) == 2 * ROUNDS
    for r in answers:
        assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
        state, meta = decode_state(r.content)
        assert set(state) == set(shapes) and set(meta) == {"examples"}

    # Each site alone, with the same steps in total, from the same start, on the same held-out texts.
    settings = RoundSettings(classes=tuple(classes), features=FeatureSettings(dim=DIM), steps=ROUNDS * STEPS,
                             seed=1)  # fmt: skip
    feats = federated_featurizer(settings.features)
    x_test, y_test = feats.transform([t for t, _ in test]), np.array([classes.index(c) for _, c in test])
    for rows in slices:
        y = np.array([classes.index(c) for _, c in rows])
        local, _ = local_round(initial_state(settings), feats.transform([t for t, _ in rows]), y, settings)
        alone = accuracy(local, settings, x_test, y_test)
        assert federated > alone + 0.05, (federated, alone)


def _round_body(classes: list[str], **changes: object) -> bytes:
    settings = RoundSettings(classes=tuple(classes), features=FeatureSettings(dim=64), hidden=8, steps=3)
    raw = {**settings.to_json(), **changes}
    return encode_state(initial_state(settings), {"settings": json.dumps(raw)})


def test_a_site_refuses_non_managers_other_classes_and_pickles(hub: Hub, client: TestClient, tmp_path: Path) -> None:
    rows = banking_rows(3, 6)
    classes = sorted({c for _, c in rows})
    pid = _project(hub, tmp_path, "site", rows, classes)
    manager = _member(hub, pid, "manager", Role.MANAGER)
    annotator = _member(hub, pid, "annotator", Role.ANNOTATOR)
    url = f"{API}/projects/{pid}/federated/round"
    body = _round_body(classes)

    assert_problem(client.post(url, content=body, headers=annotator), 403)
    assert_problem(client.post(url, content=_round_body([*classes[:2], "other"]), headers=manager), 409,
                   field="classes")  # fmt: skip
    assert_problem(client.post(url, content=_round_body(classes, features={"kind": "bert", "dim": 64}),
                               headers=manager), 422, field="features.kind")  # fmt: skip
    marker = tmp_path / "pwned"
    exploit = pickle.dumps(type("X", (), {"__reduce__": lambda self: (Path.touch, (marker,))})())
    assert_problem(client.post(url, content=exploit, headers=manager), 422, field="body")
    assert not marker.exists()

    r = client.post(url, content=body, headers=manager)
    assert r.status_code == 200, r.text
    state, meta = decode_state(r.content)
    assert meta == {"examples": str(len(rows))} and set(state) == set(expected_shapes(128, 3, 8))


def test_the_cli_runs_the_rounds_and_registers_the_version(
    hub: Hub, tmp_path: Path, servers: list[str], db_url: str, one_torch_thread: None
) -> None:
    rows = banking_rows(3, 10)
    classes = sorted({c for _, c in rows})
    site = _project(hub, tmp_path, "site", rows, classes)
    token = _member(hub, site, "site-manager", Role.MANAGER)["Authorization"][7:]
    coordinator = _project(hub, tmp_path, "coordinator", banking_rows(3, 2, file="test.csv"), classes)
    env = {"LABELHUB_HOME": str(hub.settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
           "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip
    args = ["federated", "train", "--project", "coordinator", "--rounds", "2", "--steps", "1"]
    bad = CliRunner().invoke(app, [*args, "--site", "site-a=TOKEN"], env=env)
    assert bad.exit_code == 1 and "--site must be URL=TOKEN" in bad.output
    result = CliRunner().invoke(app, [*args, "--site", f"{servers[0]}{API}/projects/{site}={token}"], env=env)
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert re.search(rf"round 2/2: \S+/projects/{site} \d+, accuracy [01]\.\d+", result.output), result.output
    assert "registered federated-text-classifier v1" in result.output and token not in result.output
    with hub.db.session() as s:
        assert [mv.status for mv in list_versions(s, Actor.system(), coordinator)] == ["ready"]


def test_a_failing_site_is_asked_twice_then_skipped_or_the_training_stops() -> None:
    """The coordinator's loop with sites answering in-process: one good, one failing once, one sending a partial
    tensor every time (never averaged)."""
    spec = FederatedSpec(rounds=2, steps=1, dim=16, hidden=4)
    calls: dict[str, int] = {}

    def post(site: Site, body: bytes) -> bytes:
        calls[site.url] = calls.get(site.url, 0) + 1
        state, _ = decode_state(body)
        if site.url == "flaky" and calls[site.url] % 2 == 1:
            raise httpx.ConnectError("connection refused")
        if site.url == "broken":
            state["rest.2.weight"] = state["rest.2.weight"][:1]
        return encode_state({k: v + 1 for k, v in state.items()}, {"examples": "3"})

    sites = [Site("good", "t"), Site("flaky", "t"), Site("broken", "t")]
    warnings: list[str] = []
    final, reports = run_rounds(sites, ("a", "b"), spec, post, warn=warnings.append)
    start = initial_state(spec.settings(("a", "b"), 1))
    assert all(torch.allclose(final[k], start[k] + 2) for k in start)  # two rounds of +1 from whole answers only
    assert calls == {"good": 2, "flaky": 4, "broken": 4}
    assert [(x.examples, x.attempts) for x in reports[0].sites] == [(3, 1), (3, 2), (None, 2)]
    assert "rest.2.weight has shape (1, 4)" in (reports[0].sites[2].error or "")
    assert len(warnings) == 2 and "skipped broken after two attempts" in warnings[0]

    with pytest.raises(ConflictError, match="site broken failed round 1 twice") as e:
        run_rounds(sites, ("a", "b"), dataclasses.replace(spec, on_failure="stop"), post)
    assert e.value.context["field"] == "sites"
