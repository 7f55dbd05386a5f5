"""A video item's frames: files the browser loads while scrubbing, and the frame source the tracker reads.

An image-sequence video (``meta["frames"]``, one stored image per frame) serves its stored frames as they are.
A video file's frames are decoded on demand into the hub's JPEG frame cache (:mod:`labelhub.media.frames`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemKind
from labelhub.domain.permissions import Action
from labelhub.errors import NotFoundError, ValidationError
from labelhub.services.access import Actor, check_item_access
from labelhub.storage.models import Item, Media
from labelhub.tracking.frames import FrameSource, ImageFileFrames, VideoFileFrames

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["MAX_RANGE", "VideoItem", "frame_file", "load_video_item", "open_frames", "warm_frames"]

MAX_RANGE = 120  # frames one range request may decode: about four seconds of video at 30 fps


@dataclass(frozen=True, slots=True)
class VideoItem:
    """What the frame routes, the track edits and the tracker need of a video item.

    A video file has ``video``; an image sequence has ``frame_keys`` (one stored image per frame) and, when loaded
    with ``files=True`` (the tracker reads them all), ``frame_files`` and ``frame_types`` resolved and checked.
    """

    item_id: int
    project_id: int
    media_key: str
    frame_count: int
    width: int
    height: int
    fps: float | None
    version: int
    video: Path | None
    frame_files: tuple[Path, ...] = ()
    frame_types: tuple[str, ...] = ()  # the stored frames' MIME types (their files have no extension)
    frame_keys: tuple[str, ...] = ()


_I = Item.__table__.c
_COLUMNS = [_I.kind, _I.media_key, _I.frame_count, _I.width, _I.height, _I.fps, _I.meta, _I.version]


def _stored(
    session: Session, hub: Hub, item_id: int, keys: list[str], first: int, sequence: bool
) -> list[tuple[Path, str]]:
    """The files (and MIME types) of ``keys``, the frames from ``first`` on; 404 naming the first one missing."""
    found = session.execute(select(Media.key, Media.path, Media.mime).where(Media.key.in_(set(keys)))).all()
    links = {k: p for k, p, _ in found}
    types = {k: m or "" for k, _, m in found}
    out = []
    for i, k in enumerate(keys, first):
        path = hub.media.local_path(k, links.get(k))
        if path is None or not path.is_file():
            what = f"frame {i}" if sequence else "the video file"
            raise NotFoundError(f"{what} of item {item_id} is missing from the media store", field="media")
        out.append((path, types.get(k, "")))
    return out


def load_video_item(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, action: Action = Action.READ, *,
    files: bool = False,
) -> VideoItem:  # fmt: skip
    """Check that ``actor`` may do ``action`` on the item, that it is a video with stored media, and find it.

    An image sequence's frame files are looked up only with ``files`` (what the tracker reads) or one at a time by
    :func:`frame_file`: a track edit or a frame request on a 10,000-frame sequence checked every file before.
    """
    _, _, row = check_item_access(session, actor, project_id, item_id, action, _COLUMNS)
    kind, key, frame_count, width, height, fps, meta, version = row
    if kind != ItemKind.VIDEO.value:
        raise ValidationError(
            f"item {item_id} is a {kind} item; frames and tracks are for video items", field="item_id"
        )
    if not key or not width or not height:
        raise NotFoundError(f"item {item_id} has no stored video (imported as metadata only)", field="media")
    keys = (meta or {}).get("frames")
    if isinstance(keys, list):
        frame_keys = tuple(str(k) for k in keys)
        n = len(frame_keys)
        if not files:
            return VideoItem(item_id, project_id, key, n, width, height, fps, version, None, frame_keys=frame_keys)
        stored = _stored(session, hub, item_id, list(frame_keys), 0, True)
        paths, mimes = tuple(p for p, _ in stored), tuple(m for _, m in stored)
        return VideoItem(item_id, project_id, key, n, width, height, fps, version, None, paths, mimes, frame_keys)
    [(video, _)] = _stored(session, hub, item_id, [key], 0, False)
    if not frame_count or frame_count <= 0:
        raise ValidationError(f"item {item_id} has no frame count; import the video again", field="frame_count")
    return VideoItem(item_id, project_id, key, frame_count, width, height, fps, version, video)


def _check_frame(v: VideoItem, index: int) -> None:
    if not 0 <= index < v.frame_count:
        raise NotFoundError(
            f"frame {index} is not in item {v.item_id} (frames 0 to {v.frame_count - 1})", field="frame"
        )


def frame_file(hub: Hub, v: VideoItem, index: int) -> tuple[Path, str]:
    """Return the image file of frame ``index`` and its MIME type, decoding it into the cache if needed."""
    _check_frame(v, index)
    if v.video is None:
        if v.frame_files:
            path, stored = v.frame_files[index], v.frame_types[index] if index < len(v.frame_types) else ""
        else:
            with hub.db.session() as s:
                [(path, stored)] = _stored(s, hub, v.item_id, [v.frame_keys[index]], index, True)
        return path, stored or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return hub.frames.get(v.media_key, v.video, v.frame_count, index), "image/jpeg"


def warm_frames(hub: Hub, v: VideoItem, start: int, count: int) -> range:
    """Make frames ``start .. start + count - 1`` ready to serve (decoded in order); return the range served."""
    _check_frame(v, start)
    if not 1 <= count <= MAX_RANGE:
        raise ValidationError(f"count must be in [1, {MAX_RANGE}], got {count}", field="count")
    stop = min(v.frame_count, start + count)
    if v.video is not None:
        hub.frames.warm(v.media_key, v.video, v.frame_count, start, stop - start)
    return range(start, stop)


@contextmanager
def open_frames(v: VideoItem) -> Iterator[FrameSource]:
    """Yield the frames of ``v`` for the tracker: the stored sequence, or the video file decoded in memory.

    Not through the browser's JPEG cache: decoding the video is faster than decoding JPEGs, and encoding them
    would cost more than the tracking.
    """
    if v.video is None:
        if len(v.frame_files) != v.frame_count:  # pragma: no cover - a caller's mistake, not a user's
            raise RuntimeError(f"item {v.item_id}: load it with files=True to read its frames")
        yield ImageFileFrames(list(v.frame_files))
        return
    with VideoFileFrames(v.video, n_frames=v.frame_count) as frames:
        yield frames
