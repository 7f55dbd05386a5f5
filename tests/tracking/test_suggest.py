"""Suggested frames: least confident first, spread over the video, never a keyframe."""

from __future__ import annotations

import pytest

from labelhub.domain.enums import Source
from labelhub.errors import ValidationError
from labelhub.tracking import BoxState, FrameBox, Track, suggest_frames
from labelhub.tracking.suggest import suggest_among

BOX = (0.0, 0.0, 10.0, 10.0)


def _track(confidences: list[float], keyframes: tuple[int, ...] = ()) -> Track:
    boxes = []
    for i, c in enumerate(confidences):
        if i in keyframes:
            boxes.append(FrameBox(i, BoxState.KEYFRAME, BOX, 1.0, source=Source.HUMAN))
        else:
            boxes.append(FrameBox(i, BoxState.PROPAGATED, BOX, c, c < 0.5))
    return Track("car", tuple(boxes))


def test_lowest_confidence_first() -> None:
    conf = [0.9] * 40
    conf[7], conf[25], conf[33] = 0.2, 0.1, 0.4
    picks = suggest_frames(_track(conf), 3, min_gap=3)
    assert [s.frame for s in picks] == [25, 7, 33]
    assert picks[0].confidence == 0.1 and picks[0].needs_review


def test_suggestions_are_spread_out() -> None:
    # A bad stretch 10..19 (worst at 14) and a milder one at 30: the second suggestion is not 13 or 15.
    conf = [0.95] * 40
    for f in range(10, 20):
        conf[f] = 0.1 + 0.02 * abs(f - 14)
    conf[30] = 0.5
    picks = [s.frame for s in suggest_frames(_track(conf), 3, min_gap=8)]
    assert picks[0] == 14
    assert all(abs(a - b) >= 8 for i, a in enumerate(picks) for b in picks[i + 1 :])
    assert 30 in picks
    without_gap = [s.frame for s in suggest_frames(_track(conf), 3, min_gap=0)]
    assert without_gap == [14, 13, 15]


def test_keyframes_are_never_suggested() -> None:
    picks = suggest_frames(_track([0.0] * 10, keyframes=(0, 5)), 10, min_gap=0)
    assert {s.frame for s in picks} == set(range(10)) - {0, 5}


def test_ties_go_to_the_frame_farthest_from_a_keyframe() -> None:
    picks = suggest_frames(_track([0.5] * 21, keyframes=(0, 20)), 1)
    assert picks[0].frame == 10


@pytest.mark.parametrize(("k", "gap", "field"), [(-1, None, "k"), (3, -2, "min_gap")])
def test_bad_arguments_name_the_field(k: int, gap: int | None, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        suggest_frames(_track([0.5] * 5), k, min_gap=gap)
    assert err.value.context["field"] == field


def test_by_default_ten_suggestions_reach_across_the_whole_video() -> None:
    """QA docs finding 13: with one keyframe at 0 and confidence falling with the distance, the ten suggestions of
    a 150-frame video were 149, 142, ..., 86 (a twentieth apart: only the last 64 frames)."""
    conf = [1.0 - f / 200 for f in range(150)]
    picks = [s.frame for s in suggest_frames(_track(conf, keyframes=(0,)), 10)]
    assert picks == [149, 134, 119, 104, 89, 74, 59, 44, 29, 14]
    assert [s.frame for s in suggest_frames(_track(conf, keyframes=(0,)), 1)] == [149]  # the first is the same


def test_frames_the_keyframes_settle_are_not_suggested() -> None:
    conf = [0.6] * 10 + [1.0] * 10  # after an "outside" keyframe: nothing to check
    picks = [s.frame for s in suggest_frames(_track(conf, keyframes=(0,)), 5, min_gap=1)]
    assert picks and all(f < 10 for f in picks)


def test_a_track_given_by_its_own_boxes_gets_the_suggestions_of_the_whole_track() -> None:
    """A track with boxes on frames 100-179 of a 400-frame video (a crowd's pedestrian): ranking its 80 boxes gives
    what ranking all 400 frames, the others settled, gives; ties (frames 120-139 at 0.4) by distance as before."""
    conf = [1.0] * 400
    for f in range(100, 180):
        conf[f] = 0.9 - 0.005 * (f - 100)
    for f in range(120, 140):
        conf[f] = 0.4
    keyframes = (100, 150)
    whole = _track(conf, keyframes=keyframes)
    own = [fb for fb in whole.boxes if 100 <= fb.frame < 180]
    for k, gap in ((10, None), (5, 3), (30, 0)):
        expected = suggest_frames(whole, k, min_gap=gap)
        assert suggest_among(own, 400, k, min_gap=gap) == expected
    assert [s.frame for s in suggest_frames(whole, 3, min_gap=0)] == [125, 124, 126]  # the tie: farthest first
