"""The even split: the lowest loads rise first, ties to the lower user id, runs of the items in id order."""

from __future__ import annotations

import pytest

from labelhub.domain.assignment import even_counts, split_runs


@pytest.mark.parametrize(
    ("loads", "n", "want"),
    [
        ({1: 0, 2: 0, 3: 0}, 10, {1: 4, 2: 3, 3: 3}),
        ({1: 4, 2: 0, 3: 1}, 15, {1: 3, 2: 7, 3: 5}),
        ({1: 50, 2: 0}, 10, {1: 0, 2: 10}),  # the busy member gets none
        ({1: 5, 2: 5}, 0, {1: 0, 2: 0}),
        ({7: 2}, 3, {7: 3}),
        ({3: 1, 1: 1}, 1, {1: 1, 3: 0}),  # the tie goes to the lower id, whatever the order given
    ],
)
def test_even_counts(loads: dict[int, int], n: int, want: dict[int, int]) -> None:
    got = even_counts(loads, n)
    assert got == want and sum(got.values()) == n
    after = [loads[u] + got[u] for u in loads if got[u] > 0]
    assert not after or max(after) - min(after) <= 1


def test_even_counts_on_a_large_selection_stays_level() -> None:
    loads = {u: u * 37 % 101 for u in range(1, 41)}
    got = even_counts(loads, 100_000)
    final = [loads[u] + got[u] for u in loads]
    assert sum(got.values()) == 100_000 and max(final) - min(final) <= 1


def test_split_runs_cuts_the_items_in_id_order() -> None:
    assert split_runs([10, 11, 12, 13, 14], {9: 2, 4: 3}) == {4: [10, 11, 12], 9: [13, 14]}
    with pytest.raises(ValueError, match="not the 5 items"):
        split_runs([10, 11, 12, 13, 14], {9: 2})
    with pytest.raises(ValueError, match="no members"):
        even_counts({}, 3)
