"""A track as the editor reads it: per frame a state, a box and a confidence, over the track's own frames.

Built from the track's boxes (:func:`labelhub.services.track_boxes.track_boxes`), with the frames to
check next (:func:`labelhub.tracking.suggest.suggest_among`, ranked from the track's own boxes only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import Source
from labelhub.services import track_attributes as ta
from labelhub.services.track_boxes import TrackBox
from labelhub.services.track_rows import is_keyframe
from labelhub.tracking import BoxState, FrameBox
from labelhub.tracking._boxes import as_box
from labelhub.tracking.suggest import suggest_among

__all__ = ["BOX_DECIMALS", "CONFIDENCE_DECIMALS", "SUGGESTIONS", "TrackView", "track_view"]

SUGGESTIONS = 10
# What the editor is sent: boxes to a hundredth of a pixel and confidences to a thousandth. A tracker's boxes are
# stored with a float's 17 digits, which made up half of a crowded video's answer and mean nothing on screen.
BOX_DECIMALS = 2
CONFIDENCE_DECIMALS = 3


@dataclass(frozen=True, slots=True)
class TrackView:
    """One track as the editor draws it: a state character, a box and a confidence per frame from ``start``.

    ``states``: ``k`` keyframe with a box, ``x`` keyframe marked outside, ``p`` propagated, ``o`` outside
    (the system saw the object leave), ``-`` nothing yet. ``states``, ``boxes`` and ``confidence`` cover the
    frames ``start`` to ``start + len(states) - 1``, from the track's first box to its last (:meth:`whole`: every
    frame of the video); ``keyframes``, ``review`` and ``suggested`` are frame numbers of the video.
    ``attributes``: the declared values all its boxes share; ``attributes_mixed``: the declared names whose boxes
    differ (see :mod:`labelhub.services.track_attributes`). ``frame_attributes``: per declared per-frame attribute
    of its class, its value on each frame from ``start`` (None: unset, or no box there; see
    :mod:`labelhub.services.track_frame_values`).
    """

    track_id: int
    label: str
    frame_count: int
    keyframes: list[int]
    states: str
    boxes: list[list[float] | None]
    confidence: list[float | None]
    review: list[int]
    suggested: list[int]
    attributes: dict[str, Any]
    attributes_mixed: list[str]
    start: int = 0
    frame_attributes: dict[str, list[Any]] = field(default_factory=dict)

    def whole(self) -> TrackView:
        """Return this view with one entry per frame of the video (``start`` 0)."""
        before, after = self.start, self.frame_count - self.start - len(self.states)
        if before == 0 and after == 0:
            return self
        return replace(self, states="-" * before + self.states + "-" * after, start=0,
                       boxes=[None] * before + self.boxes + [None] * after,
                       confidence=[None] * before + self.confidence + [None] * after,
                       frame_attributes={k: [None] * before + v + [None] * after
                                         for k, v in self.frame_attributes.items()})  # fmt: skip


def track_view(track_id: int, rows: Sequence[TrackBox], n: int, specs: Sequence[AttributeSpec]) -> TrackView:
    """The track's view over its own frames (``start`` = its first box's frame)."""
    kept: list[tuple[int, bool, bool, bool, float, list[Any] | None]] = []
    for r in rows:
        f = r.frame
        if f is None or not 0 <= f < n:
            continue  # a box on a frame the video does not have (a damaged import): not drawable
        attrs = r.attributes or {}
        key = is_keyframe(r.source, attrs)
        score = 1.0 if key else float(r.score) if r.score is not None else 0.0
        bbox = r.bbox if isinstance(r.bbox, list) and len(r.bbox) == 4 else None
        kept.append((f, key, bool(attrs.get("outside")), bool(attrs.get("needs_review")), score, bbox))
    start = min((k[0] for k in kept), default=0)
    size = max((k[0] for k in kept), default=-1) - start + 1
    states = ["-"] * size
    boxes: list[list[float] | None] = [None] * size
    conf: list[float | None] = [None] * size
    review: list[int] = []
    # Rounded for the answer in one numpy call each: round() per value took a third of a crowded video's answer.
    given = np.asarray([k[5] for k in kept if k[5] is not None], dtype=np.float64).reshape(-1, 4)
    rounded: list[list[float]] = np.round(given, BOX_DECIMALS).tolist()
    scores: list[float] = np.round(np.asarray([k[4] for k in kept]), CONFIDENCE_DECIMALS).tolist()
    engine: dict[int, FrameBox] = {}  # the track's boxes by frame (a later row on a frame wins, as it is drawn)
    next_box = iter(rounded)
    for (f, key, outside, flagged, score, bbox), shown in zip(kept, scores, strict=True):
        box = next(next_box) if bbox is not None else None
        boxes[f - start] = box
        states[f - start] = ("x" if outside else "k") if key else ("o" if outside else "p")
        conf[f - start] = None if key else shown
        if flagged and not key:
            review.append(f)
        engine[f] = FrameBox(
            f,
            BoxState.OUTSIDE if outside else (BoxState.KEYFRAME if key else BoxState.PROPAGATED),
            as_box(box) if box is not None else None,
            score,
            flagged,
            Source.HUMAN if key else Source.MODEL,
        )
    suggested: list[int] = []
    if any(s in "po" for s in states):
        # A frame without a box of the track (outside an imported track's span, or not propagated yet) holds nothing
        # of the system's to check: settled, so it is never suggested; only the track's own boxes are ranked.
        suggested = [s.frame for s in suggest_among(list(engine.values()), n, SUGGESTIONS)]
    keyframes = [start + i for i, s in enumerate(states) if s in "kx"]
    values, mixed = ta.shared_values(specs, (r.attributes for r in rows))
    label = rows[0].label or ""
    on_frames = ((r.frame - start, r.attributes) for r in rows if r.frame is not None and 0 <= r.frame < n)
    per_frame: dict[str, list[Any]] = ta.frame_values(on_frames, size, ta.mutable_names(specs, label))
    return TrackView(track_id, label, n, keyframes, "".join(states), boxes, conf, review, suggested, values, mixed,
                     start, per_frame)  # fmt: skip
