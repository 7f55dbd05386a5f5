"""``labelhub project members|add-member|remove-member``: who works on a project, with which role."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from labelhub.cli._common import AsUser, acting_as, console, opened_hub
from labelhub.domain.enums import Role
from labelhub.services import projects
from labelhub.services.projects import get_project_by_name
from labelhub.services.users import get_user_by_name


def register(app: typer.Typer) -> None:
    """Add the member commands to ``labelhub project``."""
    app.command("members")(list_members)
    app.command("add-member")(add_member)
    app.command("remove-member")(remove_member)


def list_members(project: str, as_user: AsUser = None) -> None:
    """List a project's members and their roles."""
    with opened_hub() as hub, hub.db.session() as s:
        actor = acting_as(hub, as_user)
        p = get_project_by_name(s, actor, project)
        members = projects.list_members(s, actor, p.id)
    if not members:
        console.print(f"project [bold]{p.name}[/] has no members: only administrators see it")
        return
    table = Table("user", "role")
    for m in members:
        table.add_row(m.username, m.role.value)
    console.print(table)


def add_member(
    project: str,
    user: str,
    role: Annotated[Role, typer.Option(help="viewer, annotator, reviewer, manager or owner")] = Role.ANNOTATOR,
    as_user: AsUser = None,
) -> None:
    """Add a user to a project, or change their role there."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        actor = acting_as(hub, as_user)
        p = get_project_by_name(s, actor, project)
        m = projects.set_member(s, actor, p.id, get_user_by_name(s, user).id, role)
        console.print(f"{m.username} is {m.role.value} of project [bold]{p.name}[/]")


def remove_member(project: str, user: str, as_user: AsUser = None) -> None:
    """Take a user off a project (a project keeps at least one owner)."""
    with opened_hub() as hub, hub.db.session(write=True) as s:
        actor = acting_as(hub, as_user)
        p = get_project_by_name(s, actor, project)
        projects.remove_member(s, actor, p.id, get_user_by_name(s, user).id)
        console.print(f"removed {user} from project [bold]{p.name}[/]")
