"""First-run safety: the demo login, all-digit project names, worker and settings bounds (QA #4, #5, #6, #10), a
Ray address that does not answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.cli._support import Env, ok, run
from tests.cli.test_cli import assert_clean_failure, flat

from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.projects import update_project
from labelhub.storage.models import Project


def test_demo_does_not_print_a_password_an_existing_admin_does_not_have(cli_env: Env) -> None:
    ok(cli_env, "user", "add", "admin", "--role", "admin", "--password-stdin", stdin="another admin pw\n")
    out = ok(cli_env, "demo", "--no-serve")
    assert "labelhub-demo" not in out.output
    assert "user admin already exists; its password was not changed" in flat(out.output)


def test_demo_outside_dev_mode_refuses_a_home_that_has_users(cli_env: Env) -> None:
    ok(cli_env, "user", "add", "bob", "--password-stdin", stdin="bob-long-password\n")
    result = run({**cli_env, "LABELHUB_DEV": None}, "demo", "--no-serve")
    assert_clean_failure(result, "already has users", "LABELHUB_DEV=1")


def test_demo_outside_dev_mode_on_a_new_home_warns_about_the_known_password(cli_env: Env) -> None:
    out = ok({**cli_env, "LABELHUB_DEV": None}, "demo", "--no-serve")
    assert "admin / labelhub-demo" in flat(out.stdout)
    assert "labelhub user passwd admin" in flat(out.output)


@pytest.mark.parametrize("name", ["1", "007", " 42 "])
def test_an_all_digit_project_name_is_refused(cli_env: Env, name: str) -> None:
    assert_clean_failure(run(cli_env, "project", "create", name), "a number is a project id", "field: name")


def test_renaming_a_project_to_a_number_is_refused(cli_env: Env, hub: Hub) -> None:
    ok(cli_env, "project", "create", "p")
    with hub.db.session(write=True) as s:
        pid = s.scalars(select(Project.id).where(Project.name == "p")).one()
        with pytest.raises(ValidationError, match="a number is a project id"):
            update_project(s, Actor.system(), pid, name="12", expected_version=1)
    ok(cli_env, "project", "create", "p2024")  # digits among letters are a name


@pytest.mark.parametrize("threads", ["0", "-2"])
def test_worker_threads_must_be_at_least_one(cli_env: Env, threads: str) -> None:
    result = run(cli_env, "worker", "--threads", threads)
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("127.0.0.1:1", "cannot reach the Ray cluster at 127.0.0.1:1"),
        ("ray://127.0.0.1:1", "cannot reach the Ray cluster at ray://127.0.0.1:1"),
        ("head-node", "Ray address 'head-node' is not HOST:PORT"),
    ],
)
def test_worker_on_a_ray_cluster_nobody_answers_for_stops_at_once(cli_env: Env, address: str, said: str) -> None:
    assert_clean_failure(run(cli_env, "worker", "--ray", address), said, "field: ray")


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("LABELHUB_WORKER_THREADS", "0", "LABELHUB_WORKER_THREADS must be at least 1"),
        ("LABELHUB_SESSION_HOURS", "-5", "LABELHUB_SESSION_HOURS must be at least 1"),
        ("LABELHUB_MAX_UPLOAD_MB", "0", "LABELHUB_MAX_UPLOAD_MB must be at least 1"),
        ("LABELHUB_AUTH_CACHE_SECONDS", "-1", "LABELHUB_AUTH_CACHE_SECONDS must be at least 0"),
    ],
)
def test_settings_below_their_bound_are_refused(cli_env: Env, variable: str, value: str, said: str) -> None:
    assert_clean_failure(run({**cli_env, variable: value}, "project", "list"), said, f"field: {variable}")


def test_no_secret_key_is_needed_outside_dev_mode(cli_env: Env) -> None:
    ok({**cli_env, "LABELHUB_DEV": None, "LABELHUB_SECRET_KEY": None}, "project", "list")
    ok({**cli_env, "LABELHUB_DEV": None, "LABELHUB_SECRET_KEY": "short"}, "project", "list")  # accepted, unused
