"""Fill between slices: shape-based interpolation of two masks (disks, blobs, moved, vanishing, bad input)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage

from labelhub.domain.volume_fill import fill_between, signed_distance
from labelhub.errors import ValidationError

SIZE = 96


def disk(cy: float, cx: float, r: float, size: int = SIZE) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= r**2).astype(np.uint8)


def radius(mask: np.ndarray) -> float:
    return float(np.sqrt(mask.sum() / np.pi))


def centre(mask: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(mask)
    return float(rows.mean()), float(cols.mean())


def parts(mask: np.ndarray) -> int:
    return int(ndimage.label(mask, structure=np.ones((3, 3)))[1])


def test_a_disk_growing_into_a_bigger_one_grows_steadily_in_between() -> None:
    masks = fill_between(disk(48, 48, 8), disk(48, 48, 30), 9)
    radii = [radius(m) for m in masks]
    assert len(masks) == 9 and all(m.dtype == np.uint8 and set(np.unique(m)) <= {0, 1} for m in masks)
    assert all(a < b for a, b in itertools.pairwise(radii))
    assert radii[0] > 8 and radii[-1] < 30
    # Linear in between: the middle slice's radius is the mean of the two ends (within a pixel).
    assert radii[4] == pytest.approx(19.0, abs=1.0)
    assert all(centre(m) == pytest.approx((48, 48), abs=0.5) for m in masks)


def test_two_disjoint_blobs_stay_two_blobs_on_every_slice() -> None:
    first = disk(30, 25, 10) | disk(65, 70, 6)
    last = disk(32, 27, 14) | disk(63, 68, 10)
    masks = fill_between(first, last, 5)
    assert [parts(m) for m in masks] == [2] * 5
    left = [int(m[:, :48].sum()) for m in masks]
    right = [int(m[:, 48:].sum()) for m in masks]
    assert left == sorted(left) and right == sorted(right)  # both grow towards the bigger end


def test_identical_masks_give_that_mask_on_every_slice() -> None:
    ring = disk(48, 48, 30) & ~disk(48, 48, 12).astype(bool)
    shape = (ring | disk(10, 80, 5)).astype(np.uint8)
    for m in fill_between(shape, shape, 4):
        np.testing.assert_array_equal(m, shape)


def test_a_blob_that_moved_without_overlap_slides_across() -> None:
    masks = fill_between(disk(20, 20, 8), disk(75, 75, 8), 4)
    centres = [centre(m) for m in masks]
    assert [parts(m) for m in masks] == [1] * 4
    for i, (r, c) in enumerate(centres, 1):
        assert r == pytest.approx(20 + 55 * i / 5, abs=1.0) and c == pytest.approx(20 + 55 * i / 5, abs=1.0)
    assert all(radius(m) == pytest.approx(8, abs=1.0) for m in masks)


def test_a_part_missing_on_one_end_shrinks_towards_it() -> None:
    first = disk(30, 30, 12) | disk(70, 70, 10)
    last = disk(30, 30, 12)
    masks = fill_between(first, last, 4)
    right = [int(m[48:, 48:].sum()) for m in masks]
    assert right[0] > 0 and right == sorted(right, reverse=True)
    assert all(int(m[:48, :48].sum()) == int(last.sum()) for m in masks)


def test_an_empty_end_makes_the_structure_vanish_and_two_empty_ends_fill_nothing() -> None:
    masks = fill_between(np.zeros((SIZE, SIZE), np.uint8), disk(48, 48, 20), 3)
    sizes = [int(m.sum()) for m in masks]
    assert 0 < sizes[0] < sizes[1] < sizes[2] < int(disk(48, 48, 20).sum())
    empty = np.zeros((SIZE, SIZE), np.uint8)
    assert [int(m.sum()) for m in fill_between(empty, empty, 3)] == [0, 0, 0]


def test_a_part_that_splits_in_two_is_filled_as_one_structure() -> None:
    first = disk(48, 48, 20)
    last = disk(48, 30, 9) | disk(48, 66, 9)
    masks = fill_between(first, last, 5)
    assert parts(masks[0]) == 1 and parts(masks[-1]) == 2


def test_a_mask_touching_the_image_border_is_filled_up_to_it() -> None:
    full = np.ones((20, 30), np.uint8)
    masks = fill_between(full, full, 2)
    assert all(int(m.sum()) == 600 for m in masks)
    assert signed_distance(full).max() < 0


def test_zero_slices_between_give_no_masks() -> None:
    assert fill_between(disk(48, 48, 5), disk(48, 48, 9), 0) == []


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [(np.zeros((10, 10)), np.zeros((10, 12)), "differ in shape"), (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "2-D")],
    ids=["shapes", "three-d"],
)
def test_masks_of_another_shape_are_refused(first: np.ndarray, last: np.ndarray, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        fill_between(first, last, 3)
