"""``labelhub user ...`` and ``labelhub token ...``."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from labelhub.cli._common import console, opened_hub
from labelhub.errors import ValidationError
from labelhub.services import users
from labelhub.services.access import Actor

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


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
def list_users() -> None:
    """List users."""
    with opened_hub() as hub, hub.db.session() as s:
        table = Table("id", "username", "admin", "active", "created")
        for u in users.list_users(s):
            table.add_row(
                str(u.id),
                u.username,
                "yes" if u.is_admin else "",
                "yes" if u.is_active else "no",
                f"{u.created_at:%Y-%m-%d %H:%M}",
            )
        console.print(table)


@token_app.command("create")
def create_token(
    user: Annotated[str, typer.Argument(help="The user the token acts as")],
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "cli",
    days: Annotated[int | None, typer.Option(help="Expire after this many days")] = None,
) -> None:
    """Create an API token and print it (it is shown only once)."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        if days is not None and days < 1:
            raise ValidationError("--days must be at least 1", field="days")
        u = users.get_user_by_name(s, user)
        issued = users.issue_token(s, u, name, lifetime=timedelta(days=days) if days else None)
    typer.echo(issued.token)
