"""COCO JSON: real COCO128 in and out, and every kind of broken input naming its field or line."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.formats._coco_support import ann_entry, export_records, image_entry, write_coco
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.coco import CocoExporter, CocoImporter


def test_coco128_reads_every_image_box_and_category(coco128: Path) -> None:
    importer = CocoImporter(coco128, ImportOptions())
    with importer:
        items, problems = split_records(importer)
        labels = importer.labels()
        meta = importer.schema_meta()
    assert problems == []
    assert len(items) == 128
    # Each COCO annotation gives its box; its 1,048 polygon parts and 10 crowd RLE masks come on top.
    kinds = Counter(a.kind for i in items for a in i.annotations)
    assert kinds == {AnnotationKind.BOX: 939, AnnotationKind.POLYGON: 1048, AnnotationKind.MASK: 10}
    assert len(labels) == 80 and labels[:3] == ["person", "bicycle", "car"] and labels[-1] == "toothbrush"
    cats = meta["coco"]["categories"]
    assert len(cats) == 80 and cats[-1] == {"id": 90, "name": "toothbrush", "supercategory": "indoor"}

    first = items[0]
    assert (first.name, first.external_id, first.width, first.height) == ("000000000009.jpg", "9", 640, 480)
    assert first.split == "train2017"
    assert first.media_path is not None and first.media_path.is_file()
    assert first.meta["coco"]["license"] == 3 and "flickr_url" in first.meta["coco"]
    # COCO [x, y, w, h] = [1.08, 187.69, 611.59, 285.84] becomes x1, y1, x2, y2.
    box = next(a for a in first.annotations if a.attributes["coco_id"] == 1038967)
    assert box.kind is AnnotationKind.BOX and box.label == "bowl"
    assert box.geometry["bbox"] == pytest.approx([1.08, 187.69, 612.67, 473.53])
    assert box.attributes == {"iscrowd": 0, "coco_id": 1038967}
    assert box.origin is not None and box.origin.startswith("instances_train2017.json: annotations[")
    assert sum(a.attributes["iscrowd"] for i in items for a in i.annotations if a.kind is AnnotationKind.BOX) == 10


def test_coco128_round_trip_keeps_boxes_names_and_category_ids(coco128: Path, tmp_path: Path) -> None:
    src = coco128 / "annotations" / "instances_train2017.json"
    original = json.loads(src.read_text())
    importer = CocoImporter(src, ImportOptions(media="none"))
    with importer:
        items, _ = split_records(importer)
        labels, meta = importer.labels(), importer.schema_meta()
    dest = tmp_path / "out" / "instances.json"
    export_records(dest, items, labels, meta)
    out = json.loads(dest.read_text())

    assert out["categories"] == original["categories"]
    assert [(i["id"], i["file_name"]) for i in out["images"]] == [(i["id"], i["file_name"]) for i in original["images"]]
    want = {a["id"]: a for a in original["annotations"]}
    got = {a["id"]: a for a in out["annotations"]}
    assert len(got) == 939 and got.keys() == want.keys()
    for aid, a in want.items():
        b = got[aid]
        assert (b["image_id"], b["category_id"], b["iscrowd"]) == (a["image_id"], a["category_id"], a["iscrowd"])
        assert b["bbox"] == pytest.approx(a["bbox"], abs=1e-6)

    # Importing the export again gives the same records.
    with CocoImporter(dest, ImportOptions(media="none")) as again:
        items2, problems2 = split_records(again)
    assert problems2 == []
    assert [i.name for i in items2] == [i.name for i in items]
    assert [(i.width, i.height, i.meta) for i in items2] == [(i.width, i.height, i.meta) for i in items]


def test_export_without_metadata_numbers_categories_in_label_order(tmp_path: Path) -> None:
    items = [
        ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=10, height=10, external_id="7"),
        ItemRecord(kind=ItemKind.IMAGE, name="b.png", width=10, height=10, external_id="7"),
        ItemRecord(kind=ItemKind.IMAGE, name="c.png", width=10, height=10, external_id="x"),
    ]
    items[1].annotations.append(AnnotationRecord(AnnotationKind.BOX, "zebra", {"bbox": [1.0, 2.0, 4.0, 8.0]}))
    items[2].annotations.append(AnnotationRecord(AnnotationKind.BOX, "new", {"bbox": [0.0, 0.0, 1.0, 1.0]}))
    dest = tmp_path / "out.json"
    export_records(dest, items, ["zebra", "ant"])
    out = json.loads(dest.read_text())
    assert out["categories"] == [
        {"id": 1, "name": "zebra", "supercategory": ""},
        {"id": 2, "name": "ant", "supercategory": ""},
        {"id": 3, "name": "new", "supercategory": ""},
    ]
    # Image 7 is reused once; the duplicate and the non-numeric id get the next free ids.
    assert [i["id"] for i in out["images"]] == [7, 1, 2]
    first = out["annotations"][0]
    assert first["bbox"] == [1.0, 2.0, 3.0, 6.0] and first["area"] == 18.0 and first["segmentation"] == []


def test_widths_and_areas_are_written_without_float_noise(tmp_path: Path) -> None:
    rec = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=640, height=480)
    rec.annotations.append(AnnotationRecord(AnnotationKind.BOX, "car", {"bbox": [181.42, 118.47, 325.37, 253.69]}))
    dest = tmp_path / "out.json"
    export_records(dest, [rec], ["car"])
    # 325.37 - 181.42 is 143.95000000000002 in floating point; the file says what a person would write.
    assert '"bbox":[181.42,118.47,143.95,135.22]' in dest.read_text().replace(" ", "")
    assert json.loads(dest.read_text())["annotations"][0]["area"] == 19464.919


def test_metadata_only_import_opens_no_media(tmp_path: Path) -> None:
    src = write_coco(tmp_path / "a.json", [image_entry(1), image_entry(2)], [ann_entry(1, 1), ann_entry(2, 2, 2)])
    with CocoImporter(src, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
    assert problems == []
    assert [(i.name, i.media_path, i.width, len(i.annotations)) for i in items] == [
        ("1.png", None, 64, 1),
        ("2.png", None, 64, 1),
    ]


def test_images_dir_and_missing_image_file(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    elsewhere = tmp_path / "pictures"
    make_image(elsewhere / "1.png")
    src = write_coco(tmp_path / "ann" / "a.json", [image_entry(1), image_entry(2)], [ann_entry(1, 1), ann_entry(2, 2)])
    with CocoImporter(src, ImportOptions(media="link", images_dir=elsewhere)) as importer:
        items, problems = split_records(importer)
    assert [i.name for i in items] == ["1.png"]
    assert items[0].media_path == elsewhere / "1.png"
    assert len(problems) == 1
    assert (problems[0].file, problems[0].field) == (str(src), "images[1].file_name")
    assert "2.png" in problems[0].message


@pytest.mark.parametrize(
    ("images", "annotations", "field", "words"),
    [
        ([image_entry(1), image_entry(1, "b.png")], [], "images[1].id", "duplicate image id 1"),
        (
            [image_entry(1)],
            [ann_entry(1, 1), ann_entry(2, 1, category_id=7)],
            "annotations[1].category_id",
            "unknown category_id 7",
        ),
        ([image_entry(1)], [ann_entry(5, 1), ann_entry(5, 1)], "annotations[1].id", "duplicate annotation id 5"),
        ([image_entry(1)], [ann_entry(1, 9)], "annotations[0].image_id", "unknown image_id 9"),
        ([image_entry(1)], [ann_entry(1, 1, bbox=[1, 2, 3])], "annotations[0].bbox", "4 finite numbers"),
        ([image_entry(1)], [ann_entry(1, 1, bbox=[1, 2, 0, 5])], "annotations[0].bbox", "width and height > 0"),
        ([image_entry(1)], [ann_entry(1, 1, bbox=[1, 2, "3", 5])], "annotations[0].bbox", "4 finite numbers"),
        ([image_entry(1, "../../etc/passwd")], [], "images[0].file_name", "relative path"),
    ],
)
def test_bad_records_are_problems_naming_the_field(
    tmp_path: Path, images: list[Any], annotations: list[Any], field: str, words: str
) -> None:
    src = write_coco(tmp_path / "bad.json", images, annotations)
    with CocoImporter(src, ImportOptions(media="none")) as importer:
        _, problems = split_records(importer)
    assert [(p.file, p.field) for p in problems] == [(str(src), field)]
    assert words in problems[0].message


def test_truncated_json_names_the_line(tmp_path: Path) -> None:
    text = orjson.dumps(
        {"images": [image_entry(1), image_entry(2)], "annotations": []}, option=orjson.OPT_INDENT_2
    ).decode()
    cut = text[: text.index('"id": 2')]  # the file ends inside the second image, on line 10
    src = tmp_path / "cut.json"
    src.write_text(cut)
    with pytest.raises(FormatError) as err:
        CocoImporter(src, ImportOptions()).labels()
    assert err.value.context["file"] == str(src)
    assert err.value.context["line"] == cut.count("\n") + 1 == 10


def test_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    src = tmp_path / "bad.json"
    src.write_text('{\n  "images": [\n    {"id": 1 "file_name": "a.png"}\n  ]\n}\n')
    with pytest.raises(FormatError) as err:
        list(CocoImporter(src, ImportOptions()))
    assert (err.value.context["line"], err.value.context["column"]) == (3, 14)


def test_folder_source_needs_one_annotation_file(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    write_coco(tmp_path / "annotations" / "a.json", [], [])
    write_coco(tmp_path / "annotations" / "b.json", [], [])
    with pytest.raises(FormatError, match=r"several \.json files"):
        CocoImporter(tmp_path, ImportOptions())


def test_failed_export_leaves_nothing_behind(tmp_path: Path) -> None:
    good = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=10, height=10)
    sizeless = ItemRecord(kind=ItemKind.IMAGE, name="b.png")
    with (
        pytest.raises(FormatError, match=r"b\.png"),
        CocoExporter(tmp_path / "new" / "out.json", ["x"], ExportOptions()) as exp,
    ):
        exp.write(ExportItem(record=good))
        exp.write(ExportItem(record=sizeless))
    assert list(tmp_path.iterdir()) == []


# --- segmentation: polygons, RLE masks, iscrowd and keypoints ---------------------------------------------------
