"""Shapes reduced for thumbnails: polygons kept to 32 points, masks turned into their outlines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

from labelhub.errors import ValidationError
from labelhub.services.item_shapes import MAX_POINTS, mask_outline, parse_ids, reduce_shape, simplify


def _circle(n: int, cx: float = 100, cy: float = 80, r: float = 50) -> list[float]:
    out: list[float] = []
    for k in range(n):
        a = 2 * math.pi * k / n
        out += [cx + r * math.cos(a), cy + r * math.sin(a)]
    return out


def test_a_polygon_of_500_points_comes_back_with_at_most_32_on_its_outline() -> None:
    pts = simplify(_circle(500))
    assert 3 <= len(pts) // 2 <= MAX_POINTS and len(pts) % 2 == 0
    radii = [math.hypot(x - 100, y - 80) for x, y in zip(pts[0::2], pts[1::2], strict=True)]
    assert all(abs(r - 50) < 0.01 for r in radii)  # points of the circle itself, not invented ones


def test_a_wiggly_polygon_is_thinned_to_every_kth_point() -> None:
    zigzag = [v for k in range(400) for v in (k * 1.0, 0.0 if k % 2 else 10.0)] + [399, 50, 0, 50]
    assert len(simplify(zigzag)) // 2 <= MAX_POINTS


def test_a_small_polygon_stays_as_it_is() -> None:
    assert simplify([1, 2, 3, 4, 5, 7]) == [1.0, 2.0, 3.0, 4.0, 5.0, 7.0]


@pytest.mark.parametrize("compressed", [False, True])
def test_a_masks_outline_follows_the_mask(compressed: bool) -> None:
    m = np.zeros((80, 100), dtype=np.uint8, order="F")
    m[5:35, 10:30] = 1  # rows 5..34, columns 10..29
    m[60:70, 60:90] = 1  # a second part
    rle = mask_utils.encode(m)
    counts = rle["counts"].decode("ascii") if compressed else _uncompressed(m)
    bbox, parts = mask_outline({"size": [80, 100], "counts": counts})
    assert bbox == [10.0, 5.0, 90.0, 70.0]
    assert len(parts) == 2
    first = parts[0]  # the larger part first
    xs, ys = first[0::2], first[1::2]
    assert (min(xs), max(xs), min(ys), max(ys)) == (10, 29, 5, 34)


def test_an_empty_mask_draws_nothing() -> None:
    shape = reduce_shape(1, 1, "mask", "cat", {"size": [4, 4], "counts": [16]}, "human", False)
    assert shape is None


def test_a_proposal_keeps_its_label_source_and_flag() -> None:
    shape = reduce_shape(2, 1, "box", "dog", {"bbox": [1.234, 2, 3, 4]}, "model", True)
    assert shape is not None
    assert (shape.kind, shape.label, shape.source, shape.proposed, shape.points) == (
        "box", "dog", "model", True, [1.2, 2.0, 3.0, 4.0])  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one"),
        ("1,x", "whole numbers"),
        (",".join(map(str, range(101))), "at most 100"),
        ("-3", "whole numbers"),
    ],
)
def test_bad_ids_are_refused_naming_ids(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as e:
        parse_ids(text)
    assert e.value.context["field"] == "ids"


def test_ids_keep_their_order_without_repeats() -> None:
    assert parse_ids("5, 3,5,,9") == [5, 3, 9]


def _uncompressed(m: np.ndarray) -> list[int]:
    flat = m.flatten(order="F")
    counts, value, run = [], 0, 0
    for v in flat:
        if v != value:
            counts.append(run)
            value, run = v, 0
        run += 1
    counts.append(run)
    return [int(c) for c in counts]


def test_a_masks_outline_is_kept_per_version_and_made_again_after_an_edit() -> None:
    small = {"size": [10, 10], "counts": [22, 2, 8, 2, 66]}  # 2x2 pixels at column 2, rows 2-3
    first = reduce_shape(900_001, 1, "mask", "cat", small, "human", False)
    again = reduce_shape(900_001, 1, "mask", "cat", None, "human", False)  # cached: no geometry needed
    assert first is not None and again == first and first.points == [2.0, 2.0, 4.0, 4.0]
    moved = {"size": [10, 10], "counts": [55, 3, 42]}  # 3 pixels down column 5
    edited = reduce_shape(900_001, 2, "mask", "cat", moved, "human", False)
    assert edited is not None and edited.points == [5.0, 5.0, 6.0, 8.0]
    assert reduce_shape(900_002, 1, "mask", "cat", None, "human", False) is None  # not cached, no geometry
