"""YOLO export: one kind of line per label file, segmentation round trips, data.yaml splits, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError, ValidationError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.coco import CocoImporter
from labelhub.formats.yolo import YoloExporter, YoloImporter


def test_coco128_segment_task_writes_polygon_lines_only(coco128: Path, tmp_path: Path) -> None:
    with CocoImporter(coco128, ImportOptions(media="link")) as importer:
        original, _ = split_records(importer)
        labels = importer.labels()
    out = tmp_path / "seg"
    with YoloExporter(out, labels, ExportOptions(extra={"task": "segment"})) as exporter:
        for item in original:
            exporter.write(ExportItem(record=item))
    lines = [line.split() for f in (out / "labels" / "train2017").glob("*.txt") for line in f.read_text().splitlines()]
    assert all(len(t) >= 7 and len(t) % 2 == 1 for t in lines)
    polygons = sum(1 for i in original for a in i.annotations if a.kind is AnnotationKind.POLYGON)
    # Crowd objects have an RLE mask instead of polygons: their boxes go out as four-corner polygons.
    boxes_alone = sum(
        1
        for i in original
        for b in i.annotations
        if b.kind is AnnotationKind.BOX
        if not any(
            p.attributes.get("coco_id") == b.attributes["coco_id"]
            for p in i.annotations
            if p.kind is AnnotationKind.POLYGON
        )
    )
    assert boxes_alone == 10
    assert len(lines) == polygons + boxes_alone == 1048 + 10


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
    assert data == {"path": "", "train": "images/train", "val": "images/val", "names": {0: "cat", 1: "dog"}}
    assert list(data) == ["path", "train", "val", "names"]
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


def _polygon_items(root: Path, make_image: Callable[..., Path]) -> list[ItemRecord]:
    """Three small images with polygons (one of them a 40-point circle-ish shape), in train, val and test."""
    shapes: list[tuple[str, int, int, str, list[list[float]]]] = [
        ("a.png", 80, 60, "train", [[10.5, 5.25, 70.0, 5.0, 40.0, 55.5]]),
        ("sub/b.jpg", 33, 17, "val", [[0.0, 0.0, 33.0, 0.0, 33.0, 17.0, 0.0, 17.0], [3.3, 2.2, 9.9, 2.2, 6.6, 8.8]]),
        ("c.png", 120, 90, None, []),
    ]
    ring = []
    for k in range(40):
        ring += [60 + 40 * ((k % 20) / 20) * (1 if k < 20 else -1) * 0.9, 45 + (k % 7) * 5.5]
    items = []
    for name, w, h, split, polygons in shapes:
        make_image(root / name, w, h)
        item = ItemRecord(kind=ItemKind.IMAGE, name=name, width=w, height=h, split=split, media_path=root / name)
        for n, pts in enumerate(polygons or [ring]):
            item.annotations.append(AnnotationRecord(AnnotationKind.POLYGON, ("cat", "dog")[n % 2], {"points": pts}))
        items.append(item)
    return items


def test_segmentation_round_trip_keeps_every_polygon_within_a_pixel(
    tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    items = _polygon_items(tmp_path / "src", make_image)
    out = tmp_path / "out"
    with YoloExporter(out, ["dog", "cat"], ExportOptions(copy_media=True)) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item, media_file=item.media_path))
    assert (
        out / "labels" / "train" / "a.txt"
    ).read_text() == "1 0.131250 0.087500 0.875000 0.083333 0.500000 0.925000\n"
    assert (out / "images" / "val" / "sub" / "b.jpg").is_file()
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data == {
        "path": "",
        "train": "images/train",
        "val": "images/val",
        "names": {0: "dog", 1: "cat"},
    }
    # c.png has no split, so it went to train.
    assert (out / "labels" / "train" / "c.txt").is_file()

    with YoloImporter(out / "data.yaml", ImportOptions()) as importer:
        back, problems = split_records(importer)
    assert problems == []
    by_name = {i.name: i for i in back}
    assert sorted(by_name) == ["a.png", "c.png", "sub/b.jpg"]
    assert (by_name["a.png"].split, by_name["sub/b.jpg"].split, by_name["c.png"].split) == ("train", "val", "train")
    for item in items:
        got = by_name[item.name].annotations
        assert [(a.kind, a.label) for a in got] == [(a.kind, a.label) for a in item.annotations]
        for want, have in zip(item.annotations, got, strict=True):
            assert len(have.geometry["points"]) == len(want.geometry["points"])
            assert have.geometry["points"] == pytest.approx(want.geometry["points"], abs=1.0)


def _object(item: ItemRecord, label: str, box: list[float], polygon: list[float] | None, oid: int | None) -> None:
    attrs: dict[str, Any] = {} if oid is None else {"coco_id": oid}
    item.annotations.append(AnnotationRecord(AnnotationKind.BOX, label, {"bbox": box}, attributes=dict(attrs)))
    if polygon is not None:
        item.annotations.append(AnnotationRecord(AnnotationKind.POLYGON, label, {"points": polygon}, attributes=attrs))


@pytest.mark.parametrize(
    ("task", "want"),
    [
        # The cat has a box and a polygon (one object): one line for it, never two, and never mixed kinds.
        ("auto", ["0 0.250000 0.250000 0.300000 0.300000", "1 0.700000 0.700000 0.200000 0.200000"]),
        ("detect", ["0 0.250000 0.250000 0.300000 0.300000", "1 0.700000 0.700000 0.200000 0.200000"]),
        (
            "segment",
            [
                "0 0.100000 0.100000 0.400000 0.100000 0.250000 0.400000",
                "1 0.600000 0.600000 0.800000 0.600000 0.800000 0.800000 0.600000 0.800000",
            ],
        ),
    ],
)
def test_one_kind_of_line_per_file(tmp_path: Path, task: str, want: list[str]) -> None:
    for linked in (True, False):
        item = ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=100, height=100)
        _object(item, "cat", [10.0, 10.0, 40.0, 40.0], [10.0, 10.0, 40.0, 10.0, 25.0, 40.0], 1 if linked else None)
        _object(item, "dog", [60.0, 60.0, 80.0, 80.0], None, 2 if linked else None)
        out = tmp_path / f"{task}-{linked}"
        with YoloExporter(out, ["cat", "dog"], ExportOptions(extra={"task": task})) as exporter:
            exporter.write(ExportItem(record=item))
        assert (out / "labels" / "train" / "a.txt").read_text().splitlines() == want


def test_detect_task_keeps_a_polygon_without_a_box_as_its_bounding_box(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=100, height=50)
    _object(item, "cat", [0.0, 0.0, 20.0, 20.0], None, None)
    # A dog polygon: no dog box holds it (the cat box does, but it is another class).
    item.annotations.append(
        AnnotationRecord(AnnotationKind.POLYGON, "dog", {"points": [5.0, 5.0, 15.0, 5.0, 10.0, 15.0]})
    )
    with YoloExporter(tmp_path / "out", ["cat", "dog"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=item))
    lines = (tmp_path / "out" / "labels" / "train" / "a.txt").read_text().splitlines()
    assert lines == ["0 0.100000 0.200000 0.200000 0.400000", "1 0.100000 0.200000 0.100000 0.200000"]


def test_unknown_task_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="task must be one of auto, detect, segment, pose, got 'obb'") as err:
        YoloExporter(tmp_path / "out", [], ExportOptions(extra={"task": "obb"}))
    assert err.value.context["field"] == "task"


def test_other_split_names_keep_their_own_data_yaml_key(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    items = []
    for n, split in enumerate(("train", "valid", "test", "holdout")):
        make_image(tmp_path / "src" / f"{n}.png", 20, 10)
        item = ItemRecord(kind=ItemKind.IMAGE, name=f"{n}.png", width=20, height=10, split=split)
        item.annotations.append(AnnotationRecord(AnnotationKind.BOX, "cat", {"bbox": [2.0, 2.0, 8.0, 6.0]}))
        items.append(item)
    out = tmp_path / "out"
    with YoloExporter(out, ["cat"], ExportOptions(copy_media=True)) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item, media_file=tmp_path / "src" / item.name))
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert [(k, data[k]) for k in ("train", "val", "test", "holdout")] == [
        ("train", "images/train"),
        ("val", "images/valid"),
        ("test", "images/test"),
        ("holdout", "images/holdout"),
    ]
    with YoloImporter(out / "data.yaml", ImportOptions()) as importer:
        back, problems = split_records(importer)
    assert problems == []
    assert sorted((i.name, i.split, len(i.annotations)) for i in back) == [
        ("0.png", "train", 1),
        ("1.png", "valid", 1),
        ("2.png", "test", 1),
        ("3.png", "holdout", 1),
    ]


def test_without_a_train_split_data_yaml_names_only_folders_that_exist(
    tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    make_image(tmp_path / "src" / "a.png", 20, 10)
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=20, height=10, split="holdout")
    item.annotations.append(AnnotationRecord(AnnotationKind.BOX, "cat", {"bbox": [2.0, 2.0, 8.0, 6.0]}))
    out = tmp_path / "out"
    with YoloExporter(out, ["cat"], ExportOptions(copy_media=True)) as exporter:
        exporter.write(ExportItem(record=item, media_file=tmp_path / "src" / "a.png"))
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"], data["holdout"]) == ("images/holdout",) * 3
    assert all((out / data[k]).is_dir() for k in ("train", "val"))
    with YoloImporter(out / "data.yaml", ImportOptions()) as importer:
        back, problems = split_records(importer)
    assert problems == [] and [(i.name, len(i.annotations)) for i in back] == [("a.png", 1)]


def test_a_split_named_like_a_data_yaml_key_is_refused(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=10, height=10, split="names")
    with (
        pytest.raises(FormatError, match=r"clashes with a data\.yaml key"),
        YoloExporter(tmp_path / "out", ["cat"], ExportOptions()) as exporter,
    ):
        exporter.write(ExportItem(record=item))
    assert list(tmp_path.iterdir()) == []
