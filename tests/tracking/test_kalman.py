"""The constant-velocity Kalman filter on boxes."""

from __future__ import annotations

import pytest

from labelhub.errors import ValidationError
from labelhub.tracking import BoxKalman, KalmanNoise
from labelhub.tracking._boxes import Box, iou


def _moved(box: Box, dx: float, dy: float) -> Box:
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def test_learns_a_constant_velocity_and_predicts_through_missing_frames() -> None:
    start: Box = (10.0, 10.0, 50.0, 50.0)
    kf = BoxKalman(start)
    for i in range(1, 16):
        kf.predict()
        kf.update(_moved(start, 3.0 * i, 1.0 * i))
    vx, vy = kf.velocity
    assert vx == pytest.approx(3.0, abs=0.3) and vy == pytest.approx(1.0, abs=0.3)
    # Five frames without a measurement (the tracker lost the object): the prediction keeps moving.
    for _ in range(5):
        predicted = kf.predict()
    assert iou(predicted, _moved(start, 3.0 * 20, 1.0 * 20)) > 0.85


def test_smooths_jitter() -> None:
    start: Box = (100.0, 100.0, 140.0, 140.0)
    kf = BoxKalman(start)
    errors = []
    for i in range(1, 30):
        kf.predict()
        jitter = 3.0 if i % 2 else -3.0
        filtered = kf.update(_moved(start, jitter, 0.0))
        errors.append(abs(filtered[0] - start[0]))
    assert max(errors[10:]) < 2.0  # the measurements swing by 3 px either way


def test_agreement_is_high_for_the_expected_box_and_low_for_a_jump() -> None:
    start: Box = (10.0, 10.0, 50.0, 50.0)
    kf = BoxKalman(start)
    for i in range(1, 10):
        kf.predict()
        kf.update(_moved(start, 2.0 * i, 0.0))
    expected = kf.predict()
    assert kf.agreement(expected) == pytest.approx(1.0)
    assert kf.agreement(_moved(expected, 1.0, 0.0)) > 0.8
    assert kf.agreement(_moved(expected, 40.0, 0.0)) < 0.05


@pytest.mark.parametrize("name", ["process", "measurement", "velocity"])
def test_noise_must_be_positive(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        KalmanNoise(**{name: 0.0})
    assert err.value.context["field"] == name
