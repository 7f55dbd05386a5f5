"""Video files read with OpenCV: what a file holds (frames, fps, size, codec) and single decoded frames.

``probe_video`` answers what an import needs to know without decoding the whole file when it can trust the
container: it opens the file, decodes the first frame (a file that is not a video, or whose first frame
cannot be decoded, is refused here), reads ``CAP_PROP_FRAME_COUNT`` / ``CAP_PROP_FPS`` / width / height,
and checks the container's frame count by seeking to its last frame and grabbing one past it. When that
check fails, or the container gives no count, it counts by grabbing frames from the start (grab decodes
the frame but skips the colour conversion), at most ``max_count_frames`` of them so a huge or endless
stream cannot hang an import. A file that decodes to clearly fewer frames than its container declares is
truncated or corrupt and is refused, naming the file.

``natural_key`` orders the frames of an image sequence the way a person numbers them (2.jpg before 10.jpg).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from labelhub.errors import FormatError

__all__ = [
    "DEFAULT_MAX_COUNT_FRAMES",
    "VIDEO_EXTENSIONS",
    "VideoInfo",
    "is_video",
    "natural_key",
    "open_video",
    "probe_video",
    "read_frame",
]

VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".avi", ".webm", ".mkv", ".mov"})
# Counting by grabbing stops here: about an hour at 30 fps. Beyond it the container's count is kept.
DEFAULT_MAX_COUNT_FRAMES = 100_000
# A file may decode to fewer frames than the container estimates (MKV/WebM give duration x fps) by this
# much without being called truncated: max(2 frames, 1 %).
_SHORTFALL_FRAMES = 2
_SHORTFALL_RATIO = 0.01
_DIGITS = re.compile(r"(\d+)")


def is_video(path: Path) -> bool:
    """Return True when ``path`` has a video file extension (case-insensitive)."""
    return path.suffix.lower() in VIDEO_EXTENSIONS


def natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Return a sort key that orders digit runs by their value: ``2.jpg`` before ``10.jpg``.

    Hand-written because the standard library has no natural sort; ties on value (``01`` vs ``1``) fall back
    to the text, so the order is total and stable.
    """
    return tuple(
        (0, int(part), part) if part.isdigit() else (1, 0, part.lower()) for part in _DIGITS.split(name) if part
    )


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a video file holds.

    ``fps`` is None when the container gives no usable rate. ``declared_frames`` is the container's count
    (0 when it has none); ``counted`` says the frames were counted by grabbing; ``exact`` is False only when
    counting stopped at its bound and ``frame_count`` is the container's (or the bound's) estimate.
    """

    frame_count: int
    fps: float | None
    width: int
    height: int
    codec: str
    declared_frames: int
    counted: bool = False
    exact: bool = True


def _why_not_open(path: Path) -> str:
    """Say why OpenCV could not open ``path``: a known container with a codec it lacks, or not a video at all.

    Hand-written sniffing of the first bytes (and of an AVI's stream header for its codec's FourCC), for the
    message only: OpenCV reports nothing but "not opened".
    """
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes): copy it again from where it came from"
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    container = None
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        container = "AVI"
    elif head[4:8] == b"ftyp":
        container = "MP4/MOV"
    elif head[:4] == b"\x1a\x45\xdf\xa3":
        container = "Matroska/WebM"
    if container is None:
        return "not a video OpenCV can open (unknown container, or a corrupt file)"
    if container == "MP4/MOV" and not _has_mp4_index(path):
        return (
            "an MP4/MOV file without its index (no 'moov' atom): it was cut short (an unfinished download, copy or "
            "recording); copy it again, repair it, or import its frames as images"
        )
    codec = ""
    at = head.find(b"strh")  # "strh", chunk size, fccType "vids", fccHandler: the codec
    if container == "AVI" and at >= 0 and head[at + 8 : at + 12] == b"vids":
        fourcc = head[at + 12 : at + 16].decode("latin-1")
        codec = f" (FourCC {fourcc!r})" if fourcc.isprintable() else ""
    return (
        f"an {container} file whose video codec{codec} this server's OpenCV/FFmpeg cannot decode, or a damaged "
        "header; convert it to H.264 MP4 or MJPEG AVI, or import its frames as images"
    )


def _has_mp4_index(path: Path) -> bool:
    """True when the top-level boxes of an MP4/MOV file include a whole ``moov`` (its index), header by header.

    Hand-written (ISO/IEC 14496-12 box headers: a 32-bit size, or 1 and a 64-bit size after the type, or 0 for
    "to the end"), for the error message only: a recording stopped before its end writes no ``moov``.
    """
    size = path.stat().st_size
    at = 0
    with path.open("rb") as f:
        while at + 8 <= size:
            f.seek(at)
            header = f.read(16)
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            if kind == b"moov":
                return length == 0 or at + length <= size  # whole, not cut off inside
            if length == 0 or length < 8:
                return False  # the last box runs to the end, or a broken header: no index after it
            at += length
    return False


@contextmanager
def open_video(path: Path) -> Iterator[cv2.VideoCapture]:
    """Yield an opened ``cv2.VideoCapture`` for ``path`` and release it afterwards.

    Raises FormatError naming the file when it does not exist or OpenCV cannot open it as a video.
    """
    if not path.is_file():
        raise FormatError(f"video file {path} does not exist", file=str(path))
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise FormatError(f"{path}: {_why_not_open(path)}", file=str(path))
        yield cap
    finally:
        cap.release()


def _codec(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    chars = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return chars if chars.isprintable() and chars.strip() else ""


def _grab_count(path: Path, limit: int) -> tuple[int, bool]:
    """Return how many frames can be grabbed from the start (at most ``limit``) and whether the end was reached."""
    n = 0
    with open_video(path) as cap:
        while n < limit:
            if not cap.grab():
                return n, True
            n += 1
        return n, not cap.grab()


def _tail_agrees(cap: cv2.VideoCapture, declared: int) -> bool:
    """Return True when frame ``declared - 1`` can be grabbed and no frame follows it."""
    if not cap.set(cv2.CAP_PROP_POS_FRAMES, declared - 1):
        return False
    return bool(cap.grab()) and not cap.grab()


def probe_video(path: Path, *, max_count_frames: int = DEFAULT_MAX_COUNT_FRAMES) -> VideoInfo:
    """Return frame count, fps, size and codec of the video at ``path``.

    Raises FormatError naming the file when it cannot be opened, its first frame cannot be decoded, or it
    decodes to clearly fewer frames than its container declares (truncated or corrupt).
    """
    with open_video(path) as cap:
        ok, first = cap.read()
        if not ok or first is None:
            if not cap.get(cv2.CAP_PROP_FRAME_COUNT):
                raise FormatError(f"{path}: the video has no frames", file=str(path))
            raise FormatError(f"{path}: no frame can be decoded (corrupt, or not a video)", file=str(path))
        height, width = int(first.shape[0]), int(first.shape[1])
        raw_fps = float(cap.get(cv2.CAP_PROP_FPS))
        fps = raw_fps if math.isfinite(raw_fps) and 0 < raw_fps <= 1000 else None
        raw_count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        declared = int(raw_count) if math.isfinite(raw_count) and raw_count >= 1 else 0
        codec = _codec(cap)
        if declared and _tail_agrees(cap, declared):
            return VideoInfo(declared, fps, width, height, codec, declared)
    counted, reached_end = _grab_count(path, max_count_frames)
    if not reached_end:
        # Counting stopped at its bound: keep the larger of what was seen and what the container says.
        return VideoInfo(max(counted, declared), fps, width, height, codec, declared, counted=True, exact=False)
    if declared and declared - counted > max(_SHORTFALL_FRAMES, _SHORTFALL_RATIO * declared):
        raise FormatError(
            f"{path}: truncated or corrupt, the container declares {declared} frames but only {counted} decode",
            file=str(path),
        )
    return VideoInfo(counted, fps, width, height, codec, declared, counted=True)


def read_frame(path: Path, index: int) -> npt.NDArray[np.uint8]:
    """Return frame ``index`` (0-based) of the video at ``path`` as an RGB array of shape (height, width, 3).

    Seeks with ``CAP_PROP_POS_FRAMES``; raises FormatError naming the file and frame when it cannot be read.
    """
    if index < 0:
        raise FormatError(f"frame {index} of {path} is negative", file=str(path), field="frame")
    with open_video(path) as cap:
        if index and not cap.set(cv2.CAP_PROP_POS_FRAMES, index):
            raise FormatError(f"cannot seek to frame {index} of {path}", file=str(path), field="frame")
        ok, frame = cap.read()
    if not ok or frame is None:
        raise FormatError(f"frame {index} of {path} cannot be decoded", file=str(path), field="frame")
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), dtype=np.uint8)
