"""``labelhub model train|list|eval|prune`` run as a user would, against a project of imported BANKING77 labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.assist._encoders import random_word_encoder
from tests.assist._rows import banking_rows
from tests.cli._support import Env, run
from tests.services._banking_project import banking_project
from tests.services.test_model_eval import box_project, square_detector

from labelhub.hub import Hub
from labelhub.services import models as svc
from labelhub.services.access import Actor
from labelhub.services.assist_settings import get_assist, update_assist
from labelhub.services.model_jobs import train_version
from labelhub.services.model_retention import folder_bytes, human_size
from labelhub.storage.models import Job, ModelVersion

SYSTEM = Actor.system()
SPEC = svc.TrainSpec(kind="text_classifier", mode="sgd", epochs=2, features=2**10, min_steps=60)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


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
    assert "Refund_not_showing_up" in report
    said = "proposals accepted unchanged: 0 of 0 reviewed (-); 0 auto-accepted, not reviewed; 0 proposals in all"
    assert said in report
    assert page.read_text().count("data:image/png;base64,") == 2

    failed = run(cli_env, "model", "eval", "banking", "999")
    assert failed.exit_code == 1 and isinstance(failed.exception, SystemExit)
    assert "model version 999 not found" in " ".join(failed.output.split())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the services and API tests cover PostgreSQL
def test_prune_prints_what_it_removed(hub: Hub, cli_env: Env, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    first, second = train_version(hub, SYSTEM, pid, SPEC), train_version(hub, SYSTEM, pid, SPEC)
    assert "nothing to prune" in ok(cli_env, "model", "prune", "banking")  # the default keeps 5
    with hub.db.session(write=True) as s:
        view = get_assist(s, SYSTEM, pid)
        update_assist(s, SYSTEM, pid, {**view.settings, "keep_versions": 1}, view.version)
        mv = s.get(ModelVersion, first)
        assert mv is not None
        folder = svc.models_dir(hub) / mv.artifacts["folder"]
    size = human_size(folder_bytes(folder))
    assert size.endswith(("kB", "MB"))

    out = ok(cli_env, "model", "prune", "banking")
    assert f"pruned text-classifier@1 (id {first}): {size}" in out
    assert f"removed the files of 1 version, {size} freed" in out and "text-classifier@2" not in out
    assert not folder.exists()
    with hub.db.session() as s:
        statuses = {m.id: m.status for m in svc.list_versions(s, SYSTEM, pid)}
    assert statuses == {first: "pruned", second: "ready"}
    assert "pruned" in ok(cli_env, "model", "list", "banking")

    failed = run(cli_env, "model", "eval", "banking", str(first))
    assert failed.exit_code == 1
    assert "files were removed by the project's retention setting" in " ".join(failed.output.split())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_bad_seed_or_epoch_count_is_refused_before_a_job_is_queued(hub: Hub, cli_env: Env, tmp_path: Path) -> None:
    banking_project(hub, tmp_path, n_classes=3, per_class=5)
    # Typer's range checks (usage errors, exit 2); TrainSpec checks the same ranges for the API and retraining.
    for args in (("--seed", "-5"), ("--seed", "2147483648"), ("--epochs", "0"), ("--epochs", "10001")):
        result = run(cli_env, "model", "train", "banking", *args)
        assert result.exit_code == 2 and f"Invalid value for '{args[0]}'" in result.output, result.output
    with hub.db.session() as s:
        assert s.scalars(select(Job)).all() == [] and s.scalars(select(ModelVersion)).all() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_train_with_a_sentence_encoder_from_the_command_line(hub: Hub, cli_env: Env, tmp_path: Path) -> None:
    banking_project(hub, tmp_path, n_classes=3, per_class=10)
    missing = run(cli_env, "model", "train", "banking", "--text-encoder", str(tmp_path / "no-model"), "--wait")
    said = " ".join(missing.output.split())
    assert missing.exit_code == 1 and "no-model" in said and "no such folder on the server" in said, said
    with hub.db.session() as s:
        assert s.scalars(select(ModelVersion)).all() == [] and s.scalars(select(Job)).all() == []
    folder = random_word_encoder(tmp_path / "minilm", (text for text, _ in banking_rows(3, 10)))
    out = ok(cli_env, "model", "train", "banking", "--mode", "sgd", "--epochs", "2", "--text-encoder", str(folder),
             "--wait")  # fmt: skip
    assert "trained text-classifier v1" in out and "(n-grams and the sentence encoder encoder (16-d))" in out, out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_kind_that_cannot_learn_from_the_items_is_refused_and_nothing_stored(
    hub: Hub, cli_env: Env, tmp_path: Path
) -> None:
    banking_project(hub, tmp_path, n_classes=3, per_class=25)
    for wait in (["--wait"], []):
        failed = run(cli_env, "model", "train", "banking", "--kind", "image_classifier", *wait)
        said = " ".join(failed.output.split())
        assert failed.exit_code == 1 and "kind image_classifier needs a project of image items" in said, said
    with hub.db.session() as s:
        assert s.scalars(select(ModelVersion)).all() == [] and s.scalars(select(Job)).all() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_detector_evaluated_from_the_command_line_shows_ap_per_class(hub: Hub, cli_env: Env, tmp_path: Path) -> None:
    detector = square_detector(tmp_path)
    _, mid = box_project(hub, tmp_path, detector, {"square.png": [("cat", [60.0, 20.0, 100.0, 60.0]),
                                                                    ("dog", [5.0, 5.0, 30.0, 30.0])]})  # fmt: skip
    page = tmp_path / "report.html"
    out = ok(cli_env, "model", "eval", "boxes", str(mid), "--html", str(page))
    assert "on 1 human boxes in 1 images" in out and "mAP@0.5 1.000" in out and "over 1 class(es)" in out
    assert "not scored: 1 human boxes of 1 class(es) the model does not propose (dog)" in out
    assert "accuracy" not in out  # no whole-item labels: no classification figures
    html = page.read_text()
    assert "Boxes per class" in html and "1 human boxes in 1 images" in html and "Per class</h2>" not in html
