"""The real OTB-2015 Crossing sequence (../shared/data): one keyframe beats the straight line between two."""

from __future__ import annotations

import re

from tests.conftest import data_path

from labelhub.tracking import ImageFileFrames, Keyframe, PropagationConfig, interpolate, propagate
from labelhub.tracking._boxes import Box, iou


def _otb_boxes(text: str) -> list[Box]:
    """OTB ground truth: x, y, w, h per line, 1-based pixels, as labelhub boxes."""
    out: list[Box] = []
    for line in text.splitlines():
        if line.strip():
            x, y, w, h = (float(v) for v in re.split(r"[,\s]+", line.strip()))
            out.append((x - 1, y - 1, x - 1 + w, y - 1 + h))
    return out


def test_one_keyframe_on_otb_crossing_beats_interpolating_between_first_and_last() -> None:
    root = data_path("tracking_otb_crossing")
    truth = _otb_boxes((root / "groundtruth_rect.txt").read_text())
    frames = ImageFileFrames(sorted((root / "img").glob("*.jpg")))
    assert len(frames) == len(truth) == 120

    tracked = propagate(frames, [Keyframe(0, truth[0])], label="person", config=PropagationConfig()).track
    line = interpolate(120, [Keyframe(0, truth[0]), Keyframe(119, truth[119])], size=frames.size)

    def mean_iou(boxes: list[Box | None]) -> float:
        return sum(iou(b, t) if b is not None else 0.0 for b, t in zip(boxes, truth, strict=True)) / len(truth)

    ours = mean_iou([fb.box if fb.visible else None for fb in tracked.boxes])
    baseline = mean_iou([fb.box for fb in line.boxes])
    assert ours > baseline + 0.1, f"propagation {ours:.3f} vs interpolation {baseline:.3f}"
    assert all(fb.visible for fb in tracked.boxes)  # the pedestrian stays in view
