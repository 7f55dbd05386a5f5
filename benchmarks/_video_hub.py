"""A fresh SQLite hub holding one long image-sequence video, for the benchmarks of the video routes.

The sequence's ``img/*.jpg`` frames over and over, ``frames`` of them, linked in place (as a long MOT or drone
sequence would be imported), in a video project with one track-box class, and an administrator's bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _util import log


@dataclass(frozen=True)
class VideoHub:
    hub: Any  # labelhub.hub.Hub (imported lazily, as the benchmarks do)
    token: str
    actor: Any
    project_id: int
    item_id: int
    frames: list[Path]


def video_hub(work: Path, sequence: Path, frames: int, label: str, name: str) -> VideoHub:
    """Open a hub in ``work`` and import a ``frames``-frame video of ``sequence``'s images, class ``label``."""
    import cv2
    from sqlalchemy import select

    from labelhub.config import Settings
    from labelhub.domain.enums import AnnotationKind, ItemKind
    from labelhub.domain.records import ItemRecord
    from labelhub.domain.schema import LabelSchema
    from labelhub.formats import ImportOptions
    from labelhub.hub import Hub
    from labelhub.services.access import Actor
    from labelhub.services.imports import import_records
    from labelhub.services.projects import create_project
    from labelhub.services.users import actor_for, create_user, issue_token
    from labelhub.storage.models import Item

    images = sorted((sequence / "img").glob("*.jpg"))
    if not images:
        raise SystemExit(f"{sequence}/img holds no .jpg frames")
    files = [images[i % len(images)].resolve() for i in range(frames)]
    hub = Hub.open(Settings(home=work / "home", database_url=f"sqlite:///{work}/hub.db", dev=True,
                            import_roots=[sequence.resolve().parent, work]))  # fmt: skip
    schema = LabelSchema.from_names([label], kinds=[AnnotationKind.TRACK_BOX])
    with hub.db.session(write=True) as s:
        user = create_user(s, Actor.system(), "bench-admin", "bench-admin-password", is_admin=True)
        token, actor = issue_token(s, user, "bench").token, actor_for(user)
        pid = create_project(s, actor, name, item_kind=ItemKind.VIDEO, schema=schema).id
    h, w = cv2.imread(str(files[0])).shape[:2]
    log(f"importing a {frames}-frame image sequence (linked)")
    record = ItemRecord(kind=ItemKind.VIDEO, name=name, media_path=files[0], frame_files=files, frame_count=frames,
                        width=w, height=h, fps=25.0)  # fmt: skip
    import_records(hub, actor, pid, [record], labels=[], format_name="bench", options=ImportOptions(media="link"))
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    return VideoHub(hub, token, actor, pid, iid, files)
