"""Setup and I/O mistakes end with one ``error: ...`` line and exit 1, never a traceback (QA #1, #2, #3, #9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli._support import Env, ok, run
from tests.cli.test_cli import assert_clean_failure

# An address where nothing listens: port 1 on the loopback refuses at once.
DEAD_PG = "postgresql+psycopg://u:secretpw@127.0.0.1:1/db"


def _env(home: Path, url: str | None = None) -> Env:
    return {"LABELHUB_HOME": str(home), "LABELHUB_DATABASE_URL": url, "LABELHUB_DEV": "1", "COLUMNS": "200"}


def test_an_unreachable_postgresql_names_host_and_port_but_not_the_password(tmp_path: Path) -> None:
    result = run(_env(tmp_path / "home", DEAD_PG), "project", "list")
    assert_clean_failure(result, "cannot connect to LABELHUB_DATABASE_URL (127.0.0.1:1,", "is PostgreSQL running",
                         "field: LABELHUB_DATABASE_URL")  # fmt: skip
    assert "secretpw" not in result.output


def test_serve_with_an_unreachable_database_fails_cleanly(tmp_path: Path) -> None:
    result = run(_env(tmp_path / "home", DEAD_PG), "serve", "--port", "8719")
    assert_clean_failure(result, "cannot connect to LABELHUB_DATABASE_URL (127.0.0.1:1,")
    assert "secretpw" not in result.output


def test_a_sqlite_file_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nonexistent/dir/x.db"
    assert_clean_failure(run(_env(tmp_path / "home", url), "project", "list"),
                         f"{tmp_path}/nonexistent/dir/x.db")  # fmt: skip


def test_a_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "homefile").write_text("x")
    said = f"LABELHUB_HOME {tmp_path}/homefile is not a writable folder"
    assert_clean_failure(run(_env(tmp_path / "homefile"), "project", "list"), said, "field: LABELHUB_HOME")


def test_a_home_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    assert_clean_failure(run(_env(Path("/proc/labelhub-nope")), "project", "list"),
                         "LABELHUB_HOME /proc/labelhub-nope", "field: LABELHUB_HOME")  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("export", "p", "OUT", "-f", "nosuch"),
        ("export", "p", "OUT", "-o", "foo"),
        ("export", "p", "OUT", "-o", "foo=1"),
    ],
)
def test_import_and_export_option_mistakes_are_clean(cli_env: Env, tmp_path: Path, args: tuple[str, ...]) -> None:
    ok(cli_env, "project", "create", "p")
    (tmp_path / "src.json").write_text('{"images": [], "annotations": [], "categories": []}')
    real = [str(tmp_path / "src.json") if a == "SRC" else str(tmp_path / "out.json") if a == "OUT" else a for a in args]
    result = run(cli_env, *real)
    assert_clean_failure(result)
    assert "error:" in result.stderr


def test_an_export_to_an_unwritable_place_is_clean(cli_env: Env) -> None:
    ok(cli_env, "project", "create", "p")
    assert_clean_failure(run(cli_env, "export", "p", "/proc/nope/x.json"), "cannot write /proc/nope/x.json")


def test_model_eval_html_is_checked_before_the_evaluation(cli_env: Env) -> None:
    ok(cli_env, "project", "create", "p", "--kind", "text")
    # The version does not exist either: the unwritable report path is reported first, before any work.
    assert_clean_failure(run(cli_env, "model", "eval", "p", "999", "--html", "/proc/x/eval.html"),
                         "cannot write /proc/x/eval.html")  # fmt: skip


def test_openapi_creates_the_parent_folder_and_refuses_an_unwritable_one(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir" / "o.json"
    ok(_env(tmp_path / "home"), "openapi", "-o", str(out))
    assert out.read_text().startswith("{")
    assert_clean_failure(run(_env(tmp_path / "home"), "openapi", "-o", "/proc/x/o.json"), "cannot write /proc/x/o.json")


@pytest.mark.parametrize("port", ["99999", "-1", "0"])
def test_serve_and_demo_ports_out_of_range_are_usage_errors(tmp_path: Path, port: str) -> None:
    for command in ("serve", "demo"):
        result = run(_env(tmp_path / "home"), command, "--port", port)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output


def test_a_bad_host_is_blamed_on_the_host(tmp_path: Path) -> None:
    result = run(_env(tmp_path / "home"), "serve", "--host", "nosuchhost.invalid", "--port", "8714")
    assert_clean_failure(result, "cannot listen on nosuchhost.invalid:8714", "field: host")
    assert "--port" not in result.stderr


@pytest.mark.parametrize("value", ["abc", "10.0.0.0/33", "10.0.0.5,nope"])
def test_a_forwarded_allow_ips_entry_that_is_no_address_is_refused_naming_it(tmp_path: Path, value: str) -> None:
    result = run(_env(tmp_path / "home"), "serve", "--forwarded-allow-ips", value, "--port", "8715")
    bad = value.split(",")[-1]
    assert_clean_failure(result, f"--forwarded-allow-ips: '{bad}' is no IP address or network", "field:")


def test_an_automatic_import_follows_its_options(cli_env: Env, tmp_path: Path) -> None:
    """QA docs finding 2: `-o text_column=...` without `-f text` failed with "could not tell the format"."""
    ok(cli_env, "project", "create", "p", "--kind", "text")
    csv = tmp_path / "b.csv"
    csv.write_text("utterance_x,intent_x\nwhere is my card,card_arrival\nI lost my card,lost_card\n")
    out = ok(cli_env, "import", "p", str(csv), "-o", "text_column=utterance_x", "-o", "label_column=intent_x").stdout
    assert "detected format: text" in out and "2 new items" in out, out
    result = run(cli_env, "import", "p", str(csv), "-o", "lable_column=intent_x")
    assert_clean_failure(result, "did you mean 'label_column'")
