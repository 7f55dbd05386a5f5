"""``labelhub prelabel``: queue a job, or run it here with --wait and print what it did."""

from __future__ import annotations

from sqlalchemy import select
from tests.model_servers import http_contract, register_http, serve, text_project
from typer.testing import CliRunner

from labelhub.cli import app
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.storage.models import Annotation, Job


def test_prelabel_waits_and_reports(hub: Hub, settings: Settings, db_url: str) -> None:
    env = {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
           "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip
    pid, _ = text_project(hub, "cli", ["a p=0.99", "b p=0.7", "c p=0.1"])
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        queued = CliRunner().invoke(app, ["prelabel", "cli"], env=env)
        assert queued.exit_code == 0, queued.output
        assert "queued pre-labelling job" in queued.output
        done = CliRunner().invoke(app, ["prelabel", str(pid), "--wait"], env=env)
    assert done.exit_code == 0, done.output
    # The first (queued) job ran too: the second found every item pre-labelled already.
    assert "pre-labelled 0 items with remote@1" in " ".join(done.output.split())
    with hub.db.session() as s:
        states = sorted(s.scalars(select(Annotation.state)))
        assert [j.status for j in s.scalars(select(Job).order_by(Job.id))] == ["succeeded", "succeeded"]
    assert states == ["accepted", "proposed", "proposed"]  # a: pos 0.99; b: pos 0.7 and c: neg 0.9 (below 0.95)


def test_prelabel_wait_shows_its_progress_in_a_log(hub: Hub, settings: Settings, db_url: str) -> None:
    """Not on a terminal (a log, CI), ``--wait`` prints progress lines while the job runs, not only 0 and 100 %."""
    env = {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
           "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip
    pid, _ = text_project(hub, "slow", [f"item {i} p=0.{i + 1}" for i in range(6)])

    def slow(path: str, body: object) -> tuple[int, object, float]:
        status, answer, _ = http_contract(path, body)
        return status, answer, 0.4  # seconds per call of one item: the job takes about 2.4 s

    with serve(slow) as srv:
        register_http(hub, pid, srv.url)
        done = CliRunner().invoke(app, ["prelabel", "slow", "--wait", "--batch-size", "1"], env=env)
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stderr.splitlines() if line.startswith("pre-label: ")]
    between = [
        line for line in lines if "pre-labelled" in line and not line.startswith(("pre-label: 0%", "pre-label: 100%"))
    ]
    assert between, lines  # e.g. "pre-label: 33% pre-labelled 2 of 6 items"
    assert "pre-labelled 6 items with remote@1" in " ".join(done.stdout.split())


def test_prelabel_wait_reports_failed_items_and_a_run_where_all_failed(hub: Hub, settings: Settings,
                                                                       db_url: str) -> None:  # fmt: skip
    env = {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
           "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip
    pid, ids = text_project(hub, "some", ["a p=0.99", "b fail"])
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        some = CliRunner().invoke(app, ["prelabel", "some", "--wait"], env=env)
    assert some.exit_code == 0, some.output
    out = " ".join(some.output.split())
    assert "pre-labelled 2 items with remote@1: 1 accepted, 0 proposed, 0 dropped, 1 errors" in out
    assert f"item {ids[1]}: this item makes the model fail" in out

    pid, ids = text_project(hub, "none", ["a p=0.99", "b p=0.7"])
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url, retries=0)
    failed = CliRunner().invoke(app, ["prelabel", "none", "--wait"], env=env)  # the server is gone: all fail
    assert failed.exit_code == 1, failed.output
    out = " ".join(failed.output.split())
    assert "failed: all 2 items failed with remote@1, so nothing was pre-labelled" in out
    assert f"item {ids[0]}: cannot reach" in out
