"""WebDataset clips: a video item cut into samples of ``clip_length`` consecutive frames, and joined back on import.

Export option ``clip_length=N`` (off by default: one sample per item). Each video item (item key ``K``, its
position in the export) becomes one sample per clip, keyed ``K_FFFFFF`` (``F`` the clip's first frame, ``%06d``),
so a WebDataset loader sees every clip as a sample of its own:

- ``K_FFFFFF.000000.<ext>`` ... the clip's frames, numbered from 0 within the clip: an image sequence's stored
  frames as they are, a video file's frames decoded with OpenCV and written as JPEG;
- ``K_FFFFFF.json``: the item's fields as in an ordinary sample (``frame_count`` is the whole video's, ``frames``
  the clip's frame members), ``clip`` = ``{"item": K, "index", "first_frame", "last_frame", "final"}`` (frames
  inclusive, absolute; ``final`` marks the video's last clip), and the annotations on the clip's frames, each
  with its absolute ``frame`` and ``clip_frame`` (the frame within the clip). Annotations without a frame go into
  every clip, with ``clip_frame`` null.

The last clip may be shorter. A video file's frames are decoded once, in order, one at a time; each is written to
a private temporary file that is deleted once its clip is in the shard, so memory stays flat whatever N is.

On import, :class:`ClipJoiner` joins the consecutive clips of one video (as the exporter writes them, across
shard boundaries too) back into one video item: the frames in order (a video file comes back as the image
sequence of its JPEG frames), the annotations of every clip, the frameless ones once. A video whose clips do not
join up (one missing, out of order, without its final clip) is a Problem naming the shard and sample.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._coco_video import check_frames_written, is_sequence, video_frames, write_frame
from labelhub.formats._export_base import frame_total
from labelhub.formats.base import ExportItem

__all__ = ["ClipJoiner", "ClipSample", "clip_length", "clip_samples"]

_OFF = frozenset({"", "0", "off", "false", "no", "none"})
_CLIP_KEY = b'"clip"'
_ITEM_KEY_RE = re.compile(r"^[^./]{1,100}$")


def clip_length(extra: dict[str, Any]) -> int | None:
    """Return the ``clip_length`` option as a positive number of frames, or None when it is off (the default)."""
    value = extra.get("clip_length")
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in _OFF) or value == 0:
        return None
    try:
        number = int(value)
        ok = number > 0 and not isinstance(value, bool) and float(value) == number
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise FormatError(
            f"option clip_length must be a positive whole number of frames, got {value!r}", field="clip_length"
        )
    return number


@dataclass(slots=True)
class ClipSample:
    """One clip: its sample key, its JSON document and its frame members ``(member name, file)`` in order."""

    key: str
    doc: dict[str, Any]
    frames: list[tuple[str, Path]] = field(default_factory=list)


def clip_samples(
    item: ExportItem,
    key: str,
    length: int,
    base: dict[str, Any],
    annotate: Callable[[AnnotationRecord], dict[str, Any]],
    workdir: Path,
) -> Generator[ClipSample, None, None]:
    """Yield the clips of a video item, each once the frame after it is known (so ``final`` is right).

    ``base`` holds the item's fields of the sample JSON; ``annotate`` turns an annotation into its JSON entry.
    Decoded frames go to temporary files in ``workdir``, removed once the clip that holds them is consumed.
    """
    rec = item.record
    if is_sequence(item) and not item.frame_files:
        raise FormatError(f"some stored frames of sequence {rec.name!r} are missing", item=rec.name)
    by_frame: dict[int, list[AnnotationRecord]] = {}
    frameless: list[AnnotationRecord] = []
    for ann in rec.annotations:
        if ann.frame is None:
            frameless.append(ann)
        else:
            by_frame.setdefault(ann.frame, []).append(ann)
    total = frame_total(item)
    frames = _frame_files(item, total, workdir)
    chunk: list[tuple[int, str, Path | None]] = []
    index = 0
    try:
        for frame in frames:
            if len(chunk) == length:
                yield _clip(key, index, chunk, base, by_frame, frameless, annotate, final=False)
                _remove(chunk, workdir)
                chunk, index = [], index + 1
            chunk.append(frame)
        written = chunk[-1][0] + 1 if chunk else 0
        check_frames_written(rec, list(by_frame), written)
        if chunk:
            yield _clip(key, index, chunk, base, by_frame, frameless, annotate, final=True)
    finally:
        _remove(chunk, workdir)
        frames.close()  # releases the video file when the export stops early


def _frame_files(item: ExportItem, total: int, workdir: Path) -> Generator[tuple[int, str, Path | None], None, None]:
    """Yield ``(frame, extension, file)`` per frame; a decoded frame is first written as JPEG into ``workdir``."""
    for frame in video_frames(item, total, decode=True):
        if frame.pixels is not None:
            path = workdir / f"{frame.index:09d}.jpg"
            write_frame(frame, path, item.record.name)
            yield frame.index, "jpg", path
        else:
            yield frame.index, frame.ext, frame.stored


def _remove(chunk: list[tuple[int, str, Path | None]], workdir: Path) -> None:
    """Delete the chunk's temporary frame files (stored frames are not ours)."""
    for _, _, path in chunk:
        if path is not None and path.parent == workdir:
            path.unlink(missing_ok=True)


def _clip(
    key: str,
    index: int,
    chunk: list[tuple[int, str, Path | None]],
    base: dict[str, Any],
    by_frame: dict[int, list[AnnotationRecord]],
    frameless: list[AnnotationRecord],
    annotate: Callable[[AnnotationRecord], dict[str, Any]],
    *,
    final: bool,
) -> ClipSample:
    first, last = chunk[0][0], chunk[-1][0]
    sample = f"{key}_{first:06d}"
    files: list[tuple[str, Path]] = []
    for i, (_, ext, path) in enumerate(chunk):
        if path is not None:
            files.append((f"{sample}.{i:06d}.{ext}", path))
    if files and len(files) != len(chunk):  # a sequence with fewer stored frames than its frame count
        name = base["name"]
        raise FormatError(f"item {name!r} has no stored file for some of its frames {first} to {last}", item=name)
    annotations = [
        {**annotate(a), "clip_frame": f - first} for f in range(first, last + 1) for a in by_frame.get(f, ())
    ]
    annotations.extend({**annotate(a), "clip_frame": None} for a in frameless)
    doc = {
        **base,
        "frames": len(files),
        "clip": {"item": key, "index": index, "first_frame": first, "last_frame": last, "final": final},
        "annotations": annotations,
    }
    return ClipSample(sample, doc, files)


def clip_workdir(parent: Path) -> tempfile.TemporaryDirectory[str]:
    """Return a private temporary folder in ``parent`` for decoded frames waiting for their clip."""
    return tempfile.TemporaryDirectory(dir=parent, prefix=".labelhub-clips-")


# --- import -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClipInfo:
    item: str
    index: int
    first: int
    last: int
    final: bool


def _int(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value < 2**31 else None


def _read_clip(raw: bytes | None) -> _ClipInfo | str | None:
    """Return the sample's clip, None for an ordinary sample, or why its ``clip`` field is wrong."""
    if raw is None or _CLIP_KEY not in raw:
        return None
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # build_record reports it
    clip = doc.get("clip") if isinstance(doc, dict) else None
    if clip is None:
        return None
    if not isinstance(clip, dict):
        return "clip must be an object"
    item, index, first, last = (
        clip.get("item"),
        _int(clip.get("index")),
        clip.get("first_frame"),
        clip.get("last_frame"),
    )
    first, last = _int(first), _int(last)
    if not isinstance(item, str) or not _ITEM_KEY_RE.match(item):
        return f"clip.item must be the item's sample key, got {item!r:.60}"
    if index is None or first is None or last is None or last < first:
        return "clip needs whole numbers index >= 0 and first_frame <= last_frame"
    if type(clip.get("final")) is not bool:
        return "clip.final must be true or false"
    return _ClipInfo(item, index, first, last, clip["final"])


@dataclass(slots=True)
class _Video:
    """The clips of one video joined so far."""

    info: _ClipInfo
    record: ItemRecord
    shard: Path
    sample: str
    with_frames: bool
    frameless: list[AnnotationRecord] = field(default_factory=list)


class ClipJoiner:
    """Joins consecutive clip samples of one video back into one video item; passes other samples through."""

    def __init__(self) -> None:
        self._video: _Video | None = None
        self._broken: tuple[str, str] | None = None  # (item key, name) of a video already reported

    def feed(
        self, shard: Path, key: str, raw: bytes | None, records: Iterable[ItemRecord | Problem]
    ) -> Iterator[ItemRecord | Problem]:
        """Take the records build_record made of sample ``key`` (its JSON ``raw``); yield what is complete."""
        clip = _read_clip(raw)
        if clip is None:
            yield from self.flush()
            yield from records
            return
        if isinstance(clip, str):
            yield Problem(f"{shard.name}: {key}.json: {clip}", file=str(shard), field=f"{key}.json: clip")
            return
        for rec in records:
            if isinstance(rec, Problem):
                yield rec
            else:
                yield from self._join(shard, key, clip, rec)

    def flush(self) -> Iterator[ItemRecord | Problem]:
        """Report a video whose final clip never came; call at the end of the source."""
        video, self._video = self._video, None
        if video is not None:
            last = video.info.last
            msg = f"the clips of video {video.record.name!r} stop at frame {last} without the final clip"
            yield self._problem(video.shard, video.sample, video.record.name, video.info.item, msg)

    def _problem(self, shard: Path, sample: str, name: str, item: str, message: str) -> Problem:
        self._broken = (item, name)
        return Problem(f"{shard.name}: {sample}.json: {message}", file=str(shard), field=f"{sample}.json: clip")

    def _join(self, shard: Path, key: str, clip: _ClipInfo, rec: ItemRecord) -> Iterator[ItemRecord | Problem]:
        video = self._video
        if video is not None and (video.info.item, video.record.name) != (clip.item, rec.name):
            yield from self.flush()
            video = None
        if self._broken == (clip.item, rec.name):
            return  # reported once already: its later clips are dropped quietly
        span = clip.last - clip.first + 1
        if rec.kind is not ItemKind.VIDEO:
            yield self._problem(shard, key, rec.name, clip.item, f"a clip must be a video sample, not {rec.kind.value}")
            return
        if rec.frame_files and len(rec.frame_files) != span:
            msg = f"clip frames {clip.first}-{clip.last} hold {len(rec.frame_files)} frame files"
            yield self._problem(shard, key, rec.name, clip.item, msg)
            return
        expected = (0, 0) if video is None else (video.info.index + 1, video.info.last + 1)
        if (clip.index, clip.first) != expected or (video is not None and video.with_frames != bool(rec.frame_files)):
            self._video = None
            msg = f"clip {clip.index} (frames {clip.first}-{clip.last}) of video {rec.name!r} does not follow " + (
                f"clip {video.info.index} (frames {video.info.first}-{video.info.last})"
                if video
                else "the video's start"
            )
            yield self._problem(shard, key, rec.name, clip.item, msg)
            return
        if video is None:  # the first clip: its frameless annotations are the video's, kept once (at the end)
            frameless = [a for a in rec.annotations if a.frame is None]
            rec.annotations = [a for a in rec.annotations if a.frame is not None]
            video = _Video(clip, rec, shard, key, bool(rec.frame_files), frameless)
        else:
            video.record.frame_files.extend(rec.frame_files)
            video.record.annotations.extend(a for a in rec.annotations if a.frame is not None)
            video.info, video.shard, video.sample = clip, shard, key
        self._video = video
        if clip.final:
            self._video = None
            done = video.record
            done.frame_count = clip.last + 1
            done.media_path = done.frame_files[0] if done.frame_files else None
            done.annotations.extend(video.frameless)
            yield done
