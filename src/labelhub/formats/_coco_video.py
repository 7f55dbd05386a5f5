"""The frames of a video item, one at a time, for the formats that write video as images (COCO, WebDataset clips).

COCO knows no videos, and a WebDataset clip is a handful of images: both write a video item frame by frame.
:func:`video_frames` gives each frame of an item with what an exporter needs to name and write it: the stored
file of an image-sequence frame, or (``decode=True``) the pixels of a video file's frame, decoded in order with
:class:`labelhub.tracking.VideoFileFrames` and never more than one frame held at a time. :func:`frame_annotations`
groups the item's annotations by frame the way COCO sees them: boxes, polygons, masks and keypoints on a frame,
and each visible ``track_box`` as a box (``outside`` frames are left out).

:class:`MediaFolder` is the ``images/`` folder a COCO export with ``copy_media`` fills: every image under its
item name, every frame under its ``file_name``, built under a temporary name and renamed into place at the end
(next to the JSON file, or inside the export folder being built).

A video file may decode to fewer frames than its container declared (the ``video`` importer accepts a small
shortfall as an estimate); the frames stop at the first one that does not decode, and
:func:`check_frames_written` refuses an export whose annotations lie on frames that were not written.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, copy_media, is_safe_relative
from labelhub.formats._media_names import media_extension
from labelhub.formats.base import ExportItem
from labelhub.tracking.frames import Image, VideoFileFrames

__all__ = [
    "MediaFolder",
    "VideoFrame",
    "check_frames_written",
    "frame_annotations",
    "is_sequence",
    "on_a_frame",
    "video_frames",
    "write_frame",
]

# The kinds COCO writes on a frame's image; a visible track box is written as a box.
_ON_FRAME = frozenset({AnnotationKind.BOX, AnnotationKind.POLYGON, AnnotationKind.MASK, AnnotationKind.KEYPOINTS})
# Decoded frames are written as JPEG at this quality (OpenCV's default is 95).
JPEG_QUALITY = 95


@dataclass(slots=True)
class VideoFrame:
    """One frame of a video item: its 0-based ``index``, the extension its file takes, and where its pixels are.

    ``stored`` is the stored file of an image-sequence frame; ``pixels`` a decoded frame of a video file (BGR);
    both are None when the frame's media is not at hand (metadata only, or not asked to decode).
    """

    index: int
    ext: str
    stored: Path | None = None
    pixels: Image | None = None


def is_sequence(item: ExportItem) -> bool:
    """Return True when the item is an image-sequence video (its meta lists frame media keys)."""
    return bool(item.frame_files) or isinstance(item.record.meta.get("frames"), list)


def video_frames(item: ExportItem, total: int, *, decode: bool) -> Iterator[VideoFrame]:
    """Yield frames ``0 .. total - 1`` of a video item in order.

    An image sequence gives its stored frames (extension from each frame's file). A video file gives its frames
    decoded with OpenCV when ``decode`` is set, stopping early at the first frame that does not decode; the first
    frame must decode (FormatError naming the file). Otherwise the frames carry no media and take ``jpg``.
    """
    frames = item.frame_files
    if frames:
        for i in range(total):
            stored = frames[i] if i < len(frames) else None
            yield VideoFrame(i, media_extension("", stored) if stored is not None else "jpg", stored=stored)
        return
    if not decode or item.media_file is None or is_sequence(item) or total <= 0:
        for i in range(total):
            yield VideoFrame(i, "jpg")
        return
    # One frame cached: the frames are read once, in order, so a larger cache would only hold memory.
    with VideoFileFrames(item.media_file, n_frames=total, cache_frames=1) as source:
        for i in range(total):
            try:
                pixels = source.frame(i)
            except FormatError:
                return  # the container counted more frames than decode; the caller checks the annotations
            yield VideoFrame(i, "jpg", pixels=pixels)


def write_frame(frame: VideoFrame, target: Path, item: str) -> bool:
    """Write the frame's media to ``target`` (a copy of the stored file, or a JPEG of the decoded pixels).

    Returns False when the frame has no media to write; raises FormatError naming the item and frame when the
    file cannot be written.
    """
    if frame.stored is not None:
        copy_media(frame.stored, target)
        return True
    if frame.pixels is None:
        return False
    if not cv2.imwrite(str(target), frame.pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise FormatError(f"cannot write frame {frame.index} of item {item!r} to {target}", item=item)
    return True


def on_a_frame(ann: AnnotationRecord) -> bool:
    """Return True when COCO writes the annotation on a frame's image (see :func:`frame_annotations`)."""
    if ann.frame is None:
        return False
    if ann.kind is AnnotationKind.TRACK_BOX:
        return not ann.attributes.get("outside")
    return ann.kind in _ON_FRAME


def frame_annotations(rec: ItemRecord) -> dict[int, list[AnnotationRecord]]:
    """Return the item's annotations by frame, as COCO writes them on that frame's image.

    Boxes, polygons, masks and keypoints with a frame are kept as they are; a ``track_box`` becomes a ``box``
    (keeping its ``track_id`` and attributes) unless it is flagged ``outside``. Annotations without a frame,
    and other kinds, are left out.
    """
    by_frame: dict[int, list[AnnotationRecord]] = {}
    for ann in rec.annotations:
        frame = ann.frame
        if frame is None or not on_a_frame(ann):
            continue
        if ann.kind is AnnotationKind.TRACK_BOX:
            ann = dataclasses.replace(ann, kind=AnnotationKind.BOX)
        by_frame.setdefault(frame, []).append(ann)
    return by_frame


def check_frames_written(rec: ItemRecord, frames: set[int] | list[int], written: int) -> None:
    """Raise FormatError naming the item when an annotated frame is not among the ``written`` first frames."""
    beyond = sorted(f for f in frames if not 0 <= f < written)
    if beyond:
        have = f"only frames 0 to {written - 1}" if written else "no frame"
        raise FormatError(
            f"item {rec.name!r} has annotations on frame {beyond[0]}, but {have} could be written (the video "
            "decodes to fewer frames than it declares, or the frame is out of range)",
            item=rec.name,
            field="frame",
        )


class MediaFolder:
    """The media of a COCO export: images under their item names, a video's frames under ``<item name>/``.

    Built under a temporary name next to ``folder`` (which must not exist or be empty) and renamed into place
    by :meth:`commit`. Names are claimed before anything is written, so no item overwrites another's file: an
    image may not take a video's folder or lie inside one, and video folders do not nest.
    """

    def __init__(self, folder: Path) -> None:
        self._dir = AtomicDir(folder)
        self._committed = False
        self._files: set[str] = set()
        self._folders: set[str] = set()
        self._videos: set[str] = set()

    @staticmethod
    def _parents(rel: str) -> list[str]:
        return [p.as_posix() for p in PurePosixPath(rel).parents if p.as_posix() != "."]

    def _refuse(self, item: str, rel: str) -> FormatError:
        return FormatError(f"item {item!r} would overwrite another item's media at {rel!r}", item=item)

    @staticmethod
    def _check_name(name: str) -> None:
        if not is_safe_relative(name) or name == ".":
            raise FormatError(f"item name {name!r} cannot be used as a path", item=name)

    def add_image(self, name: str, media_file: Path) -> None:
        """Copy an image item's stored file to ``<name>``."""
        self._check_name(name)
        parents = self._parents(name)
        taken = (self._files, self._folders, self._videos)
        if any(name in s for s in taken) or any(p in self._files or p in self._videos for p in parents):
            raise self._refuse(name, name)
        self._files.add(name)
        self._folders.update(parents)
        copy_media(media_file, self._dir.path(name))

    def add_video(self, name: str) -> None:
        """Claim the folder ``<name>/`` for a video's frames."""
        self._check_name(name)
        parents = self._parents(name)
        taken = (self._files, self._folders, self._videos)
        if any(name in s for s in taken) or any(p in self._files or p in self._videos for p in parents):
            raise self._refuse(name, f"{name}/")
        self._videos.add(name)
        self._folders.update(parents)

    def add_frame(self, item: str, file_name: str, frame: VideoFrame) -> None:
        """Write a frame of the video ``item`` (claimed with :meth:`add_video`) to ``file_name``."""
        write_frame(frame, self._dir.path(file_name), item)

    def commit(self) -> None:
        """Move the finished folder into place."""
        self._dir.commit()
        self._committed = True

    def remove(self) -> None:
        """Delete everything written, also after :meth:`commit` (when what should have followed failed)."""
        if self._committed:
            shutil.rmtree(self._dir.dest, ignore_errors=True)
        else:
            self._dir.discard()
