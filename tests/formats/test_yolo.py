"""YOLO txt: COCO128's YOLO labels, COCO -> YOLO -> COCO on real data, segmentation, layouts, and broken lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tests.builders import new_project
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.coco import CocoExporter, CocoImporter
from labelhub.formats.registry import detect_format
from labelhub.formats.yolo import YoloExporter, YoloImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source


def _dataset(root: Path, make_image: Callable[..., Path], lines: str, names: str = "cat\ndog\n") -> Path:
    """Write images/a.png (64x48) with labels/a.txt holding ``lines``, and classes.txt."""
    make_image(root / "images" / "a.png", 64, 48)
    (root / "labels").mkdir(parents=True)
    (root / "labels" / "a.txt").write_text(lines)
    (root / "classes.txt").write_text(names)
    return root


def test_coco128_yolo_labels(coco128: Path) -> None:
    options = ImportOptions(
        images_dir=coco128 / "images" / "train2017",
        extra={"labels_dir": str(coco128 / "labels_yolo" / "train2017")},
    )
    with YoloImporter(coco128, options) as importer:
        items, problems = split_records(importer)
        labels = importer.labels()
    assert len(labels) == 80 and labels[0] == "person" and labels[79] == "toothbrush"
    assert len(items) == 128 and {i.split for i in items} == {"train2017"}
    boxes = sum(len(i.annotations) for i in items)
    # The folder holds 941 label lines. Two label files (656, 659, 12 lines) have no image here, and two
    # images (250, 508) have no label file: 929 boxes land on images, the two orphans are reported.
    assert boxes == 929
    orphans = sorted(Path(p.file).name for p in problems if p.file)
    assert orphans == ["000000000656.txt", "000000000659.txt"]
    assert all("no matching image" in p.message for p in problems)
    orphan_lines = sum(len(Path(p.file).read_text().splitlines()) for p in problems if p.file)
    assert boxes + orphan_lines == 941
    assert sum(1 for i in items if not i.annotations) == 2

    first = items[0]
    assert (first.name, first.width, first.height) == ("000000000009.jpg", 640, 480)
    # Line 1: "45 0.479492 0.688771 0.955609 0.5955" -> cx*640 - w*640/2, ...
    assert first.annotations[0].label == "bowl"
    assert first.annotations[0].geometry["bbox"] == pytest.approx([1.08, 187.69, 612.67, 473.53], abs=0.01)
    assert first.annotations[0].origin == "train2017/000000000009.txt: line 1"


def test_coco128_root_is_found_without_options(coco128: Path) -> None:
    with YoloImporter(coco128, ImportOptions(media="link")) as importer:
        items, _ = split_records(importer)
    assert len(items) == 128 and sum(len(i.annotations) for i in items) == 929


def _boxes(item: ItemRecord) -> list[AnnotationRecord]:
    return [a for a in item.annotations if a.kind is AnnotationKind.BOX]


def _match_boxes(want: list[ItemRecord], got: list[ItemRecord], *, by_basename: bool = False) -> int:
    """Assert every box of ``want`` has one box in ``got`` with its label within 1 px, and nothing else; count them."""

    def key(item: ItemRecord) -> str:
        return Path(item.name).name if by_basename else item.name

    by_name = {key(i): i for i in got}
    assert by_name.keys() == {key(i) for i in want}
    total = 0
    for item in want:
        remaining = _boxes(by_name[key(item)])
        assert len(remaining) == len(_boxes(item)), item.name
        for ann in _boxes(item):
            match = next(
                (
                    b
                    for b in remaining
                    if b.label == ann.label
                    and all(abs(p - q) <= 1.0 for p, q in zip(b.geometry["bbox"], ann.geometry["bbox"], strict=True))
                ),
                None,
            )
            assert match is not None, f"{item.name}: {ann.label} {ann.geometry['bbox']} was lost"
            remaining.remove(match)
            total += 1
    return total


def test_coco_to_yolo_to_coco_keeps_every_box(coco128: Path, tmp_path: Path) -> None:
    importer = CocoImporter(coco128, ImportOptions(media="link"))
    with importer:
        original, problems = split_records(importer)
        labels, meta = importer.labels(), importer.schema_meta()
    assert problems == []

    yolo_dir = tmp_path / "yolo"
    with YoloExporter(yolo_dir, labels, ExportOptions(copy_media=True)) as exporter:
        for item in original:
            exporter.write(ExportItem(record=item, media_file=item.media_path))
    data = yaml.safe_load((yolo_dir / "data.yaml").read_text())
    assert data["train"] == "images/train2017" and data["val"] == "images/train2017"
    assert data["names"] == dict(enumerate(labels))
    assert len(list((yolo_dir / "images" / "train2017").iterdir())) == 128

    with YoloImporter(yolo_dir, ImportOptions()) as yolo:
        via_yolo, problems = split_records(yolo)
    assert problems == []
    coco_out = tmp_path / "back.json"
    with CocoExporter(coco_out, labels, ExportOptions(extra={"format_meta": meta})) as exporter:
        for item in via_yolo:
            exporter.write(ExportItem(record=item))
    with CocoImporter(coco_out, ImportOptions(media="none")) as again:
        back, problems = split_records(again)
    assert problems == []
    assert _match_boxes(original, back) == 939


def test_coco128_from_a_project_to_yolo_and_back_from_data_yaml(hub: Hub, coco128: Path, tmp_path: Path) -> None:
    pid = new_project(hub, "coco128")
    report = import_source(hub, Actor.system(), pid, coco128, fmt="coco")
    assert (report.items_added, report.format) == (128, "coco")
    out = tmp_path / "yolo"
    export_project(hub, Actor.system(), pid, out, fmt="yolo", options=ExportOptions(copy_media=True))

    # The Ultralytics layout: images/<split>/, labels/<split>/ and data.yaml naming the classes in project order.
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["path"] == "" and data["train"] == "images/train2017" and data["val"] == "images/train2017"
    assert "test" not in data
    assert data["names"][0] == "person" and data["names"][79] == "toothbrush" and len(data["names"]) == 80
    assert len(list((out / "images" / "train2017").glob("*.jpg"))) == 128
    label_files = sorted((out / "labels" / "train2017").glob("*.txt"))
    assert len(label_files) == 128
    # COCO gave each object a box and a polygon: the detection labels hold one box line per object.
    lines = [line.split() for f in label_files for line in f.read_text().splitlines()]
    assert len(lines) == 939 and {len(t) for t in lines} == {5}

    source = out / "data.yaml"
    assert detect_format(source).name == "yolo"
    with YoloImporter(source, ImportOptions()) as importer:
        back, problems = split_records(importer)
    assert problems == []
    with CocoImporter(coco128, ImportOptions(media="none")) as coco:
        original, _ = split_records(coco)
    assert _match_boxes(original, back) == 939
    assert {i.split for i in back} == {"train2017"}

    second = new_project(hub, "from-yolo")
    report = import_source(hub, Actor.system(), second, source)
    assert (report.format, report.items_added, report.annotations_added) == ("yolo", 128, 939)


def test_data_yaml_layout_with_splits(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    for split in ("train", "val"):
        make_image(tmp_path / "images" / split / f"{split}1.png", 100, 50)
        (tmp_path / "labels" / split).mkdir(parents=True)
        (tmp_path / "labels" / split / f"{split}1.txt").write_text("1 0.5 0.5 0.2 0.4\n")
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n")
    with YoloImporter(tmp_path / "data.yaml", ImportOptions()) as importer:
        items, problems = split_records(importer)
        assert importer.labels() == ["cat", "dog"]
    assert problems == []
    assert [(i.name, i.split) for i in items] == [("train1.png", "train"), ("val1.png", "val")]
    assert items[0].annotations[0].label == "dog"
    assert items[0].annotations[0].geometry["bbox"] == pytest.approx([40.0, 15.0, 60.0, 35.0])


def test_image_without_label_file_has_no_boxes(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _dataset(tmp_path, make_image, "0 0.5 0.5 0.5 0.5\n")
    make_image(tmp_path / "images" / "b.png")
    with YoloImporter(tmp_path, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert problems == []
    assert [(i.name, len(i.annotations)) for i in items] == [("a.png", 1), ("b.png", 0)]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("0 0.5 0.5 0.5", "got 4 values"),
        ("2 0.5 0.5 0.5 0.5", "class id 2 is not one of the 2 names"),
        ("-1 0.5 0.5 0.5 0.5", "class id -1"),
        ("0 0.5 abc 0.5 0.5", "not a number"),
        ("0 0.5 0.5 0 0.5", "must be > 0"),
        ("0 0.5 0.5 nan 0.5", "non-finite"),
        ("0 0.1 0.1 0.2 0.1 0.3 0.3 0.1", "polygon"),
        # An even count of 8 or more: a polygon with a confidence, or with a coordinate missing; not guessed.
        ("0 0.1 0.1 0.2 0.1 0.3 0.3 0.1 0.2 0.9", "got 10 values"),
        ("0 0.5", "got 2 values"),
        ("0 -0.2 0.5 0.5 0.5", "negative coordinate -0.2"),
        ("0 0.5 0.5 1.5 0.5", "coordinate 1.5 (value 4 of the line) is above 1"),
        ("0 32 24 10 10", "coordinate 32 (value 2 of the line) is above 1"),
        ("0 0.9 0.5 0.5 0.5", "extends outside the image"),
        ("1 0.5 0.5 0.5 0.5 1.7", "confidence 1.7"),
        ("5 0.1 0.1 0.5 0.1 0.5 0.5", "class id 5 is not one of the 2 names"),
        ("1.5 0.1 0.1 0.5 0.1 0.5 0.5", "class id 1.5"),
        ("0 0.1 0.1 0.5 0.1 inf 0.5", "non-finite"),
        ("0 0.1 0.1 0.5 -0.3 0.5 0.5", "negative coordinate -0.3 (value 5"),
        ("0 0.1 0.1 0.5 0.1 1.2 0.5", "coordinate 1.2 (value 6 of the line) is above 1"),
    ],
)
def test_bad_line_is_a_problem_naming_file_and_line(
    tmp_path: Path, make_image: Callable[..., Path], line: str, words: str
) -> None:
    _dataset(tmp_path, make_image, f"0 0.5 0.5 0.5 0.5\n{line}\n1 0.25 0.25 0.5 0.5\n")
    with YoloImporter(tmp_path, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert [(p.file, p.line) for p in problems] == [(str(tmp_path / "labels" / "a.txt"), 2)]
    assert words in problems[0].message
    # The good lines around it are kept.
    assert [a.label for a in items[0].annotations] == ["cat", "dog"]


def test_confidence_column_makes_a_model_proposal(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _dataset(tmp_path, make_image, "1 0.5 0.5 0.5 0.5 0.87\n")
    with YoloImporter(tmp_path, ImportOptions()) as importer:
        items, _ = split_records(importer)
    ann = items[0].annotations[0]
    assert (ann.score, ann.source.value, ann.state.value) == (0.87, "model", "proposed")


def test_metadata_only_import_is_refused(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _dataset(tmp_path, make_image, "")
    with pytest.raises(FormatError, match="needs the image files") as err:
        YoloImporter(tmp_path, ImportOptions(media="none"))
    assert err.value.context["field"] == "media"


def test_missing_class_names_is_a_format_error(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _dataset(tmp_path, make_image, "0 0.5 0.5 0.5 0.5\n")
    (tmp_path / "classes.txt").unlink()
    with pytest.raises(FormatError, match="no class names"):
        YoloImporter(tmp_path, ImportOptions())


def test_polygon_lines_become_polygons_in_pixels(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    # A triangle (7 values), a quadrilateral (9 values, also the shape of an oriented box) and a box.
    lines = "1 0.25 0.5 0.5 0.25 0.75 0.5\n0 0 0 1 0 1 1 0 1\n0 0.5 0.5 0.5 0.5\n"
    _dataset(tmp_path, make_image, lines)
    with YoloImporter(tmp_path, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert problems == []
    triangle, square, box = items[0].annotations
    assert (triangle.kind, triangle.label, square.kind, box.kind) == (
        AnnotationKind.POLYGON,
        "dog",
        AnnotationKind.POLYGON,
        AnnotationKind.BOX,
    )
    assert triangle.geometry["points"] == pytest.approx([16.0, 24.0, 32.0, 12.0, 48.0, 24.0])  # 64x48 image
    assert square.geometry["points"] == pytest.approx([0, 0, 64, 0, 64, 48, 0, 48])
    assert triangle.origin == "labels/a.txt: line 1"


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("train: ../outside\nval: images/val\n", "train"),
        ("train: images/train\nval: /etc\n", "val"),
        ("train: images/train\nval: [images/train, ../../x]\n", "val"),
    ],
)
def test_data_yaml_folders_outside_the_dataset_are_refused(tmp_path: Path, yaml_text: str, field: str) -> None:
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "data.yaml").write_text(yaml_text + "names: [cat]\n")
    with pytest.raises(FormatError, match="must be a folder inside the dataset") as err:
        YoloImporter(tmp_path / "data.yaml", ImportOptions())
    assert err.value.context["field"] == field and err.value.context["file"] == str(tmp_path / "data.yaml")


def test_data_yaml_path_outside_is_not_followed(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    elsewhere = tmp_path / "elsewhere"
    make_image(elsewhere / "images" / "train" / "secret.png")
    dataset = tmp_path / "dataset"
    make_image(dataset / "images" / "train" / "mine.png")
    (dataset / "data.yaml").write_text(f"path: {elsewhere}\ntrain: images/train\nval: images/train\nnames: [cat]\n")
    with YoloImporter(dataset / "data.yaml", ImportOptions()) as importer:
        items, _ = split_records(importer)
    assert [i.name for i in items] == ["mine.png"]


def test_label_file_that_is_not_utf8_is_a_problem(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _dataset(tmp_path, make_image, "")
    (tmp_path / "labels" / "a.txt").write_bytes(b"0 0.5 0.5 0.5 0.5\n\xff\xfe\n")
    with YoloImporter(tmp_path, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert items == [] and [p.file for p in problems] == [str(tmp_path / "labels" / "a.txt")]
    assert "cannot read the label file" in problems[0].message
    assert "not valid UTF-8 (byte 0xff at line 2, column 1)" in problems[0].message and problems[0].line == 2


def test_names_option_is_a_comma_list_and_names_file_a_file(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    """QA docs finding 1: ``-o names=cat,dog`` made one class per character (c, a, t, ",", ...)."""
    root = _dataset(tmp_path / "ds", make_image, "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n", names="x\ny\n")

    def read(**extra: str) -> tuple[list[str], list[str | None]]:
        with YoloImporter(root, ImportOptions(media="link", extra=extra)) as importer:
            items, _ = split_records(importer)
            return importer.labels(), [a.label for a in items[0].annotations]

    assert read() == (["x", "y"], ["x", "y"])  # the dataset's classes.txt
    assert read(names="cat, dog") == (["cat", "dog"], ["cat", "dog"])
    (tmp_path / "names.yaml").write_text("names: {0: lion, 1: tiger}\n")
    assert read(names_file=str(tmp_path / "names.yaml")) == (["lion", "tiger"], ["lion", "tiger"])
    (tmp_path / "names.txt").write_text("ant\nbee\n")
    assert read(names_file=str(tmp_path / "names.txt")) == (["ant", "bee"], ["ant", "bee"])

    for extra, message in [
        ({"names": str(tmp_path / "names.yaml")}, "not a file"),
        ({"names": "cat,,dog"}, "an empty class name"),
        ({"names": "cat", "names_file": str(tmp_path / "names.txt")}, "not both"),
        ({"names_file": str(tmp_path / "none.txt")}, "is not a file"),
    ]:
        with pytest.raises(FormatError, match=message):
            read(**extra)


def test_labels_dir_without_an_images_folder_says_which_option_is_missing(coco128: Path) -> None:
    options = ImportOptions(extra={"labels_dir": str(coco128 / "labels_yolo" / "train2017")})
    with pytest.raises(FormatError, match=r"labels_dir needs the images' folder as well \(--images-dir"):
        YoloImporter(coco128, options).labels()
