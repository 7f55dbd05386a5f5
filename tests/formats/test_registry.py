"""The format registry: every entry loads, and detection picks the right format for the real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labelhub.errors import FormatError, ValidationError
from labelhub.formats import FORMATS, FormatExporter, FormatImporter, detect_format, get_format

IMPORT_ONLY = {"coco_captions", "label_studio"}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_loads_its_classes(name: str) -> None:
    spec = get_format(name)
    assert issubclass(spec.importer_class(), FormatImporter)
    if name in IMPORT_ONLY:
        with pytest.raises(ValidationError, match=f"format {name!r} has no exporter"):
            spec.exporter_class()
    else:
        assert issubclass(spec.exporter_class(), FormatExporter)


def test_the_formats_of_the_issue_are_all_there() -> None:
    assert set(FORMATS) == {"coco", "coco_captions", "yolo", "voc", "cvat_images", "cvat_video", "mot",
                            "label_studio", "text", "image_folder", "video", "webdataset"}  # fmt: skip


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="coco, coco_captions, cvat_images") as err:
        get_format("pascal")
    assert "webdataset, yolo" in err.value.detail


def test_detects_the_real_data(coco128: Path, banking77_train: Path, hymenoptera: Path) -> None:
    assert detect_format(coco128 / "annotations" / "instances_train2017.json").name == "coco"
    # The COCO128 folder also holds YOLO labels; COCO is tried first and wins.
    assert detect_format(coco128).name == "coco"
    assert detect_format(banking77_train).name == "text"
    assert detect_format(hymenoptera).name == "image_folder"


def test_detects_yolo_and_jsonl(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "ds" / "images" / "a.png")
    (tmp_path / "ds" / "labels").mkdir()
    assert detect_format(tmp_path / "ds").name == "yolo"
    (tmp_path / "d.yaml").write_text("names: [a, b]\ntrain: images\n")
    assert detect_format(tmp_path / "d.yaml").name == "yolo"
    (tmp_path / "t.jsonl").write_text('{"text": "hi"}\n')
    assert detect_format(tmp_path / "t.jsonl").name == "text"


def test_undetectable_source_names_the_choices(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(FormatError, match="choose it") as err:
        detect_format(tmp_path / "notes.txt")
    assert err.value.context["file"] == str(tmp_path / "notes.txt")
    assert "notes.txt; choose it" in str(err.value) and "--format" in str(err.value) and "coco" in str(err.value)
    json_list = tmp_path / "list.json"
    json_list.write_text("[1, 2, 3]")
    with pytest.raises(FormatError):
        detect_format(json_list)
