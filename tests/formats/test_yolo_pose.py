"""YOLO pose datasets (data.yaml ``kpt_shape``): import to boxes and keypoints, export, round trip and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.formats._keypoint_support import A_LINES, classes_of, image_project, pose_dataset, shapes
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.domain.schema import PALETTE, LabelClass
from labelhub.errors import FormatError, ImportValidationError, ValidationError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats._keypoint_schema import with_schema_keypoints
from labelhub.formats.yolo import YoloExporter, YoloImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

PERSON_BOX = [30.0, 10.0, 70.0, 40.0]
PERSON_POINTS = [50.0, 15.0, 2, 40.0, 20.0, 1, 0.0, 0.0, 0]
DOG_BOX = [10.0, 5.0, 30.0, 15.0]


def _read(source: Path) -> tuple[list[ItemRecord], list[Any]]:
    with YoloImporter(source, ImportOptions()) as importer:
        return split_records(importer)


def test_a_pose_line_is_a_box_and_keypoints_of_one_object(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    items, problems = _read(pose_dataset(tmp_path / "ds", make_image))
    assert problems == []
    (item,) = items
    box, kps, dog = item.annotations
    assert (box.kind, box.label, box.geometry["bbox"]) == (AnnotationKind.BOX, "person", pytest.approx(PERSON_BOX))
    assert (kps.kind, kps.label) == (AnnotationKind.KEYPOINTS, "person")
    assert kps.geometry["points"] == pytest.approx(PERSON_POINTS)
    assert box.attributes == kps.attributes == {"coco_group": 1}  # the link COCO's importer gives, too
    assert kps.origin == "train/a.txt: line 1"
    # Every point absent: the box alone, as COCO's all-zero keypoints.
    assert (dog.kind, dog.label, dog.geometry["bbox"]) == (AnnotationKind.BOX, "dog", pytest.approx(DOG_BOX))


def test_two_dims_have_no_visibility_and_0_0_is_absent(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    source = pose_dataset(tmp_path / "ds", make_image, "0 0.5 0.5 0.4 0.6 0.5 0.3 0 0 0.4 0.4\n", kpt_shape=(3, 2))
    (item,), problems = _read(source)
    assert problems == []
    assert item.annotations[1].geometry["points"] == pytest.approx([50.0, 15.0, 2, 0.0, 0.0, 0, 40.0, 20.0, 2])


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("0 0.5 0.5 0.4 0.6 0.5 0.3 2", "got 8 values; kpt_shape [3, 3] makes a line 'class cx cy w h' followed by "
         "3 keypoints 'x y v': 14 values"),
        ("0 0.5 0.5 0.4 0.6", "got 5 values"),
        ("0 0.5 0.5 0.4 0.6 0.5 0.3 2 0.4 0.4 3 0 0 0", "keypoint 2 visibility 3 (value 11 of the line) is not 0"),
        ("0 0.5 0.5 0.4 0.6 0.5 0.3 2 0.4 0.4 0.5 0 0 0", "keypoint 2 visibility 0.5"),
        ("0 0.5 0.5 0.4 0.6 0.5 1.5 2 0.4 0.4 1 0 0 0", "keypoint 1 coordinate 1.5 (value 7 of the line) is not in"),
        ("0 0.5 0.5 0.4 0.6 0.5 0.3 2 0.4 0.4 1 -0.2 0 0", "keypoint 3 coordinate -0.2 (value 12 of the line)"),
        ("0 0.5 0.5 0.4 0.6 0.5 0.3 2 0.4 x 1 0 0 0", "not a number"),
        ("5 0.5 0.5 0.4 0.6 0.5 0.3 2 0.4 0.4 1 0 0 0", "class id 5 is not one of the 2 names"),
    ],
)  # fmt: skip
def test_a_broken_pose_line_is_a_problem_on_its_file_and_line(
    tmp_path: Path, make_image: Callable[..., Path], line: str, words: str
) -> None:
    source = pose_dataset(tmp_path / "ds", make_image, A_LINES + line + "\n")
    (item,), (problem,) = _read(source)
    assert words in problem.message
    assert (Path(problem.file or "").name, problem.line) == ("a.txt", 3)
    assert len(item.annotations) == 3  # the good lines are kept


def test_one_pixel_past_the_edge_is_tolerated(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    # 1.005 * 100 px is half a pixel past the right edge: the domain's edge tolerance, as for boxes.
    line = "0 0.5 0.5 0.4 0.6 1.005 0.3 2 0 0 0 0 0 0\n"
    (item,), problems = _read(pose_dataset(tmp_path / "ds", make_image, line))
    assert problems == [] and item.annotations[1].geometry["points"][0] == pytest.approx(100.5)


def test_without_kpt_shape_a_pose_line_stays_an_error(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _items, problems = _read(pose_dataset(tmp_path / "ds", make_image, kpt_shape=None))
    assert [p.line for p in problems] == [1, 2]
    assert all("got 14 values; expected a box" in p.message for p in problems)


@pytest.mark.parametrize(
    ("more", "field"),
    [({"kpt_shape": [3, 4]}, "kpt_shape"), ({"kpt_shape": [0, 3]}, "kpt_shape"), ({"kpt_shape": "17,3"}, "kpt_shape"),
     ({"flip_idx": [0, 1]}, "flip_idx"), ({"flip_idx": [0, 0, 1]}, "flip_idx"),
     ({"flip_idx": [0, 1, "x", 2]}, "flip_idx")],
)  # fmt: skip
def test_a_malformed_kpt_shape_or_flip_idx_refuses_the_dataset(
    tmp_path: Path, make_image: Callable[..., Path], more: dict[str, Any], field: str
) -> None:
    source = pose_dataset(tmp_path / "ds", make_image, **more)
    with pytest.raises(FormatError, match=field) as info:
        YoloImporter(source, ImportOptions())
    assert info.value.context["field"] == field and Path(info.value.context["file"]).name == "data.yaml"


def test_pose_dataset_round_trips_through_labelhub(hub: Hub, tmp_path: Path, make_image: Callable[..., Path]) -> None:
    system = Actor.system()
    source = pose_dataset(tmp_path / "ds", make_image, flip_idx=[0, 2, 1])
    first = image_project(hub, "yolo-pose-in")
    report = import_source(hub, system, first, source, fmt="yolo")
    assert report.warnings == [] and report.annotations_added == 3
    classes = classes_of(hub, first)
    # YOLO names no points: every class of the dataset is declared kp1..kp3, without edges.
    assert {n: (c.keypoints, c.skeleton) for n, c in classes.items()} == {
        "person": (("kp1", "kp2", "kp3"), ()),
        "dog": (("kp1", "kp2", "kp3"), ()),
    }
    got = shapes(hub, first)
    assert got == [
        ("box", "dog", pytest.approx(DOG_BOX)),
        ("box", "person", pytest.approx(PERSON_BOX)),
        ("keypoints", "person", pytest.approx(PERSON_POINTS)),
    ]

    out = tmp_path / "out"
    exported = export_project(hub, system, first, out, fmt="yolo", options=ExportOptions(copy_media=True))
    assert exported.annotations == 3 and exported.annotations_skipped == {}
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["kpt_shape"] == [3, 3] and data["flip_idx"] == [0, 2, 1]
    assert sorted((out / "labels" / "train" / "a.txt").read_text().splitlines()) == [
        "0 0.500000 0.500000 0.400000 0.600000 0.500000 0.300000 2 0.400000 0.400000 1 0 0 0",
        "1 0.200000 0.200000 0.200000 0.200000 0 0 0 0 0 0 0 0 0",
    ]

    second = image_project(hub, "yolo-pose-again")
    again = import_source(hub, system, second, out, fmt="yolo")
    assert again.warnings == [] and again.annotations_added == 3
    assert shapes(hub, second) == got

    # COCO puts the box and the keypoints of a line back into one annotation.
    coco = tmp_path / "coco.json"
    export_project(hub, system, first, coco, fmt="coco")
    anns = json.loads(coco.read_text())["annotations"]
    person = next(a for a in anns if "keypoints" in a and a["num_keypoints"])
    assert person["bbox"] == pytest.approx([30.0, 10.0, 40.0, 30.0]) and len(anns) == 2


def test_a_class_that_names_its_points_keeps_them(hub: Hub, tmp_path: Path, make_image: Callable[..., Path]) -> None:
    named = LabelClass("person", PALETTE[0], keypoints=("nose", "left_eye", "right_eye"), skeleton=((0, 1), (0, 2)))
    other = LabelClass("dog", PALETTE[1], keypoints=("head", "tail"))
    pid = image_project(hub, "yolo-pose-named", named, other)
    report = import_source(hub, Actor.system(), pid, pose_dataset(tmp_path / "ds", make_image), fmt="yolo")
    classes = classes_of(hub, pid)
    assert (classes["person"].keypoints, classes["person"].skeleton) == (named.keypoints, named.skeleton)
    assert classes["dog"].keypoints == ("head", "tail")
    (warning,) = report.warnings  # the same count is no news; another count is
    assert "'dog' keeps its own keypoints (head, tail)" in warning and "the YOLO data.yaml declares kp1" in warning


def test_a_refused_import_names_the_file_and_line(hub: Hub, tmp_path: Path, make_image: Callable[..., Path]) -> None:
    source = pose_dataset(tmp_path / "ds", make_image, "0 0.5 0.5 0.4 0.6 0.5 0.3 7 0 0 0 0 0 0\n")
    pid = image_project(hub, "yolo-pose-refused")
    with pytest.raises(ImportValidationError) as info:
        import_source(hub, Actor.system(), pid, source, fmt="yolo")
    assert "a.txt" in str(info.value) and "line 1" in str(info.value) and "visibility 7" in str(info.value)


def _kp(label: str, points: list[float], **attrs: Any) -> AnnotationRecord:
    return AnnotationRecord(AnnotationKind.KEYPOINTS, label, {"points": points}, attributes=attrs)


def _box(label: str, bbox: list[float], **attrs: Any) -> AnnotationRecord:
    return AnnotationRecord(AnnotationKind.BOX, label, {"bbox": bbox}, attributes=attrs)


def _options(*classes: LabelClass, **extra: Any) -> ExportOptions:
    return with_schema_keypoints(ExportOptions(extra=extra), classes)


PERSON = LabelClass("person", PALETTE[0], keypoints=("a", "b"))


def _export(tmp_path: Path, annotations: list[AnnotationRecord], options: ExportOptions) -> list[str]:
    item = ItemRecord(ItemKind.IMAGE, "a.jpg", width=100, height=50, annotations=annotations)
    dest = tmp_path / "out"
    with YoloExporter(dest, ["person", "car"], options) as exporter:
        exporter.write(ExportItem(record=item))
    return (dest / "labels" / "train" / "a.txt").read_text().splitlines()


def test_export_pairs_keypoints_with_their_box_and_fills_other_classes(tmp_path: Path) -> None:
    lines = _export(
        tmp_path,
        [
            _box("car", [0.0, 0.0, 10.0, 10.0]),
            _kp("person", [20.0, 10.0, 2, 30.0, 20.0, 1]),  # inside the person box below: one object
            _box("person", [10.0, 5.0, 40.0, 25.0]),
            _kp("person", [80.0, 40.0, 2, 0.0, 0.0, 0]),  # no box: the bounds of its one point, a pixel wide
            _kp("person", [0.0, 0.0, 0, 0.0, 0.0, 0]),  # nothing labelled: left out
        ],
        _options(PERSON),
    )
    assert lines == [
        "1 0.050000 0.100000 0.100000 0.200000 0 0 0 0 0 0",
        "0 0.250000 0.300000 0.300000 0.400000 0.200000 0.200000 2 0.300000 0.400000 1",
        "0 0.800000 0.800000 0.010000 0.020000 0.800000 0.800000 2 0 0 0",
    ]


def test_export_pairs_by_the_importers_link_before_position(tmp_path: Path) -> None:
    lines = _export(
        tmp_path,
        [
            _box("person", [0.0, 0.0, 100.0, 50.0], coco_group=1),
            _box("person", [10.0, 5.0, 40.0, 25.0], coco_group=2),
            _kp("person", [20.0, 10.0, 2, 30.0, 20.0, 2], coco_group=2),
        ],
        _options(PERSON),
    )
    assert lines[0].endswith(" 0 0 0 0 0 0") and lines[1].endswith(" 2 0.300000 0.400000 2")


def test_task_detect_leaves_keypoints_out(tmp_path: Path) -> None:
    lines = _export(tmp_path, [_box("person", [10.0, 5.0, 40.0, 25.0]), _kp("person", [20.0, 10.0, 2, 30.0, 20.0, 2])],
                    _options(PERSON, task="detect"))  # fmt: skip
    assert lines == ["0 0.250000 0.300000 0.300000 0.400000"]
    assert "kpt_shape" not in yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())


def test_classes_of_different_keypoint_counts_refuse_task_pose(tmp_path: Path) -> None:
    hand = LabelClass("hand", PALETTE[1], keypoints=("x", "y", "z"))
    with pytest.raises(ValidationError, match=r"declare different numbers of keypoints: 'person' 2, 'hand' 3"):
        YoloExporter(tmp_path / "out", ["person", "hand"], _options(PERSON, hand, task="pose"))
    with pytest.raises(ValidationError, match="task=pose needs a class that declares its keypoints"):
        YoloExporter(tmp_path / "out", ["person"], _options(task="pose"))
    # auto: no pose dataset then, the detection lines as before (the keypoints counted as left out)
    assert YoloExporter(tmp_path / "out", ["person", "hand"], _options(PERSON, hand)).pose_k is None


def test_keypoints_of_another_count_refuse_the_export(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"keypoints of class 'car' on item 'a\.jpg' have 3 points.*\[2, 3\]"):
        _export(tmp_path, [_kp("car", [1.0, 1.0, 2] * 3)], _options(PERSON))
    assert not (tmp_path / "out").exists()
