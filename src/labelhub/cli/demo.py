"""``labelhub demo``: a ready-made demo with generated media, then the server."""

from __future__ import annotations

from typing import Annotated

import typer

from labelhub.cli._common import console, opened_hub, progress_bar
from labelhub.cli.serve import serve
from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.errors import NotFoundError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.media.demo import DEMO_LABELS, DEMO_TEXT_LABELS, generate_demo_images, generate_demo_texts
from labelhub.media.demo_video import generate_demo_video
from labelhub.services import projects, users
from labelhub.services.access import Actor
from labelhub.services.imports import import_records

DEMO_USER = "admin"
DEMO_PASSWORD = "labelhub-demo"  # noqa: S105 - a local demo login, printed for the user on purpose
IMAGE_PROJECT = "Demo: shapes"
TEXT_PROJECT = "Demo: support requests"
VIDEO_PROJECT = "Demo: moving shapes (video)"


def _ensure_demo(hub: Hub) -> None:
    with hub.db.session(write=True) as s:
        try:
            user = users.get_user_by_name(s, DEMO_USER)
        except NotFoundError:
            user = users.create_user(s, Actor.system(), DEMO_USER, DEMO_PASSWORD, is_admin=True)
        actor = users.actor_for(user)
        existing = {p.name for p, _ in projects.list_projects(s, actor)}
        todo = []
        for name, kind, labels in (
            (IMAGE_PROJECT, ItemKind.IMAGE, DEMO_LABELS),
            (TEXT_PROJECT, ItemKind.TEXT, DEMO_TEXT_LABELS),
            (VIDEO_PROJECT, ItemKind.VIDEO, DEMO_LABELS),
        ):
            if name not in existing:
                p = projects.create_project(
                    s,
                    actor,
                    name,
                    item_kind=kind,
                    schema=LabelSchema.from_names(labels),
                    description="Generated demo data",
                )
                todo.append((p.id, kind, labels))
    media_dir = hub.settings.home / "demo-media"
    for pid, kind, labels in todo:
        if kind is ItemKind.IMAGE:
            records = generate_demo_images(media_dir, count=48)
        elif kind is ItemKind.VIDEO:
            records = [generate_demo_video(media_dir / "video")]
        else:
            records = generate_demo_texts(count=60)
        with progress_bar(f"demo {kind.value}s") as progress:
            import_records(
                hub,
                actor,
                pid,
                records,
                labels=list(labels),
                format_name="demo",
                options=ImportOptions(),
                total=len(records),
                progress=progress,
            )
        if kind is ItemKind.TEXT:
            # Embeddings with the built-in n-gram embedder (no download): search and duplicates work at once.
            from labelhub.services.embeddings import embed_project

            with progress_bar("demo embeddings") as progress:
                embed_project(hub, actor, pid, None, progress=progress)


def demo(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    run_server: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the server afterwards")] = True,
) -> None:
    """Create demo projects (generated images with boxes and model proposals, text, and a video), then serve them."""
    with opened_hub() as hub:
        _ensure_demo(hub)
    console.print(
        f"demo ready: log in at [bold]http://{host}:{port}[/] as [bold]{DEMO_USER}[/] / [bold]{DEMO_PASSWORD}[/]"
    )
    if run_server:
        serve(host=host, port=port, worker=True)
