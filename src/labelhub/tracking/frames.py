"""Where the tracker gets its pixels: a :class:`FrameSource` gives frame ``i`` as a BGR numpy array.

Three sources: :class:`ArrayFrames` (frames already in memory: tests, or a caller that decoded them),
:class:`ImageFileFrames` (an image sequence, decoded with OpenCV, the most recent frames kept in an LRU cache)
and :class:`VideoFileFrames` (one video file read with OpenCV; reading in order decodes frame after frame,
any other index seeks first). :class:`ScaledFrames` wraps a source and gives its frames resized, for trackers
that run on a resized copy; within one propagation, passes whose targets have about the same size share them.

The caches are :class:`labelhub.tracking._lru.Lru` maps bounded in frames.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import numpy.typing as npt

from labelhub._lru import Lru
from labelhub.errors import FormatError, ValidationError

__all__ = ["ArrayFrames", "FrameSource", "Image", "ImageFileFrames", "ScaledFrames", "VideoFileFrames"]

Image = npt.NDArray[np.uint8]
"""A frame: ``height x width x 3`` unsigned bytes in OpenCV's BGR order."""

DEFAULT_CACHE_FRAMES = 256


@runtime_checkable
class FrameSource(Protocol):
    """Frames of one video by index (from 0), all of one size."""

    def __len__(self) -> int:
        """Return the number of frames."""
        ...

    @property
    def size(self) -> tuple[int, int]:
        """Return ``(width, height)`` of every frame."""
        ...

    def frame(self, index: int) -> Image:
        """Return frame ``index`` as a BGR array; raise ValidationError when the index is out of range."""
        ...


def _check_index(index: int, n: int) -> None:
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < n:
        raise ValidationError(f"frame must be in [0, {n}), got {index!r}", field="frame")


class ArrayFrames:
    """Frames already decoded, held in memory."""

    def __init__(self, frames: Sequence[Image]) -> None:
        if not frames:
            raise ValidationError("a video needs at least one frame", field="frames")
        first = frames[0]
        for i, f in enumerate(frames):
            if f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
                raise ValidationError(
                    f"frames[{i}] must be a height x width x 3 uint8 array, got shape {f.shape} {f.dtype}",
                    field=f"frames[{i}]",
                )
            if f.shape != first.shape:
                raise ValidationError(
                    f"frames[{i}] is {f.shape[1]}x{f.shape[0]}, frame 0 is {first.shape[1]}x{first.shape[0]}",
                    field=f"frames[{i}]",
                )
        self._frames = list(frames)

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def size(self) -> tuple[int, int]:
        return int(self._frames[0].shape[1]), int(self._frames[0].shape[0])

    def frame(self, index: int) -> Image:
        """Return frame ``index``."""
        _check_index(index, len(self._frames))
        return self._frames[index]


class ImageFileFrames:
    """An image sequence: one file per frame, in frame order, decoded on demand and cached."""

    def __init__(self, paths: Sequence[Path], *, cache_frames: int = DEFAULT_CACHE_FRAMES) -> None:
        if not paths:
            raise ValidationError("an image sequence needs at least one file", field="paths")
        self.paths = [Path(p) for p in paths]
        self._cache = Lru[Image](cache_frames, field="cache_frames")
        first = self.frame(0)
        self._size = (int(first.shape[1]), int(first.shape[0]))

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def frame(self, index: int) -> Image:
        """Return frame ``index``, decoding its file unless it is cached; FormatError names an unreadable file."""
        _check_index(index, len(self.paths))
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        path = self.paths[index]
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise FormatError(f"frame {index}: {path} cannot be decoded as an image", file=str(path), field="frame")
        if index and (image.shape[1], image.shape[0]) != self._size:
            w, h = self._size
            raise FormatError(
                f"frame {index}: {path} is {image.shape[1]}x{image.shape[0]}, frame 0 is {w}x{h}",
                file=str(path),
                field="frame",
            )
        frame = np.asarray(image, dtype=np.uint8)
        self._cache.put(index, frame)
        return frame


class VideoFileFrames:
    """One video file read with OpenCV: frames in order are decoded one after another, others by seeking.

    A backward pass would cost a seek per frame (a seek decodes from the codec's previous keyframe). So when a
    thread asks for an earlier frame than its last one, the ``chunk`` frames up to it are decoded in order
    and cached, and the next ``chunk - 1`` backward steps are cache hits. ``n_frames`` is the item's frame
    count when known (from the import's probe); otherwise the container's. Use it as a context manager, or
    call :meth:`close`, to release the file.
    """

    def __init__(
        self, path: Path, *, n_frames: int | None = None, cache_frames: int = DEFAULT_CACHE_FRAMES, chunk: int = 48
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FormatError(f"video file {self.path} does not exist", file=str(self.path))
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise FormatError(f"{self.path} is not a video OpenCV can open", file=str(self.path))
        declared = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._n = n_frames if n_frames is not None else declared
        if self._n <= 0:
            raise FormatError(f"{self.path} declares no frames; pass n_frames", file=str(self.path))
        self._next = 0  # the index the next plain read() returns
        self._cache = Lru[Image](cache_frames, field="cache_frames")
        self._chunk = max(1, min(chunk, cache_frames // 2))  # two passes' chunks fit in the cache at once
        self._lock = threading.Lock()  # one decoder: passes in two threads take turns
        self._last = threading.local()  # per thread (per pass): the index it asked for last
        first = self.frame(0)
        self._size = (int(first.shape[1]), int(first.shape[0]))

    def __len__(self) -> int:
        return self._n

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def frame(self, index: int) -> Image:
        """Return frame ``index``, seeking only when it is not the next one; FormatError when it cannot be read."""
        _check_index(index, self._n)
        backward = index < getattr(self._last, "index", -1)
        self._last.index = index
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        with self._lock:
            start = max(0, index - self._chunk + 1) if backward else index
            if start != self._next and not self._cap.set(cv2.CAP_PROP_POS_FRAMES, start):
                raise FormatError(f"cannot seek to frame {start} of {self.path}", file=str(self.path), field="frame")
            frame: Image | None = None
            for i in range(start, index + 1):
                ok, image = self._cap.read()
                if not ok or image is None:
                    self._next = -1  # the position is unknown now: seek next time
                    raise FormatError(f"frame {i} of {self.path} cannot be decoded", file=str(self.path), field="frame")
                frame = np.asarray(image, dtype=np.uint8)
                self._cache.put(i, frame)
            self._next = index + 1
        assert frame is not None  # the loop ran at least once: start <= index
        return frame

    def close(self) -> None:
        """Release the video file."""
        self._cap.release()

    def __enter__(self) -> VideoFileFrames:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ScaledFrames:
    """The frames of ``source`` resized by a factor, cached per (frame, factor).

    Factors are rounded to :data:`SCALE_STEPS` steps per octave so that passes whose targets have about the
    same size share resized frames.
    """

    SCALE_STEPS = 8

    def __init__(self, source: FrameSource, *, cache_frames: int = DEFAULT_CACHE_FRAMES) -> None:
        self.source = source
        self._cache = Lru[Image](cache_frames, field="cache_frames")

    @classmethod
    def snap(cls, scale: float) -> float:
        """Return ``scale`` rounded to the nearest of the factors this cache uses (powers of 2^(1/8))."""
        return float(2.0 ** (round(np.log2(scale) * cls.SCALE_STEPS) / cls.SCALE_STEPS))

    def frame(self, index: int, scale: float) -> Image:
        """Return frame ``index`` resized by ``scale`` (snapped with :meth:`snap`; 1 gives the frame itself)."""
        scale = self.snap(scale)
        if scale == 1.0:
            return self.source.frame(index)
        key = (index, scale)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        image = self.source.frame(index)
        w, h = self.source.size
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # INTER_AREA averages pixels when shrinking (no aliasing); it is slower, so enlarging uses bilinear.
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)
        self._cache.put(key, resized)
        return resized
