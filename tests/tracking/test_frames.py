"""Frame sources: arrays, image files with an LRU cache, a video file with seeking, resized copies."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from labelhub.errors import FormatError, ValidationError
from labelhub.tracking import ArrayFrames, FrameSource, ImageFileFrames, ScaledFrames, VideoFileFrames


def _frames(n: int, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    """Frame i is flat grey level 20 * i, with a white dot at x = i so frames differ in more than level."""
    out = []
    for i in range(n):
        img = np.full((size[1], size[0], 3), 20 * i % 256, np.uint8)
        img[10, i % size[0]] = 255
        out.append(img)
    return out


def test_array_frames() -> None:
    frames = ArrayFrames(_frames(3))
    assert isinstance(frames, FrameSource)
    assert len(frames) == 3 and frames.size == (64, 48)
    assert frames.frame(2)[0, 0, 0] == 40
    with pytest.raises(ValidationError) as err:
        frames.frame(3)
    assert err.value.context["field"] == "frame"


@pytest.mark.parametrize(
    ("frames", "field"),
    [([], "frames"), ([np.zeros((4, 4), np.uint8)], "frames[0]"), ([np.zeros((4, 4, 3), np.uint8),
                                                                   np.zeros((5, 4, 3), np.uint8)], "frames[1]")],
)  # fmt: skip
def test_array_frames_refuse_bad_input(frames: list[np.ndarray], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        ArrayFrames(frames)
    assert err.value.context["field"] == field


def test_image_files_are_decoded_once_while_cached(tmp_path: Path) -> None:
    paths = []
    for i, img in enumerate(_frames(5)):
        paths.append(tmp_path / f"{i}.png")
        cv2.imwrite(str(paths[-1]), img)
    frames = ImageFileFrames(paths, cache_frames=2)
    assert len(frames) == 5 and frames.size == (64, 48)
    assert frames.frame(3)[0, 0, 0] == 60
    paths[3].unlink()  # still cached: no need to read the file again
    assert frames.frame(3)[0, 0, 0] == 60
    frames.frame(0), frames.frame(1)  # pushes frame 3 out of the two-frame cache
    with pytest.raises(FormatError) as err:
        frames.frame(3)
    assert err.value.context["file"] == str(paths[3])


def test_image_files_must_share_one_size(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "0.png"), _frames(1)[0])
    cv2.imwrite(str(tmp_path / "1.png"), _frames(1, (32, 32))[0])
    frames = ImageFileFrames([tmp_path / "0.png", tmp_path / "1.png"])
    with pytest.raises(FormatError, match="32x32"):
        frames.frame(1)


def test_video_file_reads_in_order_and_seeks(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for img in _frames(12):
        writer.write(img)
    writer.release()
    with VideoFileFrames(path, cache_frames=1) as frames:
        assert len(frames) == 12 and frames.size == (64, 48)
        levels = [int(frames.frame(i)[30, 30, 0]) for i in range(12)]  # in order: no seeking
        assert levels == pytest.approx([20 * i for i in range(12)], abs=4)
        assert int(frames.frame(5)[30, 30, 0]) == pytest.approx(100, abs=4)  # back: a seek
        assert int(frames.frame(11)[30, 30, 0]) == pytest.approx(220, abs=4)  # forward: a seek


def test_video_file_read_backwards_decodes_a_chunk_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for img in _frames(12):
        writer.write(img)
    writer.release()
    with VideoFileFrames(path, cache_frames=16, chunk=4) as frames:
        frames.frame(11)
        seeks: list[float] = []
        monkeypatch.setattr(frames, "_cap", _CountingCapture(frames._cap, seeks))
        levels = [int(frames.frame(i)[30, 30, 0]) for i in range(10, -1, -1)]  # a backward pass
        assert levels == pytest.approx([20 * i for i in range(10, -1, -1)], abs=4)
        assert seeks == [7.0, 3.0, 0.0]  # one seek per chunk of 4 (7-10, 3-6, 0-2), not one per frame


class _CountingCapture:
    """Wraps a cv2.VideoCapture and records the frames it is asked to seek to."""

    def __init__(self, cap: cv2.VideoCapture, seeks: list[float]) -> None:
        self._cap, self._seeks = cap, seeks

    def set(self, prop: int, value: float) -> bool:
        if prop == cv2.CAP_PROP_POS_FRAMES:
            self._seeks.append(value)
        return bool(self._cap.set(prop, value))

    def read(self) -> tuple[bool, object]:
        ok, image = self._cap.read()
        return bool(ok), image

    def release(self) -> None:
        self._cap.release()


def test_missing_video_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as err:
        VideoFileFrames(tmp_path / "none.mp4")
    assert err.value.context["file"].endswith("none.mp4")


def test_scaled_frames_resize_and_cache() -> None:
    scaled = ScaledFrames(ArrayFrames(_frames(2, (64, 48))))
    half = scaled.frame(1, 0.5)
    assert half.shape == (24, 32, 3)
    assert scaled.frame(1, 0.5) is half
    assert scaled.frame(1, 1.0).shape == (48, 64, 3)
    assert ScaledFrames.snap(0.51) == pytest.approx(0.5)
