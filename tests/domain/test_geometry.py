"""Geometry rules per annotation kind: what is accepted, and the field named when it is not."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.geometry import validate_geometry
from labelhub.domain.rle import decode_counts
from labelhub.errors import ValidationError

K = AnnotationKind


@pytest.mark.parametrize(
    ("kind", "geometry", "expected"),
    [
        (K.BOX, {"bbox": [0, 0, 10, 20]}, {"bbox": [0.0, 0.0, 10.0, 20.0]}),
        (K.BOX, {"bbox": [639.5, 1, 640.5, 2]}, {"bbox": [639.5, 1.0, 640.5, 2.0]}),  # within rounding tolerance
        (K.TRACK_BOX, {"bbox": [1, 1, 2, 2]}, {"bbox": [1.0, 1.0, 2.0, 2.0]}),
        (K.POLYGON, {"points": [0, 0, 10, 0, 10, 10]}, {"points": [0.0, 0.0, 10.0, 0.0, 10.0, 10.0]}),
        (K.KEYPOINTS, {"points": [5, 5, 2, 0, 0, 0]}, {"points": [5.0, 5.0, 2.0, 0.0, 0.0, 0.0]}),
        (K.MASK, {"size": [480, 640], "counts": [100, 20, 480 * 640 - 120]}, None),
        (K.CLASS, {}, {}),
        (K.SPAN, {"start": 0, "end": 5}, {"start": 0, "end": 5}),
    ],
)
def test_valid_geometry_is_normalised(kind: AnnotationKind, geometry: dict[str, Any], expected: Any) -> None:
    out = validate_geometry(kind, geometry, width=640, height=480, text_length=10)
    assert out == (expected if expected is not None else geometry)


@pytest.mark.parametrize(
    ("kind", "geometry", "field", "words"),
    [
        (K.BOX, {"bbox": [0, 0, 10]}, "geometry.bbox", "4 numbers"),
        (K.BOX, {"bbox": [10, 0, 5, 20]}, "geometry.bbox", "inverted"),
        (K.BOX, {"bbox": [0, 0, 700, 20]}, "geometry.bbox", "width 640"),
        (K.BOX, {"bbox": [0, 0, 10, 500]}, "geometry.bbox", "height 480"),
        (K.BOX, {"bbox": [-5, 0, 10, 20]}, "geometry.bbox", "negative"),
        (K.BOX, {"bbox": [0, math.nan, 10, 20]}, "geometry.bbox[1]", "not finite"),
        (K.BOX, {"bbox": [0, "1", 10, 20]}, "geometry.bbox[1]", "number"),
        (K.BOX, {"bbox": [0, True, 10, 20]}, "geometry.bbox[1]", "number"),
        (K.BOX, {}, "geometry.bbox", "list of numbers"),
        (K.POLYGON, {"points": [0, 0, 1, 1]}, "geometry.points", "at least 3"),
        (K.KEYPOINTS, {"points": [1, 1, 3]}, "geometry.points", "visibility"),
        (K.MASK, {"size": [480, 640], "counts": [1, 2]}, "geometry.counts", "sums to 3"),
        (K.MASK, {"size": [10, 10], "counts": [100]}, "geometry.size", "does not match"),
        (K.CLASS, {"bbox": [0, 0, 1, 1]}, "geometry", "no geometry"),
        (K.SPAN, {"start": 3, "end": 3}, "geometry.end", "empty"),
        (K.SPAN, {"start": 0, "end": 11}, "geometry.end", "past the text length 10"),
        (K.SPAN, {"start": 0.5, "end": 2}, "geometry.start", "integers"),
    ],
)
def test_invalid_geometry_names_the_field(
    kind: AnnotationKind, geometry: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        validate_geometry(kind, geometry, width=640, height=480, text_length=10)
    assert err.value.context["field"] == field
    assert words in err.value.detail


def test_box_without_image_size_only_checks_shape() -> None:
    assert validate_geometry(K.BOX, {"bbox": [0, 0, 5000, 5000]}) == {"bbox": [0.0, 0.0, 5000.0, 5000.0]}


def _coco_string(mask: Any) -> str:
    """COCO's compressed RLE string of a 0/1 array, made by pycocotools (the reference writer)."""
    from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

    return str(mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))["counts"].decode("ascii"))


def test_a_compressed_mask_that_covers_the_image_is_kept_as_it_came() -> None:
    mask = np.zeros((480, 640), dtype=np.uint8)
    mask[100:200, 50:300] = 1
    geometry = {"size": [480, 640], "counts": _coco_string(mask)}
    assert validate_geometry(K.MASK, geometry, width=640, height=480) == geometry


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        ("PP", "not a valid compressed COCO RLE"),  # ends inside a number
        (" !", "not a valid compressed COCO RLE"),  # characters outside COCO's alphabet
        ("1", "sums to 1, expected height*width = 20"),  # too short: pycocotools would decode it from garbage
        ("5220003" + "9", "sums to 31"),  # one run too many (9 plus the run two before, 2)
    ],
)
def test_a_malformed_compressed_mask_names_counts(counts: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_geometry(K.MASK, {"size": [4, 5], "counts": counts}, width=5, height=4)
    assert err.value.context["field"] == "geometry.counts"
    assert words in err.value.detail


def test_the_reader_agrees_with_pycocotools_on_its_own_strings() -> None:
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(7)
    for _ in range(20):
        mask = rng.random((13, 17)) > 0.6
        text = _coco_string(mask)
        runs = decode_counts(text)
        assert runs is not None and sum(runs) == 13 * 17
        flat = np.repeat(np.arange(len(runs)) % 2, runs).astype(np.uint8)
        decoded = mask_utils.decode({"size": [13, 17], "counts": text.encode()})
        assert (decoded == flat.reshape(17, 13).T).all()
