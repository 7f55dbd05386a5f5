"""``labelhub demo``: a ready-made demo with generated media, then the server."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from sqlalchemy import func, select

from labelhub.cli._common import console, err_console, opened_hub, progress_bar
from labelhub.cli.serve import Host, Port, serve
from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelClass, LabelSchema
from labelhub.errors import ConfigurationError, NotFoundError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.media.demo import (
    DEMO_LABELS,
    DEMO_TEXT_LABELS,
    TRIANGLE_KEYPOINTS,
    TRIANGLE_SKELETON,
    generate_demo_images,
    generate_demo_texts,
)
from labelhub.media.demo_video import generate_demo_video
from labelhub.media.demo_volume import DEMO_VOLUME_LABELS, demo_volume_records
from labelhub.services import projects, users
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.storage.models import Item, User

DEMO_USER = "admin"
DEMO_PASSWORD = "labelhub-demo"  # noqa: S105 - a local demo login, printed for the user on purpose
IMAGE_PROJECT = "Demo: shapes"
TEXT_PROJECT = "Demo: support requests"
VIDEO_PROJECT = "Demo: moving shapes (video)"
VOLUME_PROJECT = "Demo: CT phantom (volume)"


# A yes/no for every class and a choice for one, so the Attributes sections have something to show.
DEMO_ATTRIBUTES = (
    AttributeSpec("occluded", "bool", default=False),
    AttributeSpec("fill", "select", options=("solid", "striped", "empty"), labels=("square",), default="solid"),
)


def _ensure_demo(hub: Hub) -> bool:
    """Create what is missing of the demo; True when the demo administrator was created (with DEMO_PASSWORD).

    An existing ``admin`` keeps its password. Outside development mode a home that already has users does not get
    an administrator with a published password: that is refused, naming the two ways on."""
    created = False
    with hub.db.session(write=True) as s:
        try:
            user = users.get_user_by_name(s, DEMO_USER)
        except NotFoundError:
            if not hub.settings.dev and s.scalar(select(func.count()).select_from(User)):
                raise ConfigurationError(
                    f"this home ({hub.settings.home}) already has users, and the demo would add an administrator "
                    f"{DEMO_USER!r} whose password {DEMO_PASSWORD!r} is published; run the demo with a new "
                    "LABELHUB_HOME, or set LABELHUB_DEV=1 to add it here anyway",
                    field="LABELHUB_DEV",
                ) from None
            user = users.create_user(s, Actor.system(), DEMO_USER, DEMO_PASSWORD, is_admin=True)
            created = True
        actor = users.actor_for(user)
        existing = {p.name for p, _ in projects.list_projects(s, actor)}
        todo = []
        for name, kind, labels in (
            (IMAGE_PROJECT, ItemKind.IMAGE, DEMO_LABELS),
            (TEXT_PROJECT, ItemKind.TEXT, DEMO_TEXT_LABELS),
            (VIDEO_PROJECT, ItemKind.VIDEO, DEMO_LABELS),
            (VOLUME_PROJECT, ItemKind.VOLUME, DEMO_VOLUME_LABELS),
        ):
            if name not in existing:
                schema = LabelSchema.from_names(labels)
                if kind in (ItemKind.IMAGE, ItemKind.VIDEO):  # attributes to try in the image and video editors
                    schema = replace(schema, attributes=DEMO_ATTRIBUTES)
                if kind is ItemKind.IMAGE:  # the triangles' corners, for the keypoints tool
                    schema = replace(schema, classes=tuple(_with_corners(c) for c in schema.classes))
                p = projects.create_project(
                    s, actor, name, item_kind=kind, schema=schema, description="Generated demo data"
                )
                todo.append((p.id, kind, labels))
    media_dir = hub.settings.home / "demo-media"
    for pid, kind, labels in todo:
        if kind is ItemKind.IMAGE:
            records = generate_demo_images(media_dir, count=48)
        elif kind is ItemKind.VIDEO:
            records = [generate_demo_video(media_dir / "video")]
        elif kind is ItemKind.VOLUME:  # written as NIfTI files and read back through the nifti format
            records = demo_volume_records(media_dir / "volume")
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
        if kind is ItemKind.VIDEO:
            _queue_video_track(hub, actor, pid)
        if kind is ItemKind.TEXT:
            # Embeddings with the built-in n-gram embedder (no download): search and duplicates work at once.
            from labelhub.services.embeddings import embed_project

            with progress_bar("demo embeddings") as progress:
                embed_project(hub, actor, pid, None, progress=progress)
            _queue_text_assist(hub, actor, pid)
    return created


def _with_corners(c: LabelClass) -> LabelClass:
    return replace(c, keypoints=TRIANGLE_KEYPOINTS, skeleton=TRIANGLE_SKELETON) if c.name == "triangle" else c


def _queue_video_track(hub: Hub, actor: Actor, project_id: int) -> None:
    """Queue the propagation of the demo video's one started track (the square, keyframed on frame 0)."""
    from labelhub.services.frames import load_video_item
    from labelhub.services.propagation import queue_propagation

    with hub.db.session(write=True) as s:
        for item_id in s.scalars(select(Item.id).where(Item.project_id == project_id)):
            queue_propagation(s, actor, load_video_item(s, hub, actor, project_id, item_id), 1)
    console.print("queued for the worker: tracking the demo video's square from its first-frame box")


def _queue_text_assist(hub: Hub, actor: Actor, project_id: int) -> None:
    """Queue the text project's embedding map and its first classifier, which then pre-labels the unlabelled
    items: the server's worker runs them, so the map, the models page (the labelling queue ranked by the model)
    and the unlabelled texts' proposals have something to show."""
    from labelhub.services.embedding_map import queue_map
    from labelhub.services.models import TrainSpec, queue_training

    with hub.db.session(write=True) as s:
        queue_map(s, hub, actor, project_id, None)
        queue_training(s, actor, project_id, TrainSpec(kind="text_classifier"), prelabel=True)
    console.print(
        "queued for the worker: the text project's embedding map, and a first text classifier that then pre-labels "
        "the unlabelled requests (see Jobs)"
    )


def demo(
    host: Host = "127.0.0.1",
    port: Port = 8080,
    run_server: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the server afterwards")] = True,
) -> None:
    """Create demo projects (generated images with boxes and model proposals, text, a video and a CT volume), then
    serve them."""
    with opened_hub() as hub:
        created = _ensure_demo(hub)
        dev = hub.settings.dev
    url = f"[bold]http://{host}:{port}[/]"
    if created:
        console.print(f"demo ready: log in at {url} as [bold]{DEMO_USER}[/] / [bold]{DEMO_PASSWORD}[/]")
        if not dev:
            err_console.print(
                f"[bold yellow]warning:[/] {DEMO_USER} is an administrator with a published password; before anyone "
                f"else can reach this server, change it: labelhub user passwd {DEMO_USER}"
            )
    else:
        console.print(
            f"demo ready: log in at {url} as [bold]{DEMO_USER}[/] (user {DEMO_USER} already exists; its password "
            "was not changed)"
        )
    if run_server:
        serve(host=host, port=port, worker=True)
