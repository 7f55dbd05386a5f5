"""Frames between keyframes from the passes that reach them: forward from the keyframe before, backward from the
keyframe after, blended by confidence and distance (not a straight line).

For a frame ``t`` between keyframes ``a < t < b``, at ``s = (t - a) / (b - a)`` of the way:

1. **Drift.** With ``correct_drift``, a pass that arrives at the far keyframe close to it (IoU at least
   :data:`DRIFT_MIN_IOU`) is corrected by the difference it arrives with, spread linearly over the segment
   (centre in pixels, size in log): at ``a`` the forward pass is unchanged, at ``b`` it lands on the keyframe.
   The tracker's motion stays; only its slow drift is taken out. A pass that arrives far off is not corrected:
   it lost the object somewhere.
2. **Arrival.** How far a pass missed the far keyframe (``1 - IoU`` there) lowers its confidence inside the
   segment: for a corrected pass most in the middle (``miss * 4 s (1 - s)``, it is exact at both ends), for an
   uncorrected one most at the far end (``miss * s``).
3. **Weights.** The forward box weighs ``confidence_f * (1 - s)``, the backward box ``confidence_b * s``:
   each pass is trusted most near its own keyframe and where it is sure.
4. **Blend.** Centres are averaged with those weights, sizes averaged in log. Between two keyframes the size
   is then taken ``1 - tracker_size_weight`` from the keyframes' sizes, interpolated geometrically (default:
   all of it): on both of our sequences CSRT's scale estimate made the boxes worse than the keyframes' sizes
   did (docs/tracking.md), while its centre is what beats the straight line.
5. **Confidence.** The weighted confidence of the two passes, lowered by their disagreement ``1 - IoU``
   counted as much as the lesser of the two weighs: where the passes disagree and both count, at least one of
   them is wrong; where one pass clearly dominates (near its keyframe), the other's opinion matters little.

Where only one pass has the object, its box counts, with half its confidence when the other pass saw the
object leave the image. Where both saw it leave (or one did and the other stopped), the frame is outside.
Where neither pass reaches (both lost the object), the box is the straight line between the keyframes with
confidence 0, marked for review. Before the first keyframe and after the last there is only one pass, and its
confidence is the frame's. Boxes are clipped to the image; one with less than ``min_visible`` of it inside
is outside, and keeps the last place seen (clipped too). After a keyframe a person marked outside, up to the next
keyframe, the object is outside (no pass runs there), as in CVAT; before such a keyframe, frames no pass reaches
hold the last place known, visible and marked for review.
"""

from __future__ import annotations

from dataclasses import dataclass

from labelhub.domain.enums import Source
from labelhub.tracking._boxes import (
    Box,
    FloatArray,
    blend,
    clip,
    difference,
    from_cxcywh,
    iou,
    lerp,
    shift,
    to_cxcywh,
    visible_fraction,
)
from labelhub.tracking.config import PropagationConfig
from labelhub.tracking.passes import Pass, PassBox
from labelhub.tracking.track import BoxState, FrameBox, Keyframe

__all__ = ["DRIFT_MIN_IOU", "Segment", "keyframe_box", "segment_boxes"]

# A pass that lands on the far keyframe with less overlap than this lost the object on the way: no correction.
DRIFT_MIN_IOU = 0.3
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Segment:
    """The frames ``first..last`` (inclusive) between two keyframes (None before the first or after the last)."""

    before: Keyframe | None
    after: Keyframe | None
    first: int
    last: int


def keyframe_box(kf: Keyframe, last_place: Box | None) -> FrameBox:
    """Return a person's keyframe as a frame box (an outside keyframe keeps ``last_place``)."""
    if kf.box is None:
        return FrameBox(kf.frame, BoxState.OUTSIDE, last_place, 1.0, source=Source.HUMAN)
    return FrameBox(kf.frame, BoxState.KEYFRAME, kf.box, 1.0, source=Source.HUMAN)


@dataclass(frozen=True, slots=True)
class _Arrival:
    """How a pass arrived at the keyframe at the far end of its segment.

    ``iou``: its box there against the keyframe's (0 when it did not get there); ``drift``: the correction
    ``[dcx, dcy, dlog_w, dlog_h]`` that takes its box onto the keyframe, when it is applied.
    """

    iou: float
    drift: FloatArray | None


def _arrival(p: Pass | None, target: Keyframe | None, config: PropagationConfig) -> _Arrival | None:
    """Return how ``p`` arrived at ``target``, or None when there is no far keyframe with a box."""
    if p is None or target is None or target.box is None:
        return None
    arrived = p.at(target.frame)
    if arrived is None or arrived.outside:
        return _Arrival(0.0, None)
    overlap = iou(arrived.box, target.box)
    drift = difference(target.box, arrived.box) if config.correct_drift and overlap >= DRIFT_MIN_IOU else None
    return _Arrival(overlap, drift)


def _placed(pb: PassBox, arrival: _Arrival | None, share: float) -> tuple[Box, float]:
    """Return a pass's box corrected for drift at ``share`` of the way to the far keyframe, and its confidence.

    The confidence drops by the pass's miss at the far keyframe: a corrected pass is exact at both ends, so the
    doubt peaks mid-way (``4 s (1 - s)``); an uncorrected one is worst at the far end (``s``).
    """
    if arrival is None:
        return pb.box, pb.confidence
    miss = 1 - arrival.iou
    if arrival.drift is None:
        return pb.box, pb.confidence * (1 - miss * share)
    return shift(pb.box, arrival.drift * share), pb.confidence * (1 - miss * 4 * share * (1 - share))


def _sized(fb: FrameBox, a: Box | None, b: Box | None, s: float, weight: float) -> FrameBox:
    """Return ``fb`` with its size taken ``1 - weight`` from the keyframes' sizes, interpolated geometrically."""
    if a is None or b is None or fb.box is None or weight >= 1:
        return fb
    c, ca, cb = to_cxcywh(fb.box), to_cxcywh(a), to_cxcywh(b)
    w = (ca[2] ** (1 - s) * cb[2] ** s) ** (1 - weight) * c[2] ** weight
    h = (ca[3] ** (1 - s) * cb[3] ** s) ** (1 - weight) * c[3] ** weight
    return FrameBox(fb.frame, fb.state, from_cxcywh([c[0], c[1], w, h]), fb.confidence, fb.needs_review)


def segment_boxes(
    seg: Segment, forward: Pass | None, backward: Pass | None, size: tuple[int, int], config: PropagationConfig
) -> list[FrameBox]:
    """Return the frame boxes of ``seg`` from its forward pass (from ``seg.before``) and backward pass."""
    width, height = size
    lo = seg.before.frame if seg.before is not None else seg.first - 1
    hi = seg.after.frame if seg.after is not None else seg.last + 1
    arrival_f = _arrival(forward, seg.after, config)
    arrival_b = _arrival(backward, seg.before, config)
    out: list[FrameBox] = []
    last_place: Box | None = seg.before.box if seg.before is not None else None
    for t in range(seg.first, seg.last + 1):
        f = forward.at(t) if forward is not None else None
        b = backward.at(t) if backward is not None else None
        fb = _frame(seg, t, lo, hi, f, b, arrival_f, arrival_b, last_place, config)
        if fb.box is not None and fb.state is BoxState.PROPAGATED and seg.before is not None and seg.after is not None:
            fb = _sized(fb, seg.before.box, seg.after.box, (t - lo) / (hi - lo), config.tracker_size_weight)
        if fb.box is not None and fb.state is BoxState.OUTSIDE:
            # The place kept for an outside frame is where the object was last seen, inside the image.
            box = clip(fb.box, width, height)
            fb = FrameBox(t, fb.state, box if box[2] - box[0] >= 1 and box[3] - box[1] >= 1 else last_place,
                          fb.confidence, fb.needs_review)  # fmt: skip
        elif fb.box is not None:
            box = clip(fb.box, width, height)
            if (
                visible_fraction(fb.box, width, height) < config.min_visible
                or box[2] - box[0] < 1
                or box[3] - box[1] < 1
            ):
                fb = FrameBox(t, BoxState.OUTSIDE, last_place, fb.confidence, fb.confidence < config.review_threshold)
            else:
                fb = FrameBox(t, fb.state, box, fb.confidence, fb.needs_review)
                last_place = box
        out.append(fb)
    return out


def _frame(
    seg: Segment,
    t: int,
    lo: int,
    hi: int,
    f: PassBox | None,
    b: PassBox | None,
    arrival_f: _Arrival | None,
    arrival_b: _Arrival | None,
    last_place: Box | None,
    config: PropagationConfig,
) -> FrameBox:
    """Return frame ``t`` from the forward box ``f`` and the backward box ``b`` (either may be missing)."""
    span = hi - lo
    review = config.review_threshold
    seen_f = f if f is not None and not f.outside else None
    seen_b = b if b is not None and not b.outside else None
    if seen_f is not None and seen_b is not None:
        box_f, conf_f = _placed(seen_f, arrival_f, (t - lo) / span)
        box_b, conf_b = _placed(seen_b, arrival_b, (hi - t) / span)
        w_f = conf_f * (hi - t) / span + _EPS
        w_b = conf_b * (t - lo) / span + _EPS
        share_f, share_b = w_f / (w_f + w_b), w_b / (w_f + w_b)
        # Disagreement counts as much as the lesser pass weighs: nothing when one pass clearly dominates.
        doubt = 2 * min(share_f, share_b) * (1 - iou(box_f, box_b))
        conf = (share_f * conf_f + share_b * conf_b) * (1 - doubt)
        return FrameBox(t, BoxState.PROPAGATED, blend([box_f, box_b], [w_f, w_b]), conf, conf < review)
    if seen_f is not None:
        box, conf = _placed(seen_f, arrival_f, (t - lo) / span)
        conf *= 0.5 if b is not None else 1.0  # b can only be an outside box here
        return FrameBox(t, BoxState.PROPAGATED, box, conf, conf < review)
    if seen_b is not None:
        box, conf = _placed(seen_b, arrival_b, (hi - t) / span)
        conf *= 0.5 if f is not None else 1.0
        return FrameBox(t, BoxState.PROPAGATED, box, conf, conf < review)
    left = f if f is not None else b  # both missing, or outside
    if left is not None:
        return FrameBox(t, BoxState.OUTSIDE, left.box, left.confidence, left.confidence < review)
    return _unreached(seg, t, lo, span, last_place)


def _unreached(seg: Segment, t: int, lo: int, span: int, last_place: Box | None) -> FrameBox:
    """Return frame ``t`` when no pass reaches it: the straight line between the keyframes, to be reviewed."""
    a_box = seg.before.box if seg.before is not None else None
    b_box = seg.after.box if seg.after is not None else None
    if a_box is not None and b_box is not None:
        return FrameBox(t, BoxState.PROPAGATED, lerp(a_box, b_box, (t - lo) / span), 0.0, True)
    if (seg.before is not None and seg.before.box is None) or (seg.after is not None and seg.after.box is None and
                                                              seg.before is None):  # fmt: skip
        # After a keyframe a person marked outside, up to the next keyframe (or before the first keyframe, when it
        # is outside): the object stays out of view, as the person said (as in CVAT); nothing to check.
        return FrameBox(t, BoxState.OUTSIDE, last_place, 1.0, False)
    # No pass got here: the last place known is held, visible (before an outside keyframe too, as in CVAT, up to
    # the frame the person said it left), and marked for review.
    known: Box | None = b_box if b_box is not None else last_place
    if a_box is not None:  # forward from a keyframe: where the object was last seen on the way
        known = last_place if last_place is not None else a_box
    return FrameBox(t, BoxState.PROPAGATED, known, 0.0, True)
