"""Single-value checks every config uses: the value back when it is good, else an error naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelhub.domain.checks import check_int, check_number, check_span
from labelhub.errors import ValidationError


def test_good_values_come_back_as_python_numbers() -> None:
    assert check_int(np.int64(7), "epochs", low=1, high=10) == 7
    assert type(check_int(np.int64(7), "epochs", low=1)) is int
    assert check_number(np.float32(0.25), "lr", low=0.0, high=1.0) == 0.25
    assert check_span((3, 5), "char_ngrams", low=1, high=8) == (3, 5)


@pytest.mark.parametrize(
    ("call", "field", "said"),
    [
        (lambda: check_int(True, "epochs", low=0), "epochs", "must be a whole number"),
        (lambda: check_int(2.0, "epochs", low=0), "epochs", "must be a whole number"),
        (lambda: check_int(11, "epochs", low=1, high=10), "epochs", "must be in [1, 10], got 11"),
        (lambda: check_int(-1, "seed"), "seed", "must be >= 0"),
        (lambda: check_number(math.nan, "lr", low=0.0, high=1.0), "lr", "must be in [0.0, 1.0]"),
        (lambda: check_number(0.0, "lr", low=0.0, high=1.0, open_low=True), "lr", "must be in (0.0, 1.0]"),
        (lambda: check_number("0.1", "lr", low=0.0, high=1.0), "lr", "must be a number"),
        (lambda: check_span((5, 3), "char_ngrams", low=1, high=8), "char_ngrams", "(smallest, largest) within"),
        (lambda: check_span([3, 5], "char_ngrams", low=1, high=8), "char_ngrams", "must be (smallest, largest)"),
    ],
)
def test_bad_values_are_refused_naming_the_field(call: object, field: str, said: str) -> None:
    with pytest.raises(ValidationError) as err:
        call()  # type: ignore[operator]
    assert err.value.context["field"] == field and said in err.value.detail
