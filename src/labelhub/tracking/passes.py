"""One tracking pass: from a keyframe, frame by frame forward or backward, until the next keyframe or the end.

Each frame: the Kalman filter predicts the box; if less than ``min_visible`` of the prediction is inside the
image the object has left the frame and the pass stops there (outside). Otherwise the tracker gives its box,
and the frame's *quality* is the product of

- the tracker's response (its own score where it has one, else 1 when it found the object, 0 when not),
- the agreement of its box with the filter's prediction (:meth:`BoxKalman.agreement`), and
- with ``appearance`` on, the similarity of the box's pixels to the keyframe's: the normalised cross-correlation
  (``cv2.matchTemplate``) of both patches brought to 16x16 grey, negative values counted as 0, square-rooted
  so that it does not outweigh the other two.

Above ``stop_threshold`` the tracker's box updates the filter; below it the pass coasts on the prediction, and
after ``max_coast`` such frames in a row it stops (the tracker has lost the object).

The box's *confidence* is the lowest moving average of the quality so far (a tracker that slipped once rarely
comes back), times ``0.5 ** (i / confidence_half_life)`` at ``i`` frames from the keyframe (every frame of
distance adds risk). Both were measured as predictors of the error against single-frame quality
(``docs/tracking.md``).

The tracker runs on frames resized so that its search window (the box plus the tracker's padding) is about
``window_side`` pixels: small targets are enlarged, large ones shrunk, and the cost per frame does not depend
on the video's resolution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from labelhub.tracking._boxes import Box, clip, scaled, visible_fraction
from labelhub.tracking.config import PropagationConfig
from labelhub.tracking.frames import Image, ScaledFrames
from labelhub.tracking.kalman import BoxKalman
from labelhub.tracking.trackers import TrackerSpec, get_tracker

__all__ = ["Pass", "PassBox", "StopReason", "run_pass", "tracking_scale"]

# Patches compared for appearance are brought to this size (width, height) in grey levels.
_PATCH = (16, 16)
# Weight of the newest frame in the moving average of the frame quality.
_TREND = 0.3


class StopReason(StrEnum):
    """Why a pass ended before the frame it was asked to reach."""

    LOST = "lost"
    OUTSIDE = "outside"


@dataclass(frozen=True, slots=True)
class PassBox:
    """A pass's result on one frame: the box, its confidence, and the parts the confidence is made of."""

    box: Box
    confidence: float
    response: float = 1.0
    agreement: float = 1.0
    appearance: float = 1.0
    outside: bool = False


@dataclass(frozen=True, slots=True)
class Pass:
    """Boxes from one keyframe in one direction: ``boxes[i]`` is frame ``start + step * (i + 1)``.

    ``end`` is the frame the pass was asked to reach. ``stopped`` says why it ended early, if it did: after
    ``OUTSIDE`` every frame up to ``end`` is outside (its box the last place seen), after ``LOST`` the frames
    beyond the last box are not covered.
    """

    start: int
    step: int
    key: Box
    end: int
    boxes: tuple[PassBox, ...]
    stopped: StopReason | None = None

    def at(self, frame: int) -> PassBox | None:
        """Return the pass's box on ``frame``, an outside box after it saw the object leave, or None."""
        i = (frame - self.start) * self.step - 1
        if i < 0 or (frame - self.end) * self.step > 0:
            return None
        if i < len(self.boxes):
            return self.boxes[i]
        if self.stopped is StopReason.OUTSIDE and self.boxes:
            return self.boxes[-1]
        return None

    def truncated(self, end: int) -> Pass:
        """Return this pass as if it had been asked to reach only ``end`` (nearer to the start)."""
        n = max(0, (end - self.start) * self.step)
        boxes = self.boxes[:n]
        stopped = self.stopped if len(boxes) == len(self.boxes) else None
        return Pass(self.start, self.step, self.key, end, boxes, stopped)

    def reaches(self, end: int) -> bool:
        """True when this pass was computed at least as far as ``end`` would ask, so its prefix can be reused."""
        return (end - self.end) * self.step <= 0 or self.stopped is not None


def tracking_scale(box: Box, spec: TrackerSpec, config: PropagationConfig) -> float:
    """Return the factor frames are resized by for tracking ``box``: its search window becomes ``window_side``."""
    w, h = max(box[2] - box[0], 1.0), max(box[3] - box[1], 1.0)
    window = (w + h) / 2 + spec.padding * math.sqrt(w * h)
    side = config.window_side or spec.window_side
    return ScaledFrames.snap(min(max(side / window, config.min_scale), config.max_scale))


def _patch(image: Image, box: Box) -> np.ndarray | None:
    """Return the grey patch under ``box`` resized to the comparison size, or None when it is off the image."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = clip(box, w, h)
    x1i, y1i, x2i, y2i = int(x1), int(y1), math.ceil(x2), math.ceil(y2)
    if x2i - x1i < 2 or y2i - y1i < 2:
        return None
    crop = cv2.cvtColor(image[y1i:y2i, x1i:x2i], cv2.COLOR_BGR2GRAY)
    return np.asarray(cv2.resize(crop, _PATCH, interpolation=cv2.INTER_AREA), dtype=np.float32)


def _similarity(reference: np.ndarray | None, image: Image, box: Box) -> float:
    """Return the normalised cross-correlation of the patch under ``box`` with ``reference``, clipped to [0, 1]."""
    patch = _patch(image, box)
    if reference is None or patch is None:
        return 0.0
    ncc = float(cv2.matchTemplate(patch, reference, cv2.TM_CCOEFF_NORMED)[0, 0])
    return max(0.0, ncc) if math.isfinite(ncc) else 0.0


def run_pass(
    frames: ScaledFrames,
    start: int,
    key: Box,
    end: int,
    config: PropagationConfig,
    on_frame: Callable[[], None] | None = None,
) -> Pass:
    """Return the pass that tracks ``key`` (the box on keyframe ``start``) frame by frame up to ``end``.

    ``on_frame`` is called after every tracker update (progress reporting; it may raise to stop the pass).
    """
    step = 1 if end >= start else -1
    if end == start:
        return Pass(start, step, key, end, ())
    spec = get_tracker(config.tracker)
    width, height = frames.source.size
    scale = tracking_scale(key, spec, config)
    tracker = spec.create()
    first = frames.frame(start, scale)
    tracker.init(first, scaled(key, scale))
    kalman = BoxKalman(key, config.kalman)
    reference = _patch(first, scaled(key, scale)) if config.appearance else None
    boxes: list[PassBox] = []
    coasting = 0
    stopped: StopReason | None = None
    trend = 1.0  # moving average of the frame's quality
    worst = 1.0  # lowest moving average so far: a tracker that slipped once rarely comes back
    decay = 0.5 ** (1.0 / config.confidence_half_life)
    for i, f in enumerate(range(start + step, end + step, step), 1):
        prior = kalman.predict()
        if visible_fraction(prior, width, height) < config.min_visible:
            last = boxes[-1].box if boxes else key
            boxes.append(PassBox(last, boxes[-1].confidence if boxes else 1.0, outside=True))
            stopped = StopReason.OUTSIDE
            break
        image = frames.frame(f, scale)
        result = tracker.update(image)
        if on_frame is not None:
            on_frame()
        box = scaled(result.box, 1 / scale)
        response = result.score if result.score is not None else (1.0 if result.found else 0.0)
        agreement = kalman.agreement(box)
        appearance = math.sqrt(_similarity(reference, image, result.box)) if config.appearance and result.found else 1.0
        quality = response * agreement * appearance
        trend = (1 - _TREND) * trend + _TREND * quality
        worst = min(worst, trend)
        if quality >= config.stop_threshold:
            coasting = 0
            filtered = kalman.update(box)
            out = filtered if config.smooth else box
        else:
            coasting += 1
            if coasting > config.max_coast:
                del boxes[len(boxes) - config.max_coast :]  # the coasted frames were guesses: leave them open
                stopped = StopReason.LOST
                break
            out = prior
        boxes.append(PassBox(out, worst * decay**i, response, agreement, appearance))
    return Pass(start, step, key, end, tuple(boxes), stopped)
