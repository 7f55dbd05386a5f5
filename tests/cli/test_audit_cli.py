"""``labelhub audit``, run as a user would: a project's log, filters, the whole log, and who may read it."""

from __future__ import annotations

import shlex

import pytest
from sqlalchemy import select
from tests.cli._support import Env, ok, run

from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.users import get_user_by_name
from labelhub.storage.models import Project


def rows(output: str) -> list[list[str]]:
    """The body rows of a rich table, as stripped cells."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines() if "│" in line]


@pytest.fixture
def team(cli_env: Env, hub: Hub) -> Env:
    """Project "street" with olga (owner), mo (manager) and ann (annotator); ann saved item 7 twice."""
    for name in ("olga", "mo", "ann"):
        ok(cli_env, "user", "add", name, "--password-stdin", stdin=f"{name}-long-password\n")
    ok(cli_env, "project", "create", "street", "--owner", "olga")
    ok(cli_env, "project", "add-member", "street", "mo", "--role", "manager", "--as", "olga")
    ok(cli_env, "project", "add-member", "street", "ann", "--as", "mo")
    with hub.db.session(write=True) as s:
        ann = get_user_by_name(s, "ann")
        pid = s.scalars(select(Project.id).where(Project.name == "street")).one()
        for added in (3, 1):
            audit.record(s, Actor(ann.id, "ann"), "annotations.replace", "item", 7, project_id=pid,
                         detail={"added": added, "updated": 0, "deleted": 0, "status": ["new", "labeled"]})  # fmt: skip
    return cli_env


def test_a_project_s_log_newest_first_with_filters(team: Env) -> None:
    out = ok(team, "audit", "street", "--as", "mo").stdout
    header = next(line for line in out.splitlines() if "┃" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == ["id", "when (UTC)", "who", "action", "object", "detail"]
    table = rows(out)
    assert [(r[2], r[3]) for r in table] == [
        ("ann", "annotations.replace"), ("ann", "annotations.replace"), ("mo", "member.set"),
        ("olga", "member.set"), ("olga", "project.create")]  # fmt: skip
    assert table[0][4] == "item 7"
    assert table[0][5] == "added=1 updated=0 deleted=0 status=new->labeled"
    assert table[2][5] == "username=ann role=annotator"
    assert int(table[0][0]) > int(table[1][0])

    only_members = rows(ok(team, "audit", "street", "--action", "member.").stdout)
    assert [(r[2], r[5]) for r in only_members] == [("mo", "username=ann role=annotator"),
                                                   ("olga", "username=mo role=manager")]  # fmt: skip
    assert [r[3] for r in rows(ok(team, "audit", "street", "--user", "olga").stdout)] == [
        "member.set", "project.create"]  # fmt: skip
    newest = ok(team, "audit", "street", "--limit", "2").stdout
    assert len(rows(newest)) == 2 and "older events exist" in newest
    assert "no audit events match" in ok(team, "audit", "street", "--action", "item.approve").stdout


def test_the_whole_log_shows_users_and_projects(team: Env) -> None:
    out = ok(team, "audit", "--action", "user.create").stdout
    table = rows(out)
    assert [r[5] for r in table] == ["username=ann admin=False", "username=mo admin=False", "username=olga admin=False"]
    assert {r[2] for r in table} == {"system"} and {r[6] for r in table} == {"-"}  # the CLI acts as the system


def test_only_managers_and_admins_read_the_log(team: Env) -> None:
    refused = run(team, "audit", "street", "--as", "ann")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "reading the audit log needs the manager role in project 'street'; you are annotator" in " ".join(
        refused.stderr.split()
    )
    whole = run(team, "audit", "--as", "olga")
    assert whole.exit_code == 1 and "reading the whole audit log needs an administrator" in whole.stderr
    unknown = run(team, "audit", "street", "--user", "nobody")
    assert unknown.exit_code == 1 and "user 'nobody' not found" in unknown.stderr


def test_before_walks_older_pages_with_the_command_the_hint_prints(team: Env) -> None:
    everything = [r[0] for r in rows(ok(team, "audit", "street").stdout)]
    assert len(everything) == 5
    seen: list[str] = []
    args = ["audit", "street", "--as", "mo", "--limit", "2"]
    while True:
        out = ok(team, *args).stdout
        page = [r[0] for r in rows(out)]
        seen += page
        hint = [line for line in out.splitlines() if line.startswith("older events exist; the next page: ")]
        if not hint:
            break
        command = hint[0].removeprefix("older events exist; the next page: ")
        assert command == f"labelhub audit street --limit 2 --as mo --before {page[-1]}"
        args = shlex.split(command)[1:]
    assert seen == everything  # every event once, newest first, over three pages of 2, 2 and 1
    assert "no older audit events match" in ok(team, "audit", "street", "--before", everything[-1]).stdout


def test_before_takes_a_time_and_refuses_anything_else(team: Env) -> None:
    assert len(rows(ok(team, "audit", "street", "--before", "2999-01-01T00:00").stdout)) == 5
    assert "no older audit events match" in ok(team, "audit", "street", "--before", "2000-01-01").stdout
    bad = run({**team, "COLUMNS": "250"}, "audit", "street", "--before", "yesterday")
    assert bad.exit_code == 2 and "Invalid value for '--before'" in bad.output
    assert "'yesterday' is neither an event id (a number) nor a time" in bad.output


def test_a_refused_login_is_by_nobody_logged_in_and_a_deleted_user_keeps_the_name(team: Env, hub: Hub) -> None:
    with hub.db.session(write=True) as s:
        # What api/routes/auth.py records when a login lockout starts, and an event whose user was deleted since.
        audit.record(s, Actor(None, "anonymous"), "auth.throttled", "login", "user:ann",
                     detail={"username": "ann", "client": "10.0.0.1", "by": "user", "retry_after": 60})  # fmt: skip
        audit.record(s, Actor(None, "gone"), "user.update", "user", 99, detail={"fields": ["admin"]})
    who = {r[3]: r[2] for r in rows(ok(team, "audit", "--limit", "2").stdout)}
    assert who == {"auth.throttled": "(not logged in)", "user.update": "gone (deleted)"}
