"""``labelhub project ...`` and ``labelhub stats``."""

from __future__ import annotations

import json
import shlex
from typing import Annotated, Any

import typer
from rich.table import Table

from labelhub.cli import members
from labelhub.cli._common import AsUser, acting_as, console, opened_hub
from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.services import projects
from labelhub.services.projects import get_project_by_name
from labelhub.services.stats import project_stats

project_app = typer.Typer(help="Manage projects and their members.", no_args_is_help=True)


@project_app.command("create")
def create(
    name: str,
    kind: Annotated[ItemKind, typer.Option(help="What the items are")] = ItemKind.IMAGE,
    labels: Annotated[str, typer.Option(help="Comma-separated class names, in hotkey order")] = "",
    description: str = "",
    owner: Annotated[str | None, typer.Option(help="User who owns the project")] = None,
) -> None:
    """Create a project."""
    names = [n.strip() for n in labels.split(",") if n.strip()]
    with opened_hub() as hub, hub.db.session(write=True) as s:
        p = projects.create_project(
            s,
            acting_as(hub, owner),
            name,
            item_kind=kind,
            schema=LabelSchema.from_names(names),
            description=description,
        )
        console.print(f"created project [bold]{p.name}[/] (id {p.id}, {kind.value}, {len(names)} classes)")
    if owner is None:
        console.print(
            f"it has no members yet, so only administrators see it: "
            f"labelhub project add-member {shlex.quote(name)} USER --role owner"
        )


@project_app.command("list")
def list_projects(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
    as_user: AsUser = None,
) -> None:
    """List projects."""
    with opened_hub() as hub, hub.db.session() as s:
        rows: list[dict[str, Any]] = [
            {"id": p.id, "name": p.name, "kind": p.item_kind, "classes": len(p.label_schema.get("classes", [])),
             "role": role.value if role else None, "created_at": p.created_at.isoformat()}
            for p, role in projects.list_projects(s, acting_as(hub, as_user))
        ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "kind", "classes", "your role", "created")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["kind"], str(r["classes"]), r["role"] or "-",
                      r["created_at"][:16].replace("T", " "))  # fmt: skip
    console.print(table)


@project_app.command("delete")
def delete(name: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False) -> None:
    """Delete a project and everything in it."""
    if not yes:
        typer.confirm(f"Delete project {name!r} with all its items and annotations?", abort=True)
    with opened_hub() as hub:
        with hub.db.session(write=True) as s:
            actor = acting_as(hub, None)
            pid = get_project_by_name(s, actor, name).id
            projects.delete_project(s, actor, pid)
        projects.remove_project_files(hub.settings.home, pid)
        console.print(f"deleted project {name}")


def stats(
    project: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    as_user: AsUser = None,
) -> None:
    """Print item and annotation counts by kind, label, source and state."""
    with opened_hub() as hub, hub.db.session() as s:
        actor = acting_as(hub, as_user)
        data = project_stats(s, actor, get_project_by_name(s, actor, project).id)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    console.print(
        f"[bold]{data['project']}[/]: {data['items']['total']:,} items, {data['annotations']['total']:,} annotations"
    )
    for group, counts in [
        ("items by status", data["items"]["by_status"]),
        *((f"annotations by {k[3:]}", v) for k, v in data["annotations"].items() if k.startswith("by_")),
    ]:
        table = Table(group, "count")
        for key, n in counts.items():
            table.add_row(key, f"{n:,}")
        console.print(table)


members.register(project_app)
