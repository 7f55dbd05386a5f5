"""Calibration: temperature scaling lowers held-out NLL; ECE and the reliability bins agree; bad input is named."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.assist.conftest import Banking

from labelhub.assist import AssistModel, calibrate, ece, fit_temperature, nll, reliability_bins
from labelhub.errors import ValidationError


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_temperature_scaling_lowers_held_out_nll_on_banking77(swa_model: AssistModel, banking: Banking) -> None:
    # Fit the temperature on one half of the test subsample, judge it on the other half.
    fit, judge = slice(0, 300), slice(300, 600)
    calibrated = calibrate(swa_model, banking.x_test[fit], banking.test_y[fit])
    before = swa_model.predict_proba(banking.x_test[judge])
    after = calibrated.predict_proba(banking.x_test[judge])
    assert calibrated.temperature != 1.0
    assert nll(after, banking.test_y[judge]) < nll(before, banking.test_y[judge])
    assert np.array_equal(after.argmax(axis=1), before.argmax(axis=1))  # the temperature changes no prediction


def test_temperature_of_swag_divides_every_sample(swag_model: AssistModel, banking: Banking) -> None:
    x, y = banking.x_test[:300], banking.test_y[:300]
    t = fit_temperature(swag_model.logit_samples(x), y)
    hot = swag_model.with_temperature(t)
    assert nll(hot.predict_proba(x), y) <= nll(swag_model.predict_proba(x), y) + 1e-9
    expected = _softmax(swag_model.logit_samples(x[:5]).astype(np.float64) / t).mean(axis=0)
    assert np.allclose(hot.predict_proba(x[:5]), expected)


def test_fit_temperature_recovers_the_temperature_that_made_the_data() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 5))
    labels = np.array([rng.choice(5, p=p) for p in _softmax(logits / 2.5)])  # the truth is T = 2.5
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.1)


def test_ece_and_reliability_bins_match_a_direct_computation() -> None:
    rng = np.random.default_rng(1)
    probs = _softmax(rng.normal(0, 2, (1000, 4)))
    labels = rng.integers(0, 4, 1000)
    bins = reliability_bins(probs, labels)
    assert len(bins) == 15 and sum(b.count for b in bins) == 1000
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == labels
    expected = 0.0
    for lo in np.arange(15) / 15:
        inside = (conf >= lo) & (conf < lo + 1 / 15)
        if inside.any():
            expected += inside.mean() * abs(right[inside].mean() - conf[inside].mean())
    assert ece(probs, labels) == pytest.approx(expected, abs=1e-9)
    assert bins[5].count == int(((conf >= 5 / 15) & (conf < 6 / 15)).sum())
    empty = [b for b in bins if b.count == 0]
    assert all(math.isnan(b.accuracy) for b in empty)


def test_a_sure_and_right_model_has_zero_nll_and_ece() -> None:
    probs = np.eye(3)[[0, 1, 2, 0]]
    assert nll(probs, [0, 1, 2, 0]) == pytest.approx(0.0, abs=1e-9)
    assert ece(probs, [0, 1, 2, 0]) == pytest.approx(0.0, abs=1e-9)
    assert reliability_bins(probs, [0, 1, 2, 0])[-1].accuracy == 1.0


@pytest.mark.parametrize(
    ("probs", "labels", "field"),
    [
        (np.array([[0.5, 0.6]]), [0], "probs"),
        (np.array([0.5, 0.5]), [0], "probs"),
        (np.array([[0.5, 0.5]]), [2], "labels"),
        (np.array([[0.5, 0.5]]), [0, 1], "labels"),
        (np.zeros((0, 2)), [], "probs"),
    ],
)
def test_bad_input_names_the_field(probs: np.ndarray, labels: list[int], field: str) -> None:
    for fn in (nll, ece, reliability_bins):
        with pytest.raises(ValidationError) as err:
            fn(probs, labels)
        assert err.value.context["field"] == field


def test_fit_temperature_refuses_logits_of_the_wrong_shape() -> None:
    with pytest.raises(ValidationError) as err:
        fit_temperature(np.zeros(3), [0, 1, 0])
    assert err.value.context["field"] == "logits"
