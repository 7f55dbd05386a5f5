"""Frames of stored video files, decoded on demand and cached as JPEG files next to the thumbnails.

The browser scrubs through a video one frame at a time and plays it in ranges; it asks this cache. A frame
of a video file is decoded once (OpenCV, sequential reads where it can, a seek otherwise) and kept as
``root/ab/<key>/<frame:06d>.jpg``; later requests are a file read. Image-sequence videos need none of this:
their frames are stored files already. (The tracker does not read through here: it decodes the video file
itself, see :func:`labelhub.services.frames.open_frames`.)

The open decoders are kept in a small LRU by media key (an evicted one is released when no reader holds it),
so a range of frames (or the next frame while a video plays) continues the same decoder instead of opening
the file and seeking again. Hand-written: each decoder needs its own lock, which ``functools.lru_cache``
cannot give.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import cv2

from labelhub.errors import FormatError, ValidationError
from labelhub.media.store import validate_key
from labelhub.tracking.frames import Image, VideoFileFrames

__all__ = ["FRAME_QUALITY", "FrameCache"]

FRAME_QUALITY = 90  # JPEG quality of cached frames: no visible loss, about a tenth of the raw size
_OPEN_DECODERS = 4


class _Decoder:
    """One open video file and the lock that makes its reads one at a time."""

    def __init__(self, path: Path, n_frames: int) -> None:
        self.frames = VideoFileFrames(path, n_frames=n_frames, cache_frames=2)
        self.lock = threading.Lock()


class FrameCache:
    """JPEG frames of video files by (media key, frame index), decoded on first request."""

    def __init__(self, root: Path, *, quality: int = FRAME_QUALITY, open_decoders: int = _OPEN_DECODERS) -> None:
        self.root = root
        self.quality = quality
        self._max_open = open_decoders
        self._decoders: OrderedDict[str, _Decoder] = OrderedDict()
        self._lock = threading.Lock()

    def path_for(self, key: str, index: int) -> Path:
        """Return where frame ``index`` of the video stored under ``key`` is cached (whether or not it is)."""
        key = validate_key(key)  # before the key becomes part of a path
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValidationError(f"frame must be a whole number >= 0, got {index!r}", field="frame")
        return self.root / key[:2] / key / f"{index:06d}.jpg"

    def get(self, key: str, video: Path, n_frames: int, index: int) -> Path:
        """Return the cached JPEG of frame ``index`` of ``video`` (``n_frames`` long), decoding it on a miss."""
        target = self.path_for(key, index)
        if target.exists():
            return target
        self.warm(key, video, n_frames, index, 1)
        return target

    def warm(self, key: str, video: Path, n_frames: int, start: int, count: int) -> list[Path]:
        """Decode frames ``start .. start + count - 1`` (clipped to the video) that are not cached yet, in order.

        Returns the paths of the frames in the range. Reading in order lets the decoder go frame after frame;
        only the first missing frame may cost a seek.
        """
        if not 0 <= start < n_frames:
            raise ValidationError(f"frame must be in [0, {n_frames}), got {start}", field="frame")
        stop = min(n_frames, start + max(count, 1))
        paths = [self.path_for(key, i) for i in range(start, stop)]
        missing = [i for i, p in zip(range(start, stop), paths, strict=True) if not p.exists()]
        if missing:
            decoder = self._decoder(key, video, n_frames)
            with decoder.lock:
                for i in missing:
                    self._write(paths[i - start], decoder.frames.frame(i), video, i)
        return paths

    def _decoder(self, key: str, video: Path, n_frames: int) -> _Decoder:
        with self._lock:
            found = self._decoders.get(key)
            if found is not None:
                self._decoders.move_to_end(key)
                return found
        opened = _Decoder(video, n_frames)  # outside the lock: opening a file may take a while
        with self._lock:
            current = self._decoders.setdefault(key, opened)
            self._decoders.move_to_end(key)
            while len(self._decoders) > self._max_open:
                # Not closed here: another thread may be reading from it; OpenCV releases it when collected.
                self._decoders.popitem(last=False)
        if current is not opened:
            opened.frames.close()
        return current

    def _write(self, target: Path, image: Image, video: Path, index: int) -> None:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise FormatError(f"frame {index} of {video} cannot be encoded as JPEG", file=str(video), field="frame")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".frame-", suffix=".tmp")
        done = False
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data.tobytes())
            os.replace(tmp_name, target)  # a reader never sees half a frame
            done = True
        finally:
            if not done:
                Path(tmp_name).unlink(missing_ok=True)

    def close(self) -> None:
        """Release every open video file."""
        with self._lock:
            decoders = list(self._decoders.values())
            self._decoders.clear()
        for d in decoders:
            with d.lock:
                d.frames.close()
