"""The video exporter: each video item's media back in the folder layout the ``video`` importer reads.

A video file item is copied to ``DEST/<item name>``; an image sequence to ``DEST/<item name>/000000.<ext>``,
``000001.<ext>``, ... (frame numbers from 0, the extension read from each frame's header). ``videos.json``
lists every item with its kind, fps, frame count and size, so a sequence's fps survives the round trip.
Annotations are not written (the tally counts every one as left out): tracks leave through the tracking formats
(or ``webdataset``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, copy_media, is_safe_relative
from labelhub.formats._export_base import FolderExporter
from labelhub.formats._media_names import media_extension
from labelhub.formats.base import ExportItem, ExportOptions

MANIFEST = "videos.json"
MANIFEST_FORMAT = "labelhub-video"


class VideoExporter(FolderExporter):
    """Copies every video item's file or frames into a folder and writes ``videos.json``; needs stored media."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._videos: list[dict[str, Any]] = []
        self._files: set[str] = {MANIFEST}
        self._folders: set[str] = set()
        self._sequences: set[str] = set()

    def _claim(self, rel: str, item: str) -> str:
        """Return ``rel`` once it is known to clash with no file or folder written before."""
        parents = [p.as_posix() for p in PurePosixPath(rel).parents if p.as_posix() != "."]
        if rel in self._files or rel in self._folders or any(p in self._files for p in parents):
            raise FormatError(f"item {item!r} would overwrite another item's file at {rel!r}", item=item)
        self._files.add(rel)
        self._folders.update(parents)
        return rel

    def write(self, item: ExportItem) -> None:
        """Copy the item's video file, or its frames, into place."""
        out = self._opened("write")
        rec = item.record
        if rec.kind is not ItemKind.VIDEO:
            raise FormatError(
                f"item {rec.name!r} is a {rec.kind.value} item; the video format holds videos", item=rec.name
            )
        if not is_safe_relative(rec.name) or rec.name in (".", MANIFEST):
            raise FormatError(f"item name {rec.name!r} cannot be used as a path", item=rec.name)
        entry: dict[str, Any] = {
            "name": rec.name,
            "fps": rec.fps,
            "frame_count": rec.frame_count,
            "width": rec.width,
            "height": rec.height,
        }
        if item.frame_files:
            entry["kind"] = "sequence"
            if rec.name in self._sequences or rec.name in self._files:
                raise FormatError(f"item {rec.name!r} would overwrite another item at {rec.name!r}", item=rec.name)
            self._sequences.add(rec.name)
            for i, frame in enumerate(item.frame_files):
                target = self._claim(f"{rec.name}/{i:06d}.{media_extension('', frame)}", rec.name)
                copy_media(frame, out.path(target))
        elif isinstance(rec.meta.get("frames"), list):
            raise FormatError(f"some stored frames of sequence {rec.name!r} are missing", item=rec.name)
        elif item.media_file is not None:
            entry["kind"] = "file"
            copy_media(item.media_file, out.path(self._claim(rec.name, rec.name)))
        else:
            raise FormatError(f"item {rec.name!r} has no stored video to export", item=rec.name)
        self._videos.append(entry)
        self.tally.count(rec.annotations, lambda _a: False)

    def _complete(self, out: AtomicDir) -> None:
        """Write ``videos.json``."""
        manifest = {"format": MANIFEST_FORMAT, "videos": self._videos}
        out.path(MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
