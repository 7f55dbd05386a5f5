"""Options out of range or choice are Typer usage errors (exit 2, the usage box, shown in ``--help``), as
docs/cli.md says; hints that print a command quote the project name so that it can be pasted into a shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli._support import Env, run
from tests.services._search import banking_rows, text_project

from labelhub.cli.models import MAX_EPOCHS, MAX_SEED, TrainKind, TrainMode
from labelhub.cli.search import EncoderKind
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.services.embedder_training import ENCODER_KINDS
from labelhub.services.prelabel import MAX_BATCH
from labelhub.services.train_spec import TRAINABLE, TrainSpec


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["token", "create", "bob", "--days", "0"], "--days"),
        (["prelabel", "p1", "--batch-size", "0"], "--batch-size"),
        (["prelabel", "p1", "--batch-size", str(MAX_BATCH + 1)], "--batch-size"),
        (["model", "train", "p1", "--mode", "foo"], "--mode"),
        (["model", "train", "p1", "--kind", "foo"], "--kind"),
        (["model", "train", "p1", "--epochs", "0"], "--epochs"),
        (["model", "train", "p1", "--seed", "-1"], "--seed"),
        (["train-encoder", "p1", "--kind", "audio"], "--kind"),
        (["project", "create", "p1", "--kind", "audio"], "--kind"),
    ],
)
def test_a_value_out_of_range_or_choices_is_a_usage_error(cli_env: Env, args: list[str], option: str) -> None:
    result = run(cli_env, *args)
    assert result.exit_code == 2, result.output
    assert "Usage: labelhub" in result.output and f"Invalid value for '{option}'" in flat(result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["import", "export"])
@pytest.mark.parametrize(
    ("split", "said"),
    [
        ("0.5/0.6", "split '0.5/0.6': the ratios sum to 1.1; give fractions that sum to 1"),
        ("train=70,val=20", "the ratios sum to 90; give fractions that sum to 1 (0.8/0.1/0.1) or percentages"),
        ("garbage", "give 2 or 3 ratios"),
        ("0/0", "the ratios sum to 0"),
    ],
)
def test_a_split_that_does_not_add_up_is_a_usage_error(cli_env: Env, command: str, split: str, said: str) -> None:
    # Refused while the options are read, before the project or the path is looked at.
    result = run({**cli_env, "COLUMNS": "250"}, command, "p", "nowhere.json", "--split", split)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--split'" in flat(result.output) and said in flat(result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["token", "create"], ["x>=1"]),
        (["prelabel"], [f"1<=x<={MAX_BATCH}"]),
        (["model", "train"], ["sgd|swa|swag", "text_classifier|image_classifier", "1<=x<=10000"]),
        (["train-encoder"], ["ssl|dual"]),
    ],
)
def test_help_shows_the_ranges_and_choices(cli_env: Env, command: list[str], shown: list[str]) -> None:
    result = run({**cli_env, "COLUMNS": "250"}, *command, "--help")
    assert result.exit_code == 0, result.output
    for text in shown:
        assert text in result.output, result.output


def test_the_cli_choices_are_those_the_services_check() -> None:
    assert {k.value for k in TrainKind} == set(TRAINABLE)
    assert {k.value for k in EncoderKind} == set(ENCODER_KINDS)
    for mode in TrainMode:
        TrainSpec(kind="text_classifier", mode=mode.value, seed=MAX_SEED, epochs=MAX_EPOCHS)  # all accepted
    # The services still check what the CLI's options check, for the API and retraining.
    for bad, said in (
        ({"mode": "foo"}, "mode must be sgd, swa or swag"),
        ({"seed": MAX_SEED + 1}, "seed must be"),
        ({"epochs": MAX_EPOCHS + 1}, "epochs must be in 1..10000"),
        ({"kind": "x"}, "kind must be"),
    ):
        with pytest.raises(ValidationError, match=said):
            TrainSpec(**{"kind": "text_classifier", **bad})  # type: ignore[arg-type]


def test_a_hint_quotes_the_project_name_for_the_shell(cli_env: Env, hub: Hub, tmp_path: Path) -> None:
    text_project(hub, tmp_path / "data", banking_rows(per_class=1), name="Demo: bank")
    result = run(cli_env, "search", "Demo: bank", "card")
    assert result.exit_code == 1, result.output
    assert "run labelhub embed 'Demo: bank'" in flat(result.output)
