"""Linear interpolation between keyframes, the baseline."""

from __future__ import annotations

import pytest

from labelhub.errors import ValidationError
from labelhub.tracking import BoxState, Keyframe, interpolate

SIZE = (200, 100)


def test_boxes_move_on_a_straight_line_and_hold_at_the_ends() -> None:
    kfs = [Keyframe(2, (0.0, 0.0, 10.0, 10.0)), Keyframe(6, (40.0, 20.0, 60.0, 40.0))]
    track = interpolate(9, kfs, size=SIZE, label="car")
    assert track.boxes[4].box == pytest.approx((20.0, 10.0, 35.0, 25.0))
    assert track.boxes[0].box == (0.0, 0.0, 10.0, 10.0)  # before the first keyframe: held
    assert track.boxes[8].box == (40.0, 20.0, 60.0, 40.0)  # after the last: held
    assert [fb.state for fb in track.boxes].count(BoxState.KEYFRAME) == 2
    # Confidence falls with the distance to the nearest keyframe.
    assert track.boxes[3].confidence > track.boxes[4].confidence
    assert track.boxes[8].confidence < track.boxes[7].confidence


def test_outside_keyframes_end_and_start_visibility() -> None:
    kfs = [Keyframe(0, (0.0, 0.0, 10.0, 10.0)), Keyframe(3, None), Keyframe(6, (50.0, 0.0, 60.0, 10.0))]
    track = interpolate(8, kfs, size=SIZE)
    states = [fb.state for fb in track.boxes]
    assert states[1:3] == [BoxState.PROPAGATED] * 2 and track.boxes[2].box == (0.0, 0.0, 10.0, 10.0)
    assert states[3:6] == [BoxState.OUTSIDE] * 3
    assert track.boxes[4].box == (0.0, 0.0, 10.0, 10.0)  # outside keeps the last place seen
    assert states[6] is BoxState.KEYFRAME and states[7] is BoxState.PROPAGATED


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        interpolate(5, [Keyframe(7, (0.0, 0.0, 1.0, 1.0))], size=SIZE)
    assert err.value.context["field"] == "keyframes[0].frame"
    with pytest.raises(ValidationError) as err:
        interpolate(5, [Keyframe(0, (0.0, 0.0, 1.0, 1.0))], size=SIZE, half_life=0)
    assert err.value.context["field"] == "half_life"
