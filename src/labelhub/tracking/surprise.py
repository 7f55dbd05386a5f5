"""Surprise at keyframes: where a person's box showed the system to be more wrong than it said, doubt the frames
around it.

A keyframe a person drew is a measured error of the system. Each pass that arrives at a keyframe (forward from
the keyframe before, backward from the keyframe after) claims a confidence there and misses the person's box by
``1 - IoU``. Its *surprise* is how much more it missed than it claimed: ``max(0, (1 - IoU) - (1 - confidence))``.
A pass that said 0.3 and missed by 0.6 is not surprising; one that said 0.9 and missed by 0.4 is. A keyframe's
surprise is the larger of its two passes'.

Where the system was surprised, its confidence is not to be trusted nearby: the object turned, deformed or was
drawn differently than the frames around it suggest. Every propagated frame's confidence is therefore lowered
by the surprise of the keyframes near it, ``confidence * (1 - penalty)`` with
``penalty = max over keyframes k of min(1, surprise_weight * surprise_k) * exp(-|t - k| / surprise_reach)``:
the frames next to a surprising keyframe rise to the top of the suggestions, across neighbouring keyframes too,
so a run of surprises keeps the person checking that stretch frame by frame while quiet stretches are left alone.
This is a local recalibration of the confidence from the errors the person's keyframes revealed, hand-written
here (no library scores tracker confidence this way). ``docs/tracking.md`` has the measurements.

The penalty reaches ``ceil(3 * surprise_reach)`` frames (beyond that it is below ``exp(-3)``, and ignored), so
an edit re-scores only the frames that close to the keyframes whose surprise it changed; the boxes of those
frames are not recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from labelhub.tracking._boxes import iou
from labelhub.tracking.config import PropagationConfig
from labelhub.tracking.passes import Pass
from labelhub.tracking.track import FrameBox, Keyframe

__all__ = ["keyframe_surprise", "reach", "rescore"]


def reach(config: PropagationConfig) -> int:
    """Return how many frames from a keyframe its surprise lowers the confidence (0 when it is off)."""
    if config.surprise_weight <= 0:
        return 0
    return math.ceil(3 * config.surprise_reach)


def keyframe_surprise(keyframes: Sequence[Keyframe], passes: Mapping[tuple[int, int], Pass]) -> dict[int, float]:
    """Return the surprise of each keyframe with a box that some pass arrives at: keyframe frame -> [0, 1].

    ``keyframes`` in frame order; ``passes`` by (keyframe, step), as :class:`~labelhub.tracking.Propagation`
    keeps them. A pass that stopped before the keyframe or saw the object leave says nothing (the arrival term
    of :mod:`labelhub.tracking.blend` already doubts its segment).
    """
    out: dict[int, float] = {}
    for i, kf in enumerate(keyframes):
        if kf.box is None:
            continue
        worst = None
        for j, step in ((i - 1, 1), (i + 1, -1)):
            if not 0 <= j < len(keyframes):
                continue
            p = passes.get((keyframes[j].frame, step))
            arrived = p.at(kf.frame) if p is not None else None
            if arrived is None or arrived.outside:
                continue
            excess = max(0.0, (1 - iou(arrived.box, kf.box)) - (1 - arrived.confidence))
            worst = excess if worst is None else max(worst, excess)
        if worst is not None:
            out[kf.frame] = worst
    return out


def _penalties(n: int, surprise: Mapping[int, float], config: PropagationConfig) -> list[float]:
    """Return each frame's penalty in [0, 1] from the keyframes' surprise."""
    out = [0.0] * n
    r = reach(config)
    for k, value in surprise.items():
        strength = min(1.0, config.surprise_weight * value)
        if strength <= 0:
            continue
        for t in range(max(0, k - r), min(n, k + r + 1)):
            out[t] = max(out[t], strength * math.exp(-abs(t - k) / config.surprise_reach))
    return out


def rescore(
    boxes: Sequence[FrameBox],
    raw: Sequence[float],
    surprise: Mapping[int, float],
    config: PropagationConfig,
    keep: Sequence[FrameBox | None] | None = None,
) -> list[FrameBox]:
    """Return ``boxes`` with every system frame's confidence ``raw[t] * (1 - penalty)``, ``needs_review`` to match.

    ``raw`` is the confidence the blend gave each frame before any surprise. Where ``keep[t]`` (the frame box a
    caller already has) carries the same state, box and resulting confidence, that object is returned
    unchanged, so a caller can tell which frames changed by identity.
    """
    penalty = _penalties(len(boxes), surprise, config)
    out: list[FrameBox] = []
    for t, fb in enumerate(boxes):
        if fb.keyframe:
            out.append(fb)
            continue
        conf = raw[t] * (1 - penalty[t])
        new = FrameBox(fb.frame, fb.state, fb.box, conf, conf < config.review_threshold, fb.source)
        old = keep[t] if keep is not None else None
        out.append(old if old is not None and old == new else new)
    return out
