"""Surprise at keyframes: a person's box farther from the system's than it claimed lowers the confidence nearby."""

from __future__ import annotations

import dataclasses

from tests.tracking._scenes import moving_square

from labelhub.domain.enums import Source
from labelhub.tracking import BoxState, FrameBox, Keyframe, PropagationConfig, propagate, set_keyframe
from labelhub.tracking.passes import Pass, PassBox
from labelhub.tracking.surprise import keyframe_surprise, reach, rescore

BOX = (10.0, 10.0, 30.0, 30.0)
HALF_OFF = (20.0, 10.0, 40.0, 30.0)  # IoU 1/3 with BOX
CONFIG = PropagationConfig(workers=1)


def _pass(start: int, end: int, arriving: tuple[float, float, float, float], confidence: float) -> Pass:
    step = 1 if end > start else -1
    n = abs(end - start)
    boxes = (*(PassBox(BOX, 1.0) for _ in range(n - 1)), PassBox(arriving, confidence))
    return Pass(start, step, BOX, end, boxes)


def test_surprise_is_the_miss_beyond_what_the_pass_claimed() -> None:
    kfs = [Keyframe(0, BOX), Keyframe(10, BOX), Keyframe(20, BOX)]
    sure_but_wrong = _pass(0, 10, HALF_OFF, 0.9)  # missed by 2/3, claimed a 0.1 miss
    unsure_and_wrong = _pass(20, 10, HALF_OFF, 0.2)  # missed by 2/3, claimed a 0.8 miss
    surprise = keyframe_surprise(kfs, {(0, 1): sure_but_wrong, (20, -1): unsure_and_wrong})
    assert abs(surprise[10] - (2 / 3 - 0.1)) < 1e-9  # the larger of the two passes' surprises
    assert 0 not in surprise and 20 not in surprise  # no pass arrives at the ends
    only_unsure = keyframe_surprise(kfs, {(20, -1): unsure_and_wrong})
    assert only_unsure[10] == 0.0


def _track(n: int, keyframes: tuple[int, ...], confidence: float) -> list[FrameBox]:
    return [
        FrameBox(i, BoxState.KEYFRAME, BOX, 1.0, source=Source.HUMAN)
        if i in keyframes
        else FrameBox(i, BoxState.PROPAGATED, BOX, confidence)
        for i in range(n)
    ]


def test_rescore_lowers_the_frames_near_a_surprising_keyframe_most() -> None:
    boxes = _track(40, (0, 20, 39), 0.9)
    raw = [fb.confidence for fb in boxes]
    out = rescore(boxes, raw, {20: 0.4, 0: 0.0}, CONFIG)
    conf = [fb.confidence for fb in out]
    assert out[20] is boxes[20]  # keyframes are never touched
    assert conf[19] < conf[17] < conf[14] < 0.9 and conf[21] < conf[23] < 0.9
    assert abs(conf[21] - 0.9 * (1 - 0.8 * 2.718281828 ** (-1 / 3))) < 1e-6
    r = reach(CONFIG)
    assert conf[20 - r - 1] == 0.9 and conf[20 + r + 1] == 0.9  # beyond the reach: unchanged
    assert out[19].needs_review and not out[5].needs_review
    # Frames whose value did not change keep the object the caller passed in.
    again = rescore(boxes, raw, {20: 0.4}, CONFIG, keep=out)
    assert all(a is b for a, b in zip(again, out, strict=True))
    off = rescore(boxes, raw, {20: 0.4}, dataclasses.replace(CONFIG, surprise_weight=0.0))
    assert [fb.confidence for fb in off] == raw


def test_a_keyframe_the_tracker_did_not_predict_lowers_the_confidence_next_to_it() -> None:
    # The square moves smoothly, but the person draws frame 20 shifted by half its side (as when an annotation
    # flips convention): the passes arriving there were sure and wrong, so the frames around 20 are doubted.
    scene = moving_square(40)
    x1, y1, x2, y2 = scene.boxes[20]
    drawn = Keyframe(20, (x1 + 12, y1, x2 + 12, y2))
    first = propagate(scene.frames, [Keyframe(f, scene.boxes[f]) for f in (0, 10, 30, 39)], config=CONFIG)
    edited = set_keyframe(first, scene.frames, drawn)
    plain = set_keyframe(
        propagate(
            scene.frames,
            [Keyframe(f, scene.boxes[f]) for f in (0, 10, 30, 39)],
            config=dataclasses.replace(CONFIG, surprise_weight=0.0),
        ),
        scene.frames,
        drawn,
    )
    for f in (19, 21):
        assert edited.track.boxes[f].confidence < 0.8 * plain.track.boxes[f].confidence
    assert [fb.box for fb in edited.track.boxes] == [fb.box for fb in plain.track.boxes]  # boxes are not moved
    # Re-scoring reaches past the neighbouring keyframes; everything outside `changed` is the same object.
    lo, hi = edited.changed
    assert lo <= 11 and hi >= 29
    assert all(edited.track.boxes[f] is first.track.boxes[f] for f in range(40) if not lo <= f <= hi)
    assert edited.raw_confidence is not None and len(edited.raw_confidence) == 40
