"""Following work from the command line: jobs, tokens, users, the worker's log, --json listings (QA #8, #12, #14)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.cli._support import Env, ok, run
from tests.cli.test_cli import assert_clean_failure, flat

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.jobs import enqueue
from labelhub.storage.models import Project, User


def _queue(hub: Hub, kind: str, project: str | None = None) -> int:
    with hub.db.session(write=True) as s:
        pid = s.scalars(select(Project.id).where(Project.name == project)).one() if project else None
        return enqueue(s, Actor.system(), kind, {}, project_id=pid).id


def test_jobs_lists_newest_first_shows_and_cancels(cli_env: Env, hub: Hub) -> None:
    ok(cli_env, "project", "create", "p", "--kind", "text")
    first, second = _queue(hub, "embed", "p"), _queue(hub, "train_model", "p")
    other = _queue(hub, "embed")
    rows = json.loads(ok(cli_env, "jobs", "--json").stdout)
    assert [r["id"] for r in rows] == [other, second, first]
    assert {"id", "kind", "project_id", "status", "progress", "message", "created_at", "error"} <= set(rows[0])
    in_p = json.loads(ok(cli_env, "jobs", "p", "--json", "--limit", "1").stdout)
    assert [r["id"] for r in in_p] == [second]
    table = flat(ok(cli_env, "jobs", "p").stdout)
    assert "train_model" in table and "queued" in table
    assert "queued" in flat(ok(cli_env, "jobs", "show", str(first)).stdout)
    assert "cancelled job" in flat(ok(cli_env, "jobs", "cancel", str(first)).stdout)
    assert json.loads(ok(cli_env, "jobs", "show", str(first), "--json").stdout)["status"] == "cancelled"
    assert_clean_failure(run(cli_env, "jobs", "cancel", str(first)), "has already cancelled")
    assert_clean_failure(run(cli_env, "jobs", "show", "999"), "job 999 not found")


def test_jobs_as_a_user_sees_only_their_projects(cli_env: Env, hub: Hub) -> None:
    ok(cli_env, "user", "add", "bob", "--password-stdin", stdin="bob-long-password\n")
    ok(cli_env, "project", "create", "p", "--kind", "text")
    hidden = _queue(hub, "embed", "p")
    assert json.loads(ok(cli_env, "jobs", "--json", "--as", "bob").stdout) == []
    assert_clean_failure(run(cli_env, "jobs", "cancel", str(hidden), "--as", "bob"), f"job {hidden} not found")


def test_token_list_and_revoke(cli_env: Env) -> None:
    ok(cli_env, "user", "add", "alice", "--password-stdin", stdin="alice-long-password\n")
    ok(cli_env, "token", "create", "alice", "--name", "ci")
    ok(cli_env, "token", "create", "alice", "--name", "laptop", "--days", "3")
    tokens = json.loads(ok(cli_env, "token", "list", "alice", "--json").stdout)
    assert [t["name"] for t in tokens] == ["ci", "laptop"]
    assert "token_hash" not in tokens[0]
    assert "laptop" in ok(cli_env, "token", "list", "alice").stdout
    ok(cli_env, "token", "revoke", "alice", str(tokens[0]["id"]))
    assert [t["name"] for t in json.loads(ok(cli_env, "token", "list", "alice", "--json").stdout)] == ["laptop"]
    assert_clean_failure(run(cli_env, "token", "revoke", "alice", "99999"), "token 99999 not found")


def test_user_set_changes_active_and_admin(cli_env: Env, hub: Hub) -> None:
    ok(cli_env, "user", "add", "carol", "--password-stdin", stdin="carol-long-password\n")
    ok(cli_env, "user", "set", "carol", "--inactive", "--admin")
    with hub.db.session() as s:
        carol = s.scalars(select(User).where(User.username == "carol")).one()
        assert (carol.is_active, carol.is_admin) == (False, True)
    ok(cli_env, "user", "set", "carol", "--active", "--no-admin")
    users = json.loads(ok(cli_env, "user", "list", "--json").stdout)
    assert [(u["username"], u["is_active"], u["is_admin"]) for u in users] == [("carol", True, False)]
    assert_clean_failure(run(cli_env, "user", "set", "carol"), "--active", "--admin")


def test_project_and_model_lists_print_json(cli_env: Env) -> None:
    ok(cli_env, "project", "create", "p", "--kind", "text", "--labels", "a,b")
    projects = json.loads(ok(cli_env, "project", "list", "--json").stdout)
    assert [(p["name"], p["kind"], p["classes"]) for p in projects] == [("p", "text", 2)]
    assert json.loads(ok(cli_env, "model", "list", "p", "--json").stdout) == []


def test_search_without_embeddings_exits_1(cli_env: Env) -> None:
    ok(cli_env, "project", "create", "p", "--kind", "text")
    result = run(cli_env, "search", "p", "card")
    assert result.exit_code == 1, result.output
    assert "no embeddings in the" in flat(result.output)


@pytest.mark.parametrize("command", [("jobs", "--help"), ("token", "--help"), ("user", "--help")])
def test_help_names_the_new_commands(cli_env: Env, command: tuple[str, ...]) -> None:
    out = ok(cli_env, *command).stdout
    assert any(word in out for word in ("show", "revoke", "set"))
