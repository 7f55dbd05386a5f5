"""The format registry: every entry loads, and detection picks the right format for the real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import data_path

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, ValidationError
from labelhub.formats import (
    FORMATS,
    FormatExporter,
    FormatImporter,
    check_format_for,
    detect_format,
    formats_for,
    get_format,
    kind_with_article,
)

IMPORT_ONLY = {"coco_captions"}


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
                            "label_studio", "text", "image_folder", "video", "webdataset", "nifti",
                            "dicom"}  # fmt: skip


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


def test_detection_tries_only_the_formats_of_the_projects_kind(
    coco128: Path, banking77_train: Path, hymenoptera: Path
) -> None:
    otb_frames = data_path("tracking_otb_crossing", "img")
    # In a video project a folder of images is an image sequence, not a folder of stills.
    assert detect_format(otb_frames, ItemKind.VIDEO).name == "video"
    assert detect_format(hymenoptera, ItemKind.VIDEO).name == "video"
    assert detect_format(hymenoptera, ItemKind.IMAGE).name == "image_folder"
    assert detect_format(coco128, ItemKind.IMAGE).name == "coco"
    assert detect_format(banking77_train, ItemKind.TEXT).name == "text"
    with pytest.raises(FormatError, match="choose it") as err:
        detect_format(banking77_train, ItemKind.VIDEO)
    assert err.value.detail.endswith("one of cvat_video, label_studio, mot, video, webdataset")


def test_a_format_that_cannot_make_the_projects_items_names_those_that_can() -> None:
    check_format_for(get_format("video"), ItemKind.VIDEO)  # fits: nothing raised
    with pytest.raises(ValidationError) as err:
        check_format_for(get_format("image_folder"), ItemKind.VIDEO)
    assert err.value.detail == (
        "the image_folder format makes image items and this is a video project;"
        " choose one of: cvat_video, label_studio, mot, video, webdataset"
    )
    assert err.value.context["field"] == "format"
    assert formats_for(ItemKind.TEXT) == ["label_studio", "text", "webdataset"]
    assert kind_with_article(ItemKind.IMAGE) == "an image"


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
