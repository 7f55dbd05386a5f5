"""Item media and thumbnails over HTTP, with ETag and Range support; files are found by hash, never by path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy import select

from labelhub.api.deps import ActorDep, HubDep
from labelhub.domain.enums import ItemKind
from labelhub.errors import NotFoundError
from labelhub.media.serving import FILE_HEADERS, served_type
from labelhub.services import items
from labelhub.services import volumes as volume_service
from labelhub.services.frames import frame_file, load_video_item
from labelhub.storage.models import Media

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}", tags=["media"])
_CACHE = "private, max-age=31536000, immutable"  # content-addressed: a key's bytes never change


def _not_modified(request: Request, etag: str) -> Response | None:
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE})
    return None


@router.get("/media", response_class=FileResponse, responses={304: {}, 206: {}, 416: {}})
def get_item_media(project_id: int, item_id: int, request: Request, actor: ActorDep, hub: HubDep) -> Response:
    """The item's original file; supports ``Range`` (video scrubbing) and ``If-None-Match``."""
    with hub.db.session() as s:
        it = items.get_item(s, actor, project_id, item_id)
        if not it.media_key:
            raise NotFoundError(f"item {item_id} has no stored media (imported as metadata only)", field="media")
        row = s.execute(select(Media.mime, Media.path).where(Media.key == it.media_key)).first()
    mime, linked = (row[0], row[1]) if row else ("application/octet-stream", None)
    etag = f'"{it.media_key}"'
    if (cached := _not_modified(request, etag)) is not None:
        return cached
    path = hub.media.local_path(it.media_key, linked)
    if path is None or not Path(path).is_file():
        raise NotFoundError(f"the media file of item {item_id} is missing from the store", field="media")
    media_type, disposition = served_type(mime)  # a user's file never runs as a page (media/serving.py)
    return FileResponse(
        path,
        media_type=media_type,
        filename=Path(it.name).name,
        headers={"ETag": etag, "Cache-Control": _CACHE, **FILE_HEADERS},
        content_disposition_type=disposition,
    )


@router.get("/thumbnail", response_class=FileResponse, responses={304: {}})
def get_item_thumbnail(
    project_id: int,
    item_id: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    size: Annotated[int, Query(description="Longest side in pixels: 128, 256 or 512")] = 256,
) -> Response:
    """A cached WebP thumbnail of the item's image (a video's: its first frame; a volume's: its middle slice)."""
    with hub.db.session() as s:
        it = items.get_item(s, actor, project_id, item_id)
        if not it.media_key:
            raise NotFoundError(f"item {item_id} has no stored media (imported as metadata only)", field="media")
        linked = s.scalar(select(Media.path).where(Media.key == it.media_key))
        # A video file's thumbnail is drawn from its first decoded frame (an image sequence's media key is its
        # first frame already); only looked up when the thumbnail is not cached yet.
        video_file = it.kind == ItemKind.VIDEO.value and not (it.meta or {}).get("frames")
        missing = not hub.thumbnails.path_for(it.media_key, size).exists()
        video = load_video_item(s, hub, actor, project_id, item_id) if video_file and missing else None
        is_volume = it.kind == ItemKind.VOLUME.value and missing
        volume = volume_service.load_volume_item(s, actor, project_id, item_id) if is_volume else None
    etag = f'"{it.media_key}-{size}"'
    if (cached := _not_modified(request, etag)) is not None:
        return cached
    first = frame_file(hub, video, 0)[0] if video is not None else None
    middle = volume_service.middle_slice_png(hub, volume) if volume is not None else None
    path = hub.thumbnails.get(it.media_key, size, linked, source=first or middle)
    return FileResponse(path, media_type="image/webp", headers={"ETag": etag, "Cache-Control": _CACHE, **FILE_HEADERS})
