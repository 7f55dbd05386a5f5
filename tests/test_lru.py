"""The small LRU map the hub's caches share: bounded, least recently used out first, made on demand."""

from __future__ import annotations

import pytest

from labelhub._lru import Lru
from labelhub.errors import ValidationError


def test_the_least_recently_used_entry_goes_first() -> None:
    lru: Lru[str] = Lru(2)
    lru.put("a", "A")
    lru.put("b", "B")
    assert lru.get("a") == "A"  # a is now the most recent
    lru.put("c", "C")
    assert (lru.get("a"), lru.get("b"), lru.get("c"), len(lru)) == ("A", None, "C", 2)


def test_get_or_put_makes_a_value_once_and_keeps_it() -> None:
    made: list[str] = []
    lru: Lru[dict[int, str]] = Lru(2)

    def make() -> dict[int, str]:
        made.append("x")
        return {}

    first = lru.get_or_put("m1", make)
    first[1] = "kept"
    assert lru.get_or_put("m1", make) is first and made == ["x"]
    lru.get_or_put("m2", make)
    lru.get_or_put("m3", make)  # m1 is the least recently used: it goes
    assert lru.get("m1") is None and len(lru) == 2 and len(made) == 3


def test_a_size_below_one_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError) as err:
        Lru(0, field="cache_items")
    assert err.value.context["field"] == "cache_items"


def test_values_come_least_recently_used_first_and_clear_empties_the_map() -> None:
    lru: Lru[int] = Lru(3)
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        lru.put(key, value)
    lru.get("a")
    assert lru.values() == [2, 3, 1]
    lru.clear()
    assert len(lru) == 0 and lru.get("a") is None and lru.values() == []


def test_drop_where_forgets_the_entries_whose_key_passes() -> None:
    lru: Lru[str] = Lru(8)
    for key in [(1, 10), (1, 11), (2, 10), "other"]:
        lru.put(key, str(key))
    assert lru.drop_where(lambda key: isinstance(key, tuple) and key[0] == 1) == 2
    assert lru.get((1, 10)) is None and lru.get((1, 11)) is None
    assert lru.get((2, 10)) == "(2, 10)" and lru.get("other") == "other" and len(lru) == 2
    assert lru.drop_where(lambda key: False) == 0 and len(lru) == 2
