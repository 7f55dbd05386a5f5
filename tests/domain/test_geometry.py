"""Geometry rules per annotation kind: what is accepted, and the field named when it is not."""

from __future__ import annotations

import math
from typing import Any

import pytest

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.geometry import validate_geometry
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
        (K.MASK, {"size": [480, 640], "counts": "PPYo0"}, None),
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
