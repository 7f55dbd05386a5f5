"""The settings of a propagation, as one validated value object."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from labelhub.errors import ValidationError
from labelhub.tracking.kalman import KalmanNoise
from labelhub.tracking.trackers import get_tracker

__all__ = ["PropagationConfig"]


def _fraction(value: object, name: str, *, low: float = 0.0, high: float = 1.0) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{name} must be a number, got {value!r}", field=name)
    if not low <= value <= high:
        raise ValidationError(f"{name} must be in [{low}, {high}], got {value!r}", field=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class PropagationConfig:
    """How boxes are propagated from keyframes.

    - ``tracker``: a name from :data:`labelhub.tracking.trackers.TRACKERS`.
    - ``window_side``: the side in pixels the target's search window is scaled to before tracking (None: the
      tracker's default); frames are resized by that factor, clamped to ``[min_scale, max_scale]``.
    - ``confidence_half_life``: a pass's confidence halves every this many frames from its keyframe.
    - ``review_threshold``: a propagated frame below this confidence is marked ``needs_review``.
    - ``stop_threshold``: below this frame quality a pass does not trust the tracker and coasts on the Kalman
      prediction; after ``max_coast`` such frames in a row it stops (the frames beyond are left to the other
      pass, or marked for review).
    - ``min_visible``: the object counts as outside once less than this share of its predicted box is in the
      image; the pass stops there.
    - ``correct_drift``: spread the difference between where a pass arrives and the keyframe it arrives at
      over the segment (the tracker's motion is kept, its drift removed).
    - ``smooth``: give the Kalman filter's box rather than the tracker's raw box.
    - ``tracker_size_weight``: between two keyframes, the share of the box size that comes from the trackers;
      the rest comes from the two keyframes' sizes, interpolated geometrically. Before the first and after the
      last keyframe the size is the tracker's.
    - ``appearance``: count the similarity of the box's pixels to the keyframe's in the confidence.
    - ``surprise_weight``, ``surprise_reach``: where a pass arrives at a keyframe farther off than its
      confidence said, lower the confidence of the frames around that keyframe by up to
      ``min(1, surprise_weight * surprise)``, fading as ``exp(-distance / surprise_reach)``
      (:mod:`labelhub.tracking.surprise`; weight 0 turns it off).
    - ``workers``: passes run in this many threads (OpenCV releases the GIL while it tracks).
    """

    tracker: str = "csrt"
    window_side: int | None = None
    min_scale: float = 0.125
    max_scale: float = 2.0
    review_threshold: float = 0.5
    stop_threshold: float = 0.15
    max_coast: int = 5
    confidence_half_life: float = 50.0
    min_visible: float = 0.5
    correct_drift: bool = True
    smooth: bool = True
    tracker_size_weight: float = 0.0
    appearance: bool = True
    surprise_weight: float = 2.0
    surprise_reach: float = 3.0
    kalman: KalmanNoise = field(default_factory=KalmanNoise)
    workers: int = 2

    def __post_init__(self) -> None:
        get_tracker(self.tracker)
        if self.window_side is not None and (
            isinstance(self.window_side, bool) or not isinstance(self.window_side, int) or self.window_side < 16
        ):
            raise ValidationError(
                f"window_side must be a whole number of pixels >= 16, got {self.window_side!r}",
                field="window_side",
            )
        _fraction(self.min_scale, "min_scale", low=0.01, high=1.0)
        _fraction(self.max_scale, "max_scale", low=1.0, high=8.0)
        _fraction(self.review_threshold, "review_threshold")
        _fraction(self.stop_threshold, "stop_threshold")
        _fraction(self.min_visible, "min_visible")
        _fraction(self.tracker_size_weight, "tracker_size_weight")
        _fraction(self.confidence_half_life, "confidence_half_life", low=1.0, high=1e6)
        _fraction(self.surprise_weight, "surprise_weight", low=0.0, high=100.0)
        _fraction(self.surprise_reach, "surprise_reach", low=0.1, high=1e3)
        for name, minimum in (("max_coast", 0), ("workers", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValidationError(f"{name} must be a whole number >= {minimum}, got {value!r}", field=name)
        if not isinstance(self.kalman, KalmanNoise):
            raise ValidationError("kalman must be a KalmanNoise", field="kalman")
