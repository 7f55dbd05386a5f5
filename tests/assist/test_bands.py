"""Auto-accept bands: above upper accepted, between proposed, below lower dropped; suggested from held-out data."""

from __future__ import annotations

import numpy as np
import pytest

from labelhub.assist import Bands, Route, route, suggest_bands, wilson_lower
from labelhub.errors import ValidationError


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.99, Route.ACCEPTED),
        (0.951, Route.ACCEPTED),
        (0.95, Route.PROPOSED),  # on the upper bound: a person looks
        (0.7, Route.PROPOSED),
        (0.3, Route.PROPOSED),  # on the lower bound: still shown
        (0.29, Route.DROPPED),
        (0.0, Route.DROPPED),
    ],
)
def test_bands_route_as_specified(score: float, expected: Route) -> None:
    assert Bands(lower=0.3, upper=0.95).route(score) is expected


def test_route_many_and_the_extreme_bands() -> None:
    assert route([0.2, 0.5, 0.97], Bands(0.3, 0.95)) == [Route.DROPPED, Route.PROPOSED, Route.ACCEPTED]
    assert route([0.0, 1.0], Bands(0.0, 1.0)) == [Route.PROPOSED, Route.PROPOSED]  # accept nothing, drop nothing


def test_suggested_upper_bound_is_the_lowest_that_reaches_the_precision() -> None:
    # 100 held-out proposals with scores 0.01 .. 1.00: the top 60 all right, below that every other one right.
    scores = np.arange(1, 101) / 100
    correct = np.array([i % 2 == 0 for i in range(40)] + [True] * 60)
    plain = suggest_bands(scores, correct, target_precision=0.98, z=0)
    # The bound lies between two held-out scores, and one step lower would miss the target.
    accepted = scores > plain.bands.upper
    assert correct[accepted].mean() >= 0.98
    assert plain.reached and plain.accepted_share == accepted.mean()
    assert correct[scores > plain.bands.upper - 0.01].mean() < 0.98
    # The Wilson bound asks for more evidence: a higher (or equal) bound, a smaller (or equal) share.
    careful = suggest_bands(scores, correct, target_precision=0.98)
    assert careful.bands.upper >= plain.bands.upper and careful.accepted_share <= plain.accepted_share


def test_no_bound_reaching_the_target_accepts_nothing() -> None:
    s = suggest_bands([0.9, 0.8, 0.7], [False, True, False], target_precision=0.98)
    assert not s.reached and s.bands.upper == 1.0 and s.accepted_share == 0.0


def test_lower_bound_drops_what_was_mostly_wrong() -> None:
    scores = np.arange(1, 101) / 100
    correct = scores > 0.3  # everything at or below 0.30 was wrong
    s = suggest_bands(scores, correct, drop_precision=0.2)
    assert 0.3 <= s.bands.lower < 0.4  # drops the wrong 30 and a few right ones while at most 20 % were right
    dropped = scores < s.bands.lower
    assert correct[dropped].mean() <= 0.2 and s.dropped_share == dropped.mean()


def test_wilson_lower_bound() -> None:
    assert wilson_lower(100, 100, 1.645)[()] == pytest.approx(0.9737, abs=1e-3)
    assert wilson_lower(0, 0, 1.645)[()] == 0.0
    assert wilson_lower(50, 100, 0)[()] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Bands(0.6, 0.5), "lower"),
        (lambda: Bands(-0.1, 0.5), "lower"),
        (lambda: Bands(0.1, 1.5), "upper"),
        (lambda: Bands(0.1, 0.5).route(2.0), "score"),
        (lambda: route([0.5, float("nan")], Bands(0.1, 0.5)), "scores"),
        (lambda: suggest_bands([], []), "scores"),
        (lambda: suggest_bands([0.5, 0.6], [True]), "correct"),
        (lambda: suggest_bands([0.5], [True], target_precision=0), "target_precision"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        call()  # type: ignore[operator]
    assert err.value.context["field"] == field
