"""natural_key: names sorted by (key, name), as the grid's name order sorts them, come out as a file manager
shows them; the keys compare by code point, as both databases compare them."""

from __future__ import annotations

import random

import pytest

from labelhub.domain.natural import KEY_CHARS, natural_key

# A to Z in the name order. Neighbours that tie on the key (leading zeros, case, ß) follow the exact name's code
# points: "img001" < "img01" < "img1", "STRASSE" < "Straße" < "strasse", "Élan" < "élan".
IN_ORDER = [
    "0", "00", "1", "2 cats", "10 cats",  # digits at the start
    "9" * 100, "1" * 120,  # runs longer than 99 digits: 100 digits < 120 digits
    "a.jpg", "B.jpg", "c.jpg",  # case does not count
    "img", "img-1", "img.jpg",
    "img001", "img01", "img1", "img2", "Img3", "\uff49\uff4d\uff47\uff14",  # full-width "img4" reads as img4
    "img10", "img100",
    "n" + "9" * 30, "n1" + "0" * 30,  # 31 digits > 30 digits, whatever the digits
    "scan9", "scan10",  # digits at the end
    "stras", "STRASSE", "Stra\u00dfe", "strasse",  # ß folds to ss
    "x1", "x1y", "x11", "x_1",  # a number is compared whole, before what follows it
    "\u00c9lan", "\u00e9lan",  # É and é tie, and sort by their own letter (after z: no accent folding)
]  # fmt: skip


def _sorted(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: (natural_key(n), n))


def test_names_sort_naturally_and_case_insensitively() -> None:
    shuffled = IN_ORDER[:]
    random.Random(5).shuffle(shuffled)
    assert _sorted(shuffled) == IN_ORDER


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["img10", "img2", "img1"], ["img1", "img2", "img10"]),
        (["c.jpg", "B.jpg", "a.jpg"], ["a.jpg", "B.jpg", "c.jpg"]),
        (["img10", "img2", "img1", "B", "a", "Img3"], ["a", "B", "img1", "img2", "Img3", "img10"]),
        (["frame_10_b", "frame_10_a", "frame_9_z"], ["frame_9_z", "frame_10_a", "frame_10_b"]),
        (["v1.10.jpg", "v1.9.jpg", "v1.09.jpg"], ["v1.09.jpg", "v1.9.jpg", "v1.10.jpg"]),
    ],
)
def test_small_lists(names: list[str], expected: list[str]) -> None:
    assert _sorted(names) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("img01", "img1"), ("A.JPG", "a.jpg"), ("Stra\u00dfe", "STRASSE"), ("\u00c9", "\u00e9"), ("\uff21\uff11", "a1")],
)
def test_names_that_differ_only_in_case_width_or_leading_zeros_share_a_key(a: str, b: str) -> None:
    assert natural_key(a) == natural_key(b)


def test_a_number_of_any_length_sorts_by_its_value() -> None:
    numbers = [0, 1, 9, 10, 99, 100, 10**98, 10**99, 10**99 + 1, 10**150, 10**1000]
    keys = [natural_key(f"n{n}") for n in numbers]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_the_key_is_cut_at_key_chars() -> None:
    """Names that agree on the first KEY_CHARS characters of their keys tie, and sort by the exact name."""
    long = "folder/" * 40
    assert len(natural_key(long + "img10")) == KEY_CHARS
    assert natural_key(long + "img10") == natural_key(long + "img2")
    assert _sorted([long + "img2", long + "img10"]) == [long + "img10", long + "img2"]
