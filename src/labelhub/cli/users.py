"""``labelhub user ...`` and ``labelhub token ...``."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from labelhub.cli._common import console, opened_hub
from labelhub.errors import ValidationError
from labelhub.services import users
from labelhub.services.access import Actor

user_app = typer.Typer(help="Add, list and change users.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


class GlobalRole(StrEnum):
    ADMIN = "admin"
    USER = "user"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    pw: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return pw


@user_app.command("add")
def add_user(
    name: str,
    role: Annotated[GlobalRole, typer.Option(help="admin, or user (project roles are set per project)")] = (
        GlobalRole.USER
    ),
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Create a user."""
    password = _read_password(password_stdin)
    with opened_hub() as hub, hub.db.session(write=True) as s:
        u = users.create_user(s, Actor.system(), name, password, is_admin=role is GlobalRole.ADMIN)
        console.print(f"created user [bold]{u.username}[/] (id {u.id}{', admin' if u.is_admin else ''})")


@user_app.command("passwd")
def set_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin)
    with opened_hub() as hub, hub.db.session(write=True) as s:
        u = users.get_user_by_name(s, name)
        users.update_user(s, Actor.system(), u.id, password=password)
        console.print(f"password of {name} changed")


@user_app.command("list")
def list_users(as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False) -> None:
    """List users."""
    with opened_hub() as hub, hub.db.session() as s:
        rows: list[dict[str, Any]] = [
            {"id": u.id, "username": u.username, "is_admin": u.is_admin, "is_active": u.is_active,
             "created_at": u.created_at.isoformat()}
            for u in users.list_users(s)
        ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "username", "admin", "active", "created")
    for r in rows:
        table.add_row(str(r["id"]), r["username"], "yes" if r["is_admin"] else "", "yes" if r["is_active"] else "no",
                      r["created_at"][:16].replace("T", " "))  # fmt: skip
    console.print(table)


@user_app.command("set")
def set_user(
    name: str,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Reactivate, or deactivate (ends sessions and tokens)")
    ] = None,
    admin: Annotated[bool | None, typer.Option("--admin/--no-admin", help="Make or unmake an administrator")] = None,
) -> None:
    """Change a user's active or administrator flag."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        if active is None and admin is None:
            raise ValidationError("nothing to change: give --active or --inactive, --admin or --no-admin", field="name")
        u = users.get_user_by_name(s, name)
        users.update_user(s, Actor.system(), u.id, is_active=active, is_admin=admin)
        state = f"{'active' if u.is_active else 'inactive'}{', admin' if u.is_admin else ', not admin'}"
    console.print(f"user {name} is now {state}")


@token_app.command("create")
def create_token(
    user: Annotated[str, typer.Argument(help="The user the token acts as")],
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "cli",
    days: Annotated[int | None, typer.Option(min=1, help="Expire after this many days (default: never)")] = None,
) -> None:
    """Create an API token and print it (it is shown only once)."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        if days is not None and days < 1:
            raise ValidationError("--days must be at least 1", field="days")
        u = users.get_user_by_name(s, user)
        issued = users.issue_token(s, u, name, lifetime=timedelta(days=days) if days else None)
    typer.echo(issued.token)


@token_app.command("list")
def list_tokens(
    user: Annotated[str, typer.Argument(help="The user whose API tokens to list")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """List a user's API tokens (ids and names; the secrets are not stored)."""
    with opened_hub() as hub, hub.db.session() as s:
        rows: list[dict[str, Any]] = [
            {"id": t.id, "name": t.name, "created_at": t.created_at.isoformat(),
             "expires_at": t.expires_at.isoformat() if t.expires_at else None}
            for t in users.list_tokens(s, users.get_user_by_name(s, user).id)
        ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "created", "expires")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["created_at"][:16].replace("T", " "),
                      (r["expires_at"] or "never")[:16].replace("T", " "))  # fmt: skip
    console.print(table)


@token_app.command("revoke")
def revoke_token(
    user: Annotated[str, typer.Argument(help="The user the token acts as")],
    token_id: Annotated[int, typer.Argument(help="Token id (see `labelhub token list USER`)")],
) -> None:
    """Revoke one of a user's API tokens; it stops working at once (other servers: within seconds)."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        users.delete_token(s, Actor.system(), users.get_user_by_name(s, user).id, token_id)
    console.print(f"revoked token {token_id} of {user}")
