"""YOLO txt: COCO128's YOLO labels, COCO -> YOLO -> COCO on real data, layouts, and broken lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.coco import CocoExporter, CocoImporter
from labelhub.formats.yolo import YoloExporter, YoloImporter


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

    by_name = {i.name: i for i in back}
    assert by_name.keys() == {i.name for i in original}
    total = 0
    for item in original:
        remaining = list(by_name[item.name].annotations)
        assert len(remaining) == len(item.annotations)
        for ann in item.annotations:
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
    assert total == 939


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


def test_export_writes_normalised_lines_and_empty_label_files(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="sub/a.jpg", width=200, height=100, split="val")
    item.annotations.append(AnnotationRecord(AnnotationKind.BOX, "dog", {"bbox": [20.0, 10.0, 60.0, 50.0]}))
    empty = ItemRecord(kind=ItemKind.IMAGE, name="b.jpg", width=10, height=10)
    dest = tmp_path / "out"
    with YoloExporter(dest, ["cat", "dog"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=item))
        exporter.write(ExportItem(record=empty))
    assert (dest / "labels" / "val" / "sub" / "a.txt").read_text() == "1 0.200000 0.300000 0.200000 0.400000\n"
    assert (dest / "labels" / "train" / "b.txt").read_text() == ""
    data = yaml.safe_load((dest / "data.yaml").read_text())
    assert data == {"path": ".", "val": "images/val", "train": "images/train", "names": {0: "cat", 1: "dog"}}
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_failed_export_leaves_nothing_behind(tmp_path: Path) -> None:
    good = ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=10, height=10)
    good.annotations.append(AnnotationRecord(AnnotationKind.BOX, "cat", {"bbox": [1.0, 1.0, 5.0, 5.0]}))
    sizeless = ItemRecord(kind=ItemKind.IMAGE, name="b.jpg")
    with (
        pytest.raises(FormatError, match=r"'b\.jpg' has no width/height"),
        YoloExporter(tmp_path / "new" / "out", ["cat"], ExportOptions()) as exporter,
    ):
        exporter.write(ExportItem(record=good))
        exporter.write(ExportItem(record=sizeless))
    assert list(tmp_path.iterdir()) == []
