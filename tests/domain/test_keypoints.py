"""Keypoint skeletons a class declares: which declarations the schema refuses, and the message and field."""

from __future__ import annotations

from typing import Any

import pytest

from labelhub.domain.keypoints import Skeleton, adopt, check_instance, from_coco, to_coco
from labelhub.domain.schema import LabelClass, LabelSchema
from labelhub.errors import ValidationError

NAMES = ("nose", "left_eye", "right_eye")


def _schema(keypoints: Any, skeleton: Any, *, first: str = "dog") -> LabelSchema:
    return LabelSchema(
        classes=(
            LabelClass(first, "#ff0000"),
            LabelClass("person", "#00ff00", keypoints=tuple(keypoints), skeleton=tuple(skeleton)),
        )
    )


def test_a_declared_skeleton_round_trips_through_json() -> None:
    schema = _schema(NAMES, [(0, 1), (0, 2)])
    data = schema.to_json()
    assert data["classes"][1] == {"name": "person", "color": "#00ff00", "hotkey": None,
                                  "keypoints": list(NAMES), "skeleton": [[0, 1], [0, 2]]}  # fmt: skip
    assert "keypoints" not in data["classes"][0]  # a class without points stores as before
    assert LabelSchema.from_json(data) == schema
    assert schema.keypoint_names("person") == NAMES and schema.keypoint_names("dog") == ()


@pytest.mark.parametrize(
    ("keypoints", "skeleton", "field", "words"),
    [
        (["nose", ""], [], "labels[1].keypoints[1]", "empty"),
        (["nose", " eye"], [], "labels[1].keypoints[1]", "space"),
        (["nose", "eye", "nose"], [], "labels[1].keypoints[2]", "named twice"),
        ([f"p{i}" for i in range(101)], [], "labels[1].keypoints", "at most 100"),
        (NAMES, [(0, 1), (1, 3)], "labels[1].skeleton[1]", "index 3 is not a keypoint"),
        (NAMES, [(-1, 1)], "labels[1].skeleton[0]", "index -1"),
        (NAMES, [(2, 2)], "labels[1].skeleton[0]", "to itself"),
        (NAMES, [(0, 1), (1, 0)], "labels[1].skeleton[1]", "listed twice"),
        (["a"], [(0, 1)], "labels[1].skeleton", "at least two"),
    ],
)
def test_a_broken_declaration_names_its_field(keypoints: Any, skeleton: Any, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        _schema(keypoints, skeleton)
    assert err.value.context["field"] == field
    assert words in err.value.detail


def test_an_instance_needs_one_triple_per_declared_point() -> None:
    check_instance(NAMES, "person", [1, 1, 2] * 3, "annotations[0]")
    check_instance((), "dog", [1, 1, 2] * 7, "annotations[0]")  # no declaration: any length
    with pytest.raises(ValidationError) as err:
        check_instance(NAMES, "person", [1, 1, 2] * 2, "annotations[4]")
    assert err.value.context["field"] == "annotations[4].geometry.points"
    assert "'person' declares 3 keypoints" in err.value.detail and "got 2" in err.value.detail


def test_coco_categories_convert_their_one_based_skeleton() -> None:
    cat = {"name": "person", "keypoints": list(NAMES), "skeleton": [[1, 2], [1, 3]]}
    sk = from_coco(cat)
    assert sk == Skeleton(NAMES, ((0, 1), (0, 2)))
    assert to_coco(sk) == {"keypoints": list(NAMES), "skeleton": [[1, 2], [1, 3]]}
    assert from_coco({"name": "x", "keypoints": ["a"], "skeleton": [[1, 5]]}) is None  # not a usable declaration


def test_a_file_fills_undeclared_classes_and_warns_on_a_conflict() -> None:
    mine = Skeleton(("head", "tail"), ((0, 1),))
    theirs = Skeleton(NAMES, ((0, 1),))
    adopted, warnings = adopt({"dog": mine, "person": Skeleton()}, [("dog", theirs), ("person", theirs)], "the file")
    assert adopted == {"person": theirs}
    assert len(warnings) == 1 and "'dog' keeps its own keypoints (head, tail)" in warnings[0]
