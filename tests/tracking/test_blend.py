"""Blending a forward and a backward pass between two keyframes: weights, drift, missing passes."""

from __future__ import annotations

import pytest

from labelhub.tracking import BoxState, Keyframe, PropagationConfig
from labelhub.tracking._boxes import Box, to_cxcywh
from labelhub.tracking.blend import Segment, segment_boxes
from labelhub.tracking.passes import Pass, PassBox, StopReason

SIZE = (200, 100)
A: Box = (10.0, 10.0, 30.0, 30.0)
B: Box = (110.0, 10.0, 130.0, 30.0)  # keyframe 10: 100 px to the right
# Sizes from the passes alone, no drift correction: what the blending itself does.
NO_DRIFT = PropagationConfig(correct_drift=False, tracker_size_weight=1.0, workers=1)


def _pass(start: int, step: int, key: Box, end: int, x_of: dict[int, float], conf: float) -> Pass:
    """A pass whose box on frame f is the key box moved to x = x_of[f]."""
    frames = range(start + step, end + step, step)
    boxes = tuple(PassBox((x_of[f], key[1], x_of[f] + 20.0, key[3]), conf) for f in frames)
    return Pass(start, step, key, end, boxes)


def _segment() -> Segment:
    return Segment(Keyframe(0, A), Keyframe(10, B), 1, 9)


def _x(boxes: list, frame: int) -> float:
    return float(boxes[frame - 1].box[0])


# Both passes start and end on the keyframes (so no drift correction applies) but move differently on the way:
# the forward one at a steady 10 px a frame, the backward one fast at first (from frame 0) and then still.
STEADY = {f: 10.0 + 10 * f for f in range(0, 11)}
EARLY = {f: min(10.0 + 20 * f, 110.0) for f in range(0, 11)}


def test_each_pass_weighs_most_near_its_own_keyframe() -> None:
    fwd = _pass(0, 1, A, 10, STEADY, 1.0)
    bwd = _pass(10, -1, B, 0, EARLY, 1.0)
    out = segment_boxes(_segment(), fwd, bwd, SIZE, NO_DRIFT)
    # Frame 2: weights 0.8 / 0.2 -> x = 0.8 * 30 + 0.2 * 50; frame 8: 0.2 * 90 + 0.8 * 110.
    assert _x(out, 2) == pytest.approx(34.0)
    assert _x(out, 8) == pytest.approx(106.0)
    assert _x(out, 5) == pytest.approx((60.0 + 110.0) / 2)
    # Frame 5: the passes, weighing the same, do not overlap at all: confidence 0, to be reviewed.
    assert out[4].confidence == pytest.approx(0.0) and out[4].needs_review
    # Frame 1: they overlap by a third, but the backward pass weighs only 0.1: the doubt is 2 * 0.1 * 2/3.
    assert out[0].confidence == pytest.approx(1 - 0.2 * 2 / 3, abs=1e-4)


def test_confidence_moves_the_weight_to_the_surer_pass() -> None:
    fwd = _pass(0, 1, A, 10, STEADY, 0.9)
    bwd = _pass(10, -1, B, 0, EARLY, 0.1)
    out = segment_boxes(_segment(), fwd, bwd, SIZE, NO_DRIFT)
    # Frame 5: weights 0.9 * 0.5 and 0.1 * 0.5 -> x = 0.9 * 60 + 0.1 * 110 = 65.
    assert _x(out, 5) == pytest.approx(65.0, abs=1e-3)


def test_a_pass_that_misses_the_far_keyframe_loses_confidence_towards_it() -> None:
    stuck = _pass(0, 1, A, 10, {f: 10.0 for f in range(1, 11)}, 1.0)  # never moves: misses B completely
    out = segment_boxes(_segment(), stuck, None, SIZE, NO_DRIFT)
    assert [round(fb.confidence, 6) for fb in out] == [round(1 - f / 10, 6) for f in range(1, 10)]


def test_drift_is_spread_over_the_segment() -> None:
    # The forward pass moves right but lags 1 px a frame: it arrives at x = 100, 10 px short of keyframe B.
    fwd = _pass(0, 1, A, 10, {f: 10.0 + 9 * f for f in range(1, 11)}, 1.0)
    out = segment_boxes(_segment(), fwd, None, SIZE, PropagationConfig(tracker_size_weight=1.0, workers=1))
    assert [round(_x(out, f), 6) for f in range(1, 10)] == [10.0 + 10 * f for f in range(1, 10)]
    uncorrected = segment_boxes(_segment(), fwd, None, SIZE, NO_DRIFT)
    assert _x(uncorrected, 5) == pytest.approx(55.0)


def test_sizes_blend_in_log_space() -> None:
    small: Box = (0.0, 0.0, 10.0, 10.0)
    big: Box = (0.0, 0.0, 40.0, 40.0)
    seg = Segment(Keyframe(0, small), Keyframe(2, big), 1, 1)
    fwd = Pass(0, 1, small, 2, (PassBox(small, 1.0), PassBox(big, 1.0)))
    bwd = Pass(2, -1, big, 0, (PassBox(big, 1.0), PassBox(small, 1.0)))
    out = segment_boxes(seg, fwd, bwd, SIZE, NO_DRIFT)
    assert to_cxcywh(out[0].box)[2] == pytest.approx(20.0)  # the geometric mean of 10 and 40


def test_frames_no_pass_reaches_fall_back_to_the_line_marked_for_review() -> None:
    lost = Pass(0, 1, A, 10, (PassBox((20.0, 10.0, 40.0, 30.0), 0.9),), StopReason.LOST)
    out = segment_boxes(_segment(), lost, None, SIZE, NO_DRIFT)
    assert _x(out, 1) == pytest.approx(20.0) and not out[0].needs_review
    assert _x(out, 5) == pytest.approx(60.0)  # halfway along the straight line from A to B
    assert out[4].confidence == 0.0 and out[4].needs_review


def test_a_pass_that_saw_the_object_leave_makes_the_rest_outside() -> None:
    seg = Segment(Keyframe(0, A), None, 1, 9)
    edge: Box = (5.0, 10.0, 25.0, 30.0)
    left = Pass(0, 1, A, 9, (PassBox(edge, 0.8), PassBox(edge, 0.8, outside=True)), StopReason.OUTSIDE)
    out = segment_boxes(seg, left, None, SIZE, NO_DRIFT)
    assert out[0].state is BoxState.PROPAGATED
    assert [fb.state for fb in out[1:]] == [BoxState.OUTSIDE] * 8
    assert out[-1].box == edge


def test_an_outside_frame_keeps_its_last_place_inside_the_image() -> None:
    seg = Segment(Keyframe(0, A), None, 1, 4)
    edge: Box = (1.0, 10.0, 21.0, 30.0)
    past: Box = (-12.0, 10.0, 8.0, 30.0)  # the filter's prediction, half past the left edge
    left = Pass(0, 1, A, 4, (PassBox(edge, 0.8), PassBox(past, 0.8, outside=True)), StopReason.OUTSIDE)
    out = segment_boxes(seg, left, None, SIZE, NO_DRIFT)
    assert [fb.state for fb in out] == [BoxState.PROPAGATED] + [BoxState.OUTSIDE] * 3
    assert all(fb.box == (0.0, 10.0, 8.0, 30.0) for fb in out[1:])
    gone = Pass(0, 1, A, 4, (PassBox(edge, 0.8), PassBox((-30.0, 10.0, -10.0, 30.0), 0.8, outside=True)),
                StopReason.OUTSIDE)  # fmt: skip
    assert all(fb.box == edge for fb in segment_boxes(seg, gone, None, SIZE, NO_DRIFT)[1:])  # wholly out: last seen


def test_before_an_outside_keyframe_frames_no_pass_reaches_hold_the_last_place_for_review() -> None:
    seg = Segment(Keyframe(0, A), Keyframe(10, None), 1, 9)
    seen: Box = (22.0, 10.0, 42.0, 30.0)
    lost = Pass(0, 1, A, 10, (PassBox(seen, 0.9),), StopReason.LOST)
    out = segment_boxes(seg, lost, None, SIZE, NO_DRIFT)
    assert out[0].box == seen and out[0].state is BoxState.PROPAGATED
    # Visible up to the frame the person said it left (as in CVAT), where it was last seen, to be checked.
    assert all(fb.state is BoxState.PROPAGATED and fb.box == seen and fb.needs_review for fb in out[1:])


def test_between_keyframes_the_size_comes_from_the_keyframes_by_default() -> None:
    first: Box = (0.0, 0.0, 10.0, 10.0)
    last: Box = (0.0, 0.0, 160.0, 160.0)
    seg = Segment(Keyframe(0, first), Keyframe(4, last), 1, 3)
    # Both passes keep a 30-px box with its centre at (50, 50).
    wide: Box = (35.0, 35.0, 65.0, 65.0)
    fwd = Pass(0, 1, first, 4, tuple(PassBox(wide, 1.0) for _ in range(4)))
    bwd = Pass(4, -1, last, 0, tuple(PassBox(wide, 1.0) for _ in range(4)))
    config = PropagationConfig(correct_drift=False, workers=1)
    out = segment_boxes(seg, fwd, bwd, (200, 200), config)
    assert [round(float(to_cxcywh(fb.box)[2]), 6) for fb in out] == [20.0, 40.0, 80.0]  # 10 * 2^(4 s)
    assert all(to_cxcywh(fb.box)[0] == pytest.approx(50.0) for fb in out)  # the centre is still the passes'
    half = segment_boxes(seg, fwd, bwd, (200, 200), PropagationConfig(correct_drift=False, tracker_size_weight=0.5))
    assert float(to_cxcywh(half[1].box)[2]) == pytest.approx((40.0 * 30.0) ** 0.5)
