"""Propagation over synthetic moving squares: accuracy, re-propagation of only the affected segments, outside."""

from __future__ import annotations

import pytest
from tests.tracking._scenes import moving_square

from labelhub.errors import ValidationError
from labelhub.tracking import (
    BoxState,
    Keyframe,
    PropagationConfig,
    propagate,
    remove_keyframe,
    set_keyframe,
    suggest_frames,
)
from labelhub.tracking._boxes import iou

CONFIG = PropagationConfig(workers=1)


def test_one_keyframe_follows_the_square_forward_and_backward() -> None:
    scene = moving_square(30)
    result = propagate(scene.frames, [Keyframe(10, scene.boxes[10])], label="car", config=CONFIG)
    track = result.track
    assert len(track) == 30 and track.label == "car"
    assert track.boxes[10].state is BoxState.KEYFRAME and track.boxes[10].keyframe
    overlaps = [iou(fb.box, truth) for fb, truth in zip(track.boxes, scene.boxes, strict=True) if fb.box]
    assert min(overlaps) > 0.8
    assert all(fb.state is BoxState.PROPAGATED for i, fb in enumerate(track.boxes) if i != 10)
    assert all(0.0 <= fb.confidence <= 1.0 for fb in track.boxes)


def test_propagation_follows_a_turn_that_interpolation_cuts() -> None:
    # Right for 15 frames, then down: the straight line between the ends misses the corner by ~20 px.
    def path(i: int) -> tuple[float, float]:
        return (20.0 + 3.0 * min(i, 15), 20.0 + 3.0 * max(0, i - 15))

    scene = moving_square(31, path=path)
    kfs = [Keyframe(0, scene.boxes[0]), Keyframe(30, scene.boxes[30])]
    track = propagate(scene.frames, kfs, config=CONFIG).track
    corner = track.boxes[15]
    assert corner.box is not None and iou(corner.box, scene.boxes[15]) > 0.7


def test_set_keyframe_recomputes_only_the_segments_next_to_it() -> None:
    scene = moving_square(40)
    first = propagate(scene.frames, [Keyframe(f, scene.boxes[f]) for f in (0, 10, 30, 39)], config=CONFIG)
    edited = set_keyframe(first, scene.frames, Keyframe(20, scene.boxes[20]))
    assert edited.changed == (11, 29)
    for f in [*range(0, 11), *range(30, 40)]:
        assert edited.track.boxes[f] is first.track.boxes[f], f"frame {f} outside the segment changed"
    assert edited.track.boxes[20].state is BoxState.KEYFRAME
    # Only the two passes that start at the new keyframe ran; 10 -> 20 and 30 -> 20 were cut from old passes.
    assert edited.tracked_frames == (20 - 10) + (30 - 20)
    assert [kf.frame for kf in edited.keyframes] == [0, 10, 20, 30, 39]


def test_editing_an_existing_keyframe_moves_it_and_reruns_its_passes() -> None:
    scene = moving_square(30)
    first = propagate(scene.frames, [Keyframe(0, scene.boxes[0]), Keyframe(29, scene.boxes[29])], config=CONFIG)
    x1, y1, x2, y2 = scene.boxes[29]
    moved = set_keyframe(first, scene.frames, Keyframe(29, (x1 - 2, y1 - 2, x2 - 2, y2 - 2)))
    assert moved.track.boxes[29].box == (x1 - 2, y1 - 2, x2 - 2, y2 - 2)
    assert moved.track.boxes[0] is first.track.boxes[0]
    assert moved.tracked_frames == 29  # the backward pass from 29 again; the forward one from 0 is reused


def test_remove_keyframe_merges_the_two_segments() -> None:
    scene = moving_square(30)
    kfs = [Keyframe(f, scene.boxes[f]) for f in (0, 15, 29)]
    first = propagate(scene.frames, kfs, config=CONFIG)
    removed = remove_keyframe(first, scene.frames, 15)
    assert [kf.frame for kf in removed.keyframes] == [0, 29]
    assert removed.track.boxes[15].state is BoxState.PROPAGATED
    assert removed.changed == (1, 28)
    with pytest.raises(ValidationError) as err:
        remove_keyframe(removed, scene.frames, 15)
    assert err.value.context["field"] == "frame"


def test_object_leaving_the_frame_becomes_outside() -> None:
    # Moves right 6 px a frame out of a 160-px-wide image: fully gone from about frame 24.
    scene = moving_square(32, path=lambda i: (10.0 + 6.0 * i, 40.0))
    track = propagate(scene.frames, [Keyframe(0, scene.boxes[0])], config=CONFIG).track
    states = [fb.state for fb in track.boxes]
    assert states[:15] == [BoxState.KEYFRAME] + [BoxState.PROPAGATED] * 14
    assert states[-5:] == [BoxState.OUTSIDE] * 5
    gone = states.index(BoxState.OUTSIDE)
    assert 18 <= gone <= 26
    assert all(s is BoxState.OUTSIDE for s in states[gone:])
    assert track.boxes[-1].box is not None  # an outside frame keeps the last place seen
    # ... inside the image, as every stored box must be (a box past the edge fails the export's re-import).
    width, height = scene.frames.size
    for fb in track.boxes:
        assert fb.box is not None
        x1, y1, x2, y2 = fb.box
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, (fb.frame, fb.state, fb.box)


def test_outside_keyframe_starts_no_pass_and_bounds_the_track() -> None:
    scene = moving_square(20)
    kfs = [Keyframe(0, scene.boxes[0]), Keyframe(12, None)]
    result = propagate(scene.frames, kfs, config=CONFIG)
    states = [fb.state for fb in result.track.boxes]
    assert states[12] is BoxState.OUTSIDE and result.track.boxes[12].keyframe
    assert all(s is BoxState.OUTSIDE for s in states[13:])
    assert all(s is BoxState.PROPAGATED for s in states[1:12])
    assert [kf.frame for kf in result.keyframes] == [0, 12] and result.keyframes[1].outside
    # The person said the object left: the frames after stay out of view, at its last place, with nothing to check
    # (they were left without a box, so not stored, and suggested for review).
    after = result.track.boxes[13:]
    assert all(fb.box == result.track.boxes[11].box and fb.confidence == 1.0 and not fb.needs_review for fb in after)
    assert {r.frame for r in result.track.to_records(track_id=1)} == set(range(20))
    assert all(s.frame <= 12 for s in suggest_frames(result.track, 5))


def test_after_an_outside_keyframe_the_object_stays_out_of_view_until_the_next_keyframe() -> None:
    # As in CVAT: the person said the object left at 8 and drew it again at 14; nothing is tracked in between.
    scene = moving_square(20)
    kfs = [Keyframe(0, scene.boxes[0]), Keyframe(8, None), Keyframe(14, scene.boxes[14])]
    result = propagate(scene.frames, kfs, config=CONFIG)
    boxes = result.track.boxes
    assert [fb.state for fb in boxes[9:14]] == [BoxState.OUTSIDE] * 5
    assert all(fb.confidence == 1.0 and not fb.needs_review and fb.box == boxes[7].box for fb in boxes[9:14])
    assert all(fb.state is BoxState.PROPAGATED for fb in [*boxes[1:8], *boxes[15:]])
    assert (14, -1) not in result.passes  # no backward pass into the stretch the person said is out of view
    assert all(s.frame not in range(8, 15) for s in suggest_frames(result.track, 10, min_gap=1))


def test_low_confidence_frames_are_marked_for_review() -> None:
    # Past frame 10 the square jumps to the other side: the tracker cannot follow it.
    def path(i: int) -> tuple[float, float]:
        return (20.0 + i, 30.0) if i < 10 else (110.0, 80.0)

    scene = moving_square(25, path=path)
    track = propagate(scene.frames, [Keyframe(0, scene.boxes[0])], config=CONFIG).track
    assert not any(fb.needs_review for fb in track.boxes[:5])
    assert all(fb.needs_review for fb in track.boxes[12:])
    assert track.review_frames() == [fb.frame for fb in track.boxes if fb.needs_review]


@pytest.mark.parametrize(
    ("keyframes", "field"),
    [
        ([], "keyframes"),
        ([Keyframe(0, None)], "keyframes"),
        ([Keyframe(30, (1.0, 1.0, 10.0, 10.0))], "keyframes[0].frame"),
        ([Keyframe(-1, (1.0, 1.0, 10.0, 10.0))], "keyframes[0].frame"),
        ([Keyframe(0, (1.0, 1.0, 10.0, 10.0)), Keyframe(0, (2.0, 2.0, 9.0, 9.0))], "keyframes[1].frame"),
        ([Keyframe(0, (10.0, 10.0, 5.0, 20.0))], "keyframes[0].box"),
        ([Keyframe(0, (100.0, 10.0, 200.0, 20.0))], "keyframes[0].box"),
        ([Keyframe(0, (1.0, 1.0, float("nan"), 5.0))], "keyframes[0].box[2]"),
    ],
)
def test_bad_keyframes_are_refused_naming_the_field(keyframes: list[Keyframe], field: str) -> None:
    scene = moving_square(30)
    with pytest.raises(ValidationError) as err:
        propagate(scene.frames, keyframes, config=CONFIG)
    assert err.value.context["field"] == field


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"tracker": "nope"}, "tracker"),
        ({"review_threshold": 1.5}, "review_threshold"),
        ({"workers": 0}, "workers"),
        ({"window_side": 8}, "window_side"),
        ({"max_coast": -1}, "max_coast"),
    ],
)
def test_bad_config_is_refused_naming_the_field(options: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        PropagationConfig(**options)  # type: ignore[arg-type]
    assert err.value.context["field"] == field


def test_set_keyframe_refuses_frames_of_another_video() -> None:
    scene = moving_square(20)
    result = propagate(scene.frames, [Keyframe(0, scene.boxes[0])], config=CONFIG)
    other = moving_square(25)
    with pytest.raises(ValidationError) as err:
        set_keyframe(result, other.frames, Keyframe(5, other.boxes[5]))
    assert err.value.context["field"] == "frames"
