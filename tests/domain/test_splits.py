"""Train/val/test splits: parsing the option, stable assignment by seed, and splits read from a field."""

from __future__ import annotations

from collections import Counter

import pytest

from labelhub.domain.splits import parse_split
from labelhub.errors import ValidationError

NAMES = [f"img_{i:05d}.jpg" for i in range(10_000)]


def test_ratios_are_met_on_many_items() -> None:
    rule = parse_split("0.8/0.1/0.1", seed=0)
    counts = Counter(rule.assign(n, {}) for n in NAMES)
    assert set(counts) == {"train", "val", "test"}
    assert 7_800 <= counts["train"] <= 8_200
    assert 900 <= counts["val"] <= 1_100
    assert 900 <= counts["test"] <= 1_100


def test_same_seed_same_split_whatever_the_order_or_the_other_items() -> None:
    rule = parse_split("80/20", seed=7)
    first = {n: rule.assign(n, {}) for n in NAMES[:500]}
    again = {n: rule.assign(n, {}) for n in reversed(NAMES)}
    assert all(again[n] == s for n, s in first.items())
    other_seed = parse_split("80/20", seed=8)
    assert sum(other_seed.assign(n, {}) != first[n] for n in first) > 50


def test_named_splits_and_percentages() -> None:
    rule = parse_split("train=70,holdout=30")
    assert [n for n, _ in rule.ratios] == ["train", "holdout"]
    assert [round(f, 2) for _, f in rule.ratios] == [0.7, 0.3]
    assert {rule.assign(n, {}) for n in NAMES[:200]} == {"train", "holdout"}


@pytest.mark.parametrize(("text", "first"), [("0.33/0.33/0.33", 1 / 3), ("99/1", 0.99), ("0.7/0.2/0.1", 0.7)])
def test_ratios_summing_to_1_or_100_give_fractions(text: str, first: float) -> None:
    ratios = parse_split(text).ratios
    assert ratios[0][1] == pytest.approx(first) and sum(f for _, f in ratios) == pytest.approx(1)


def test_a_zero_ratio_split_gets_nothing() -> None:
    rule = parse_split("0.9/0.1/0")
    assert {rule.assign(n, {}) for n in NAMES[:2000]} == {"train", "val"}


def test_field_rule_reads_the_metadata_or_keeps_the_source_split() -> None:
    rule = parse_split("field:subset")
    assert rule.assign("a.jpg", {"subset": "val"}) == "val"
    assert rule.assign("a.jpg", {}) is None
    assert parse_split("field:split").assign("a.jpg", {}, "test") == "test"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.8", "give 2 or 3 ratios"),
        ("0.5/0.3/0.1/0.1", "give 2 or 3 ratios"),
        ("a/b", "is not a number"),
        ("0/0", "sum to 0"),
        ("-1/2", ">= 0"),
        ("nan/1", ">= 0"),
        ("train=1,train=2", "names a split twice"),
        ("train", "give 2 or 3 ratios"),
        ("=0.5", "is not NAME=RATIO"),
        ("field:", "needs a field name"),
        ("0.5/0.6", "the ratios sum to 1.1; give fractions that sum to 1"),
        ("80/10", "the ratios sum to 90;"),
        ("3/1/1", "the ratios sum to 5;"),
    ],
)
def test_bad_split_options_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        parse_split(text)
    assert err.value.context["field"] == "split"
