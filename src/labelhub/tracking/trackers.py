"""Single-object trackers behind one tiny protocol, and a registry of them by name.

The trackers are OpenCV contrib's (``opencv-contrib-python-headless``): CSRT (the default), KCF and MIL. The
wrapper around them is hand-written glue: it converts between labelhub boxes and OpenCV's integer ``x, y, w, h``
rectangles and reads the tracker's own score where OpenCV implements ``getTrackingScore`` (it returns -1 for
CSRT, KCF and MIL in OpenCV 5.1, so the response there is the tracker's found / lost flag).

Why CSRT, measured inside the whole engine with the benchmark's simulated annotator (boxes a person draws,
with oracle keyframes, until every frame has IoU >= 0.7; ``docs/tracking.md`` has the tables): CSRT needs 7
boxes on OTB Crossing and 27 on VOT bag, KCF 9 and 33 (it has no scale estimate and, at its default threshold,
loses the small pedestrian after ten frames), MIL 29 and 36 at a quarter of CSRT's speed. MOSSE and MedianFlow
(``cv2.legacy``) lost both targets on their own. KCF is 2.5x faster than CSRT, but CSRT's cost is set by its
template size, not by the frame size: with the settings in :func:`_csrt` it tracks a 640x480 video at 114-164
frames/s on one core. OpenCV's DaSiamRPN, Nano and Vit trackers need network weights that labelhub does not ship.

Each backend is registered with a :class:`TrackerSpec` that says what it can do (``estimates_scale``,
``has_score``), in a read-only mapping built here (nothing registers itself at import).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import cv2

from labelhub.errors import ValidationError
from labelhub.tracking._boxes import Box, from_xywh, to_xywh_int
from labelhub.tracking.frames import Image

__all__ = [
    "TRACKERS",
    "BoxTracker",
    "OpenCVTracker",
    "TrackerSpec",
    "TrackerStep",
    "get_tracker",
    "tracker_names",
]


@dataclass(frozen=True, slots=True)
class TrackerStep:
    """One tracker update: whether it found the object, where (in the image it was given), and its score.

    ``score`` is the tracker's own response in [0, 1] where the backend has one, else None.
    """

    found: bool
    box: Box
    score: float | None = None


class BoxTracker(Protocol):
    """A single-object tracker: started on one image and box, then asked for the box in each next image."""

    def init(self, image: Image, box: Box) -> None:
        """Start tracking ``box`` (in ``image``'s pixels) from ``image``."""
        ...

    def update(self, image: Image) -> TrackerStep:
        """Return where the object is in ``image``, the next frame in the tracking direction."""
        ...


class OpenCVTracker:
    """An OpenCV tracker (``cv2.TrackerCSRT`` and friends) as a :class:`BoxTracker`."""

    def __init__(self, create: Callable[[], Any]) -> None:
        self._create = create
        self._tracker: Any = None

    def init(self, image: Image, box: Box) -> None:
        """Create a fresh OpenCV tracker and start it on ``box``."""
        self._tracker = self._create()
        self._tracker.init(image, to_xywh_int(box))

    def update(self, image: Image) -> TrackerStep:
        """Return the OpenCV tracker's box for ``image`` and its score when it reports one."""
        if self._tracker is None:
            raise ValidationError("the tracker was not started: call init() first", field="tracker")
        found, rect = self._tracker.update(image)
        score = float(self._tracker.getTrackingScore()) if hasattr(self._tracker, "getTrackingScore") else -1.0
        return TrackerStep(bool(found), from_xywh(rect), min(score, 1.0) if score >= 0 else None)


def _csrt() -> Any:
    """Return a new OpenCV CSRT tracker with labelhub's settings."""
    params = cv2.TrackerCSRT.Params()
    # CSRT brings its search window to template_size (default 200) before it computes features: 96 costs a
    # third of the time. Fewer scale steps (5, not 33), ADMM iterations (2, not 4) and HOG channels (9 of 18),
    # and no colour-histogram segmentation mask, halve it again (4-5 ms an update at 640x480). None of these
    # made the annotator draw more boxes on our two sequences (docs/tracking.md has the measurements).
    params.template_size = 96.0
    params.number_of_scales = 5
    params.use_segmentation = False
    params.admm_iterations = 2
    params.num_hog_channels_used = 9
    return cv2.TrackerCSRT.create(params)


def _kcf() -> Any:
    """Return a new OpenCV KCF tracker with labelhub's settings."""
    params = cv2.TrackerKCF.Params()
    # The default threshold (0.5) calls the pedestrian of OTB Crossing lost after ten frames; our own
    # confidence (filter and appearance agreement) decides when to stop instead.
    params.detect_thresh = 0.2
    return cv2.TrackerKCF.create(params)


def _mil() -> Any:
    """Return a new OpenCV MIL tracker with OpenCV's settings."""
    return cv2.TrackerMIL.create(cv2.TrackerMIL.Params())


@dataclass(frozen=True, slots=True)
class TrackerSpec:
    """A tracker backend by name: how to make one, and what it can do.

    ``window_side`` is the side in pixels that the target's search window (the box plus ``padding`` times the
    square root of its area) is scaled to before tracking: the propagation resizes frames so that a target of
    any size, in a video of any resolution, costs about the same.
    """

    name: str
    factory: Callable[[], Any]
    estimates_scale: bool
    has_score: bool
    window_side: int
    padding: float
    description: str

    def create(self) -> BoxTracker:
        """Return a new, unstarted tracker of this kind."""
        return OpenCVTracker(self.factory)


TRACKERS: Mapping[str, TrackerSpec] = MappingProxyType(
    {
        "csrt": TrackerSpec(
            name="csrt",
            factory=_csrt,
            estimates_scale=True,
            has_score=False,
            window_side=128,
            padding=3.0,
            description="OpenCV CSRT: discriminative correlation filter with channel and spatial reliability",
        ),
        "kcf": TrackerSpec(
            name="kcf",
            factory=_kcf,
            estimates_scale=False,
            has_score=False,
            window_side=96,
            padding=2.5,
            description="OpenCV KCF: kernelised correlation filter, fast, fixed size",
        ),
        "mil": TrackerSpec(
            name="mil",
            factory=_mil,
            estimates_scale=False,
            has_score=False,
            window_side=96,
            padding=2.0,
            description="OpenCV MIL: multiple-instance learning, fixed size",
        ),
    }
)


def tracker_names() -> list[str]:
    """Return the names of the registered trackers."""
    return sorted(TRACKERS)


def get_tracker(name: str) -> TrackerSpec:
    """Return the tracker registered as ``name``; ValidationError (field ``tracker``) lists the known ones."""
    spec = TRACKERS.get(name)
    if spec is None:
        raise ValidationError(f"unknown tracker {name!r}; known: {', '.join(tracker_names())}", field="tracker")
    return spec
