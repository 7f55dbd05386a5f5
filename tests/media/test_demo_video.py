"""The demo video: 640x480 frames of shapes whose motion turns, stops and speeds up; deterministic by seed."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.errors import ValidationError
from labelhub.media.demo_video import DEMO_VIDEO_FPS, generate_demo_video


def _grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32)


def test_frames_form_one_video_item_whose_content_moves(tmp_path: Path) -> None:
    item = generate_demo_video(tmp_path, frames=40)
    assert item.kind is ItemKind.VIDEO and item.frame_count == 40 and item.fps == DEMO_VIDEO_FPS
    assert [p.name for p in item.frame_files[:2]] == ["frame_0000.jpg", "frame_0001.jpg"]
    assert item.media_path == item.frame_files[0]
    # One track is started: the square's box on frame 0, a keyframe, inside the frame.
    [key] = item.annotations
    assert (key.kind, key.label, key.frame, key.track_id) == (AnnotationKind.TRACK_BOX, "square", 0, 1)
    assert key.attributes == {"keyframe": True, "outside": False}
    x1, y1, x2, y2 = key.geometry["bbox"]
    assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 480 and 40 < x2 - x1 < 140
    with Image.open(item.frame_files[-1]) as im:
        assert im.size == (640, 480) and im.format == "JPEG"
    steps = [float(np.abs(_grey(a) - _grey(b)).mean()) for a, b in pairwise(item.frame_files)]
    assert max(steps) > 0.5  # the shapes move
    assert min(steps) < max(steps) / 2  # and not always at the same speed (they stop, then sprint)


def test_same_seed_same_frames_and_too_short_is_refused(tmp_path: Path) -> None:
    a = generate_demo_video(tmp_path / "a", frames=5, seed=3)
    b = generate_demo_video(tmp_path / "b", frames=5, seed=3)
    assert [p.read_bytes() for p in a.frame_files] == [p.read_bytes() for p in b.frame_files]
    with pytest.raises(ValidationError) as err:
        generate_demo_video(tmp_path / "c", frames=1)
    assert err.value.context["field"] == "frames"
