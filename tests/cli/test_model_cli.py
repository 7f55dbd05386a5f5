"""``labelhub model train|list|eval`` run as a user would, against a project of imported BANKING77 labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from sqlalchemy import select
from tests.services._banking_project import banking_project
from typer.testing import CliRunner, Result

from labelhub.cli import app
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.storage.models import Job, ModelVersion

Env = dict[str, str | None]


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def cli_env(settings: Settings, db_url: str) -> Env:
    return {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
            "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip


def run(env: Env, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def ok(env: Env, *args: str) -> str:
    result = run(env, *args)
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.exception!r}"
    return " ".join(result.output.split())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the services and API tests cover PostgreSQL
def test_train_list_and_evaluate_from_the_command_line(hub: Hub, cli_env: Env, tmp_path: Path) -> None:
    banking_project(hub, tmp_path, n_classes=3, per_class=25)
    out = ok(cli_env, "model", "train", "banking", "--mode", "sgd", "--seed", "2", "--wait")
    assert "trained text-classifier v1" in out and "on 75 labels" in out and "now the active model" in out
    with hub.db.session() as s:
        mv = s.scalars(select(ModelVersion)).one()
        assert (mv.status, mv.seed, mv.mode, mv.active) == ("ready", 2, "sgd", True)
        mid = mv.id
    assert f"accuracy {mv.metrics['accuracy']:.3f}" in out

    listing = ok(cli_env, "model", "list", "banking")
    assert "text-classifier@1 (active)" in listing and "ready" in listing and "sgd/2" in listing and "75" in listing

    queued = ok(cli_env, "model", "train", "banking", "--mode", "swa")
    with hub.db.session() as s:
        job = s.scalars(select(Job).where(Job.kind == "train_model")).one()
    assert f"queued training job {job.id}" in queued and job.params["mode"] == "swa" and job.status == "queued"

    page = tmp_path / "report.html"
    report = ok(cli_env, "model", "eval", "banking", str(mid), "--html", str(page))
    assert "Refund_not_showing_up" in report and "proposals accepted unchanged: 0 of 0" in report
    assert page.read_text().count("data:image/png;base64,") == 2

    failed = run(cli_env, "model", "eval", "banking", "999")
    assert failed.exit_code == 1 and isinstance(failed.exception, SystemExit)
    assert "model version 999 not found" in " ".join(failed.output.split())
