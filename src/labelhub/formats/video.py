"""Video files and image-sequence folders as video items; no annotations (tracking formats bring those).

A source is one video file (mp4, m4v, avi, webm, mkv, mov), or a folder: every video file below it is one
item named by its relative path, and every folder that directly holds image files is one image-sequence
item (its frames sorted naturally, ``2.jpg`` before ``10.jpg``) named by its relative path, or by the
source folder's own name when the images sit in the source folder itself. Frame count, fps and size of a
video file come from :func:`labelhub.media.video.probe_video` (OpenCV), asked only once the import allows
reading the file (a link out of the import folders is refused unopened); a sequence has one frame per image,
its size from the first frame's header (every frame must match it) and its fps from ``videos.json`` (written
by the exporter), ``-o fps=``, or :data:`DEFAULT_FPS`.

There is no geometry here, so nothing is converted at this boundary. The exporter writes the media back
in the layout the importer reads (see ``_video_export.py``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._common import absolute, image_size, is_image
from labelhub.formats._guards import storable
from labelhub.formats._video_export import MANIFEST, MANIFEST_FORMAT, VideoExporter
from labelhub.formats._video_media import probe_checked
from labelhub.formats.base import FormatImporter, ImportOptions
from labelhub.media.video import DEFAULT_MAX_COUNT_FRAMES, VIDEO_EXTENSIONS, is_video, natural_key

__all__ = ["DEFAULT_FPS", "VideoExporter", "VideoImporter", "detect"]

#: The frame rate of an image sequence (or of a video file whose container gives none) unless told otherwise.
DEFAULT_FPS = 30.0


def detect(path: Path) -> bool:
    """Return True for a video file, or a folder with a video file (or our ``videos.json``) somewhere below it.

    A folder of images alone is left to ``image_folder``; import it with ``--format video`` to get a sequence.
    """
    if path.is_file():
        return is_video(path)
    if not path.is_dir():
        return False
    if _read_manifest(path / MANIFEST) is not None:
        return True
    # Stop at the first video: a large folder need not be listed in full to be recognised.
    return any(p.is_file() and is_video(p) for p in path.rglob("*"))


def _read_manifest(path: Path) -> list[Any] | None:
    """Return the ``videos`` list of our ``videos.json`` at ``path``, or None when it is absent or not ours.

    A ``videos.json`` written by another tool is ignored rather than refused: it only ever adds sequence fps.
    """
    try:
        data = orjson.loads(path.read_bytes()) if path.is_file() else None
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("videos"), list):
        return None
    videos: list[Any] = data["videos"]
    return videos


def _positive_number(extra: dict[str, Any], key: str, *, integer: bool = False) -> float | None:
    value = extra.get(key)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0 or (integer and not number.is_integer()):
        what = "a positive whole number" if integer else "a positive number"
        raise FormatError(f"option {key} must be {what}, got {value!r}", field=key)
    return number


@dataclass(slots=True)
class _Entry:
    """One item to read: a video file, or a folder's frames."""

    name: str
    path: Path
    frames: list[Path] = field(default_factory=list)


class VideoImporter(FormatImporter):
    """Reads video files and image-sequence folders; yields one video item each, with no annotations.

    Options (``extra``): ``fps`` for image sequences and for files whose container has no usable rate;
    ``max_count_frames`` bounds counting frames by grabbing (default 100,000).
    """

    item_kind = ItemKind.VIDEO

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if not source.exists():
            raise FormatError(f"{source} does not exist", file=str(source))
        if source.is_file() and not is_video(source):
            known = ", ".join(sorted(VIDEO_EXTENSIONS))
            raise FormatError(f"{source} is not a video file (extensions: {known})", file=str(source))
        self.fps = _positive_number(options.extra, "fps")
        limit = _positive_number(options.extra, "max_count_frames", integer=True)
        self.max_count_frames = int(limit) if limit is not None else DEFAULT_MAX_COUNT_FRAMES
        self._entries: list[_Entry] | None = None
        self._manifest_fps: dict[str, float] | None = None

    def labels(self) -> list[str]:
        """Return [] : video files and sequences carry no labels."""
        return []

    def total(self) -> int | None:
        """Return the number of video files and sequence folders found."""
        return len(self._scan())

    def _scan(self) -> list[_Entry]:
        if self._entries is not None:
            return self._entries
        if self.source.is_file():
            self._entries = [_Entry(self.source.name, self.source)]
            return self._entries
        entries: list[_Entry] = []
        for dirpath, dirnames, filenames in os.walk(self.source):
            # Hidden folders (.git, .cache) hold no dataset media; symlinked folders are not followed.
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            base = Path(dirpath)
            rel = base.relative_to(self.source).as_posix()
            files = sorted((f for f in filenames if not f.startswith(".")), key=natural_key)
            frames = [base / f for f in files if is_image(Path(f))]
            if frames:
                entries.append(_Entry(self.source.name if rel == "." else rel, base, frames))
            entries.extend(_Entry(f if rel == "." else f"{rel}/{f}", base / f) for f in files if is_video(Path(f)))
        if not entries:
            raise FormatError(f"no video files or image folders in {self.source}", file=str(self.source))
        entries.sort(key=lambda e: natural_key(e.name))
        self._entries = entries
        return entries

    def _sequence_fps(self, name: str) -> tuple[float, bool]:
        """Return the fps of sequence ``name`` and whether it is the default."""
        if self._manifest_fps is None:
            self._manifest_fps = self._read_manifest()
        fps = self._manifest_fps.get(name, self.fps)
        return (fps, False) if fps is not None else (DEFAULT_FPS, True)

    def _read_manifest(self) -> dict[str, float]:
        videos = _read_manifest(self.source / MANIFEST) if self.source.is_dir() else None
        found: dict[str, float] = {}
        for v in videos or []:
            fps = v.get("fps") if isinstance(v, dict) else None
            if isinstance(fps, int | float) and not isinstance(fps, bool) and math.isfinite(fps) and fps > 0:
                found[str(v.get("name"))] = float(fps)
        return found

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield one video item per file or sequence, or Problems naming the files that cannot be read."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        for entry in self._scan():
            if entry.frames:
                yield from self._sequence(entry)
            else:
                yield from self._file(entry)

    def _file(self, entry: _Entry) -> Iterator[ItemRecord | Problem]:
        try:
            # Checked before OpenCV opens it: a link out of the import folders is refused unread.
            info = probe_checked(entry.path, max_count_frames=self.max_count_frames)
        except FormatError as exc:
            yield Problem(exc.detail, file=str(entry.path))
            return
        video: dict[str, Any] = {"codec": info.codec, "declared_frames": info.declared_frames}
        fps = info.fps
        if fps is None:
            fps = self.fps if self.fps is not None else DEFAULT_FPS
            video["fps_default"] = True
        if not info.exact:
            video["frame_count_exact"] = False
        item = ItemRecord(
            kind=ItemKind.VIDEO,
            name=entry.name,
            width=info.width,
            height=info.height,
            frame_count=info.frame_count,
            fps=fps,
            meta={"video": video},
            origin=str(entry.path),
        )
        if self.options.media != "none":
            item.media_path = absolute(entry.path)
        yield item

    def _sequence(self, entry: _Entry) -> Iterator[ItemRecord | Problem]:
        frames = entry.frames
        problems: list[Problem] = []
        try:
            width, height = image_size(frames[0])
        except FormatError as exc:
            yield Problem(exc.detail, file=str(frames[0]))
            return
        for frame in frames[1:]:
            try:
                size = image_size(frame)
            except FormatError as exc:
                problems.append(Problem(exc.detail, file=str(frame)))
                continue
            if size != (width, height):
                msg = (
                    f"frame {frame.name} of sequence {entry.name!r} is {size[0]}x{size[1]}, but its first frame "
                    f"{frames[0].name} is {width}x{height}; every frame of a sequence must have the same size"
                )
                problems.append(Problem(msg, file=str(frame)))
        if problems:
            yield from problems
            return
        fps, default = self._sequence_fps(entry.name)
        video: dict[str, Any] = {"sequence": True}
        if default:
            video["fps_default"] = True
        item = ItemRecord(
            kind=ItemKind.VIDEO,
            name=entry.name,
            width=width,
            height=height,
            frame_count=len(frames),
            fps=fps,
            meta={"video": video},
            origin=str(entry.path),
        )
        if self.options.media != "none":
            item.frame_files = [absolute(f) for f in frames]
            item.media_path = item.frame_files[0]
        yield item
