"""COCO segmentation: polygons, RLE masks (both forms), iscrowd and keypoints, in and out, and bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.builders import new_project
from tests.formats._coco_support import ann_entry, export_records, image_entry, write_coco
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ImportOptions
from labelhub.formats.coco import CocoImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

PERSON = {"id": 3, "name": "person", "supercategory": "", "keypoints": ["nose", "eye_l", "eye_r"], "skeleton": [[1, 2]]}
SEGM_CATEGORIES = [{"id": 1, "name": "cat", "supercategory": ""}, {"id": 2, "name": "dog", "supercategory": ""}, PERSON]


def _mask(x1: int, y1: int, x2: int, y2: int, height: int = 48, width: int = 64) -> np.ndarray[Any, Any]:
    mask = np.zeros((height, width), dtype=np.uint8, order="F")
    mask[y1:y2, x1:x2] = 1
    return mask


def _runs(mask: np.ndarray[Any, Any]) -> list[int]:
    """Uncompressed COCO counts: run lengths in column-major order, starting with a run of zeros."""
    flat = mask.flatten(order="F")
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    return counts


def _segm_dataset() -> tuple[list[Any], list[Any]]:
    crowd = _mask(10, 5, 30, 25)
    compressed = mask_utils.encode(_mask(0, 0, 8, 48))
    images = [image_entry(1), image_entry(2)]
    anns = [
        # Two polygon parts; COCO's area for polygons is their shoelace area (80 + 15).
        {"id": 10, "image_id": 1, "category_id": 1, "bbox": [2.0, 3.0, 15.5, 15.0], "area": 95.0, "iscrowd": 0,
         "segmentation": [[2.0, 3.0, 12.0, 3.0, 12.0, 11.0, 2.0, 11.0], [14.5, 12.0, 17.5, 12.0, 17.5, 18.0]]},
        # A crowd region as an uncompressed RLE whose written area is not its pixel count (COCO's crowds do that).
        {"id": 11, "image_id": 1, "category_id": 2, "bbox": [10.0, 5.0, 20.0, 20.0], "area": 380, "iscrowd": 1,
         "segmentation": {"size": [48, 64], "counts": _runs(crowd)}},
        # A compressed RLE string.
        {"id": 12, "image_id": 2, "category_id": 2, "bbox": [0.0, 0.0, 8.0, 48.0], "area": 384, "iscrowd": 1,
         "segmentation": {"size": [48, 64], "counts": compressed["counts"].decode()}},
        {"id": 13, "image_id": 2, "category_id": 3, "bbox": [10.0, 8.0, 10.0, 12.0], "area": 60.0, "iscrowd": 0,
         "segmentation": [[10.0, 8.0, 20.0, 8.0, 20.0, 20.0]], "keypoints": [12, 10, 2, 14, 9, 1, 0, 0, 0],
         "num_keypoints": 2},
        # No labelled keypoint: COCO writes zeros, and nothing is imported for them.
        {"id": 14, "image_id": 2, "category_id": 3, "bbox": [30.0, 8.0, 5.0, 6.0], "area": 30.0, "iscrowd": 0,
         "segmentation": [], "keypoints": [0, 0, 0, 0, 0, 0, 0, 0, 0], "num_keypoints": 0},
        {"id": 15, "image_id": 2, "category_id": 1, "bbox": [40.0, 30.0, 4.0, 5.0], "area": 20.0, "iscrowd": 0,
         "segmentation": []},
    ]  # fmt: skip
    return images, anns


def _read(src: Path, **extra: Any) -> tuple[list[ItemRecord], list[str], dict[str, Any]]:
    importer = CocoImporter(src, ImportOptions(media="none", extra=extra))
    with importer:
        items, problems = split_records(importer)
        labels, meta = importer.labels(), importer.schema_meta()
    assert problems == []
    return items, labels, meta


def test_polygons_masks_and_keypoints_are_read_as_their_own_kinds(tmp_path: Path) -> None:
    images, anns = _segm_dataset()
    src = write_coco(tmp_path / "segm.json", images, anns, SEGM_CATEGORIES)
    items, _, meta = _read(src)
    first, second = items
    assert [(a.kind, a.label, a.attributes.get("coco_id")) for a in first.annotations] == [
        (AnnotationKind.BOX, "cat", 10),
        (AnnotationKind.POLYGON, "cat", 10),
        (AnnotationKind.POLYGON, "cat", 10),
        (AnnotationKind.BOX, "dog", 11),
        (AnnotationKind.MASK, "dog", 11),
    ]
    assert first.annotations[2].geometry == {"points": [14.5, 12.0, 17.5, 12.0, 17.5, 18.0]}
    crowd_box, crowd_mask = first.annotations[3:]
    assert crowd_mask.geometry == {"size": [48, 64], "counts": _runs(_mask(10, 5, 30, 25))}
    assert crowd_mask.attributes == {"iscrowd": 1, "coco_id": 11}
    # The written area (380) is not the 400 pixels of the mask: the box keeps it for the export.
    assert crowd_box.attributes["coco_area"] == {"area": 380, "computed": 400.0}

    # The compressed string is decoded into the internal uncompressed counts, noting its form.
    mask = next(a for a in second.annotations if a.kind is AnnotationKind.MASK)
    assert mask.geometry == {"size": [48, 64], "counts": [0, 384, 2688]}
    assert mask.attributes == {"iscrowd": 1, "coco_id": 12, "coco_rle": "compressed"}
    keypoints = [a for a in second.annotations if a.kind is AnnotationKind.KEYPOINTS]
    assert [(k.label, k.geometry["points"]) for k in keypoints] == [("person", [12, 10, 2, 14, 9, 1, 0, 0, 0])]
    assert Counter(a.kind for a in second.annotations)[AnnotationKind.BOX] == 4
    person = meta["coco"]["categories"][2]
    assert (person["keypoints"], person["skeleton"]) == (PERSON["keypoints"], PERSON["skeleton"])


def test_segmentation_file_round_trips_exactly(tmp_path: Path) -> None:
    images, anns = _segm_dataset()
    src = write_coco(tmp_path / "segm.json", images, anns, SEGM_CATEGORIES)
    items, labels, meta = _read(src)
    dest = tmp_path / "out" / "segm.json"
    export_records(dest, items, labels, meta)
    out = orjson.loads(dest.read_bytes())
    assert out["categories"] == SEGM_CATEGORIES
    got = {a["id"]: a for a in out["annotations"]}
    assert got.keys() == {a["id"] for a in anns}
    for want in anns:
        have = got[want["id"]]
        for key in ("image_id", "category_id", "iscrowd", "segmentation"):
            assert have[key] == want[key], (want["id"], key)
        assert have["bbox"] == pytest.approx(want["bbox"], abs=1e-9)
        assert have["area"] == pytest.approx(want["area"], abs=1e-9)
        assert (have.get("keypoints"), have.get("num_keypoints")) == (want.get("keypoints"), want.get("num_keypoints"))
    # The export reads back to the same records.
    again, _, _ = _read(dest)
    assert [[(a.kind, a.label, a.geometry) for a in i.annotations] for i in again] == [
        [(a.kind, a.label, a.geometry) for a in i.annotations] for i in items
    ]


def test_boxes_only_option_keeps_the_area_on_export(tmp_path: Path) -> None:
    images, anns = _segm_dataset()
    src = write_coco(tmp_path / "segm.json", images, anns, SEGM_CATEGORIES)
    items, labels, meta = _read(src, segmentation="false")
    assert {a.kind for i in items for a in i.annotations} == {AnnotationKind.BOX}
    dest = tmp_path / "boxes.json"
    export_records(dest, items, labels, meta)
    out = {a["id"]: a for a in orjson.loads(dest.read_bytes())["annotations"]}
    assert {aid: a["area"] for aid, a in out.items()} == {a["id"]: a["area"] for a in anns}
    assert all(a["segmentation"] == [] for a in out.values())


def test_changed_geometry_gets_a_fresh_area(tmp_path: Path) -> None:
    images, anns = _segm_dataset()
    items, labels, meta = _read(write_coco(tmp_path / "segm.json", images, anns, SEGM_CATEGORIES))
    mask = items[0].annotations[4]
    mask.geometry = {"size": [48, 64], "counts": _runs(_mask(10, 5, 20, 25))}  # half the pixels now
    dest = tmp_path / "edited.json"
    export_records(dest, items, labels, meta)
    crowd = next(a for a in orjson.loads(dest.read_bytes())["annotations"] if a["id"] == 11)
    assert crowd["area"] == 200.0 and crowd["bbox"] == [10.0, 5.0, 20.0, 20.0]  # the box stays as it was


def test_shapes_drawn_without_a_box_become_their_own_annotations(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=64, height=48)
    item.annotations += [
        AnnotationRecord(AnnotationKind.POLYGON, "cat", {"points": [2.0, 4.0, 12.0, 4.0, 12.0, 10.0]}),
        AnnotationRecord(AnnotationKind.POLYGON, "cat", {"points": [20.0, 20.0, 30.0, 20.0, 30.0, 30.0]}),
        AnnotationRecord(AnnotationKind.MASK, "dog", {"size": [48, 64], "counts": _runs(_mask(4, 6, 9, 16))}),
        AnnotationRecord(AnnotationKind.KEYPOINTS, "person", {"points": [5.0, 6.0, 2.0, 9.0, 12.0, 1.0, 0, 0, 0]}),
        # Same COCO id as the first polygon but another label: a different object.
        AnnotationRecord(AnnotationKind.BOX, "dog", {"bbox": [1.0, 1.0, 3.0, 3.0]}, attributes={"coco_id": 7}),
        AnnotationRecord(AnnotationKind.POLYGON, "cat", {"points": [1.0, 1, 3, 1, 3, 3]}, attributes={"coco_id": 7}),
    ]  # fmt: skip
    dest = tmp_path / "drawn.json"
    export_records(dest, [item], ["cat", "dog"], {"coco": {"categories": SEGM_CATEGORIES}})
    out = orjson.loads(dest.read_bytes())["annotations"]
    assert [(a["category_id"], a["bbox"], a["area"]) for a in out] == [
        (1, [2.0, 4.0, 10.0, 6.0], 30.0),
        (1, [20.0, 20.0, 10.0, 10.0], 50.0),
        (2, [4.0, 6.0, 5.0, 10.0], 50.0),
        (3, [5.0, 6.0, 4.0, 6.0], 24.0),
        (2, [1.0, 1.0, 2.0, 2.0], 4.0),
        (1, [1.0, 1.0, 2.0, 2.0], 2.0),
    ]
    assert out[2]["segmentation"] == {"size": [48, 64], "counts": _runs(_mask(4, 6, 9, 16))}
    assert (out[3]["keypoints"], out[3]["num_keypoints"]) == ([5, 6, 2, 9, 12, 1, 0, 0, 0], 2)
    # Cats declare no keypoints, so their annotations carry none; the first object keeps COCO id 7.
    assert "keypoints" not in out[0] and out[4]["id"] == 7 and out[5]["id"] != 7


def test_unlabelled_polygon_cannot_be_exported(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=64, height=48)
    item.annotations.append(AnnotationRecord(AnnotationKind.POLYGON, None, {"points": [1.0, 1.0, 5.0, 1.0, 5.0, 5.0]}))
    with pytest.raises(FormatError, match=r"polygon of item 'a\.png' has no label"):
        export_records(tmp_path / "x.json", [item], ["cat"])
    assert list(tmp_path.iterdir()) == []


_RLE = {"size": [48, 64], "counts": [100, 2972]}


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"segmentation": [[1, 2, 3, 4, 5, 6, 7]]}, "segmentation[0]", "odd count of 7"),
        ({"segmentation": [[1, 2, 3, 4, 5, 6], [1, 2, 3, 4]]}, "segmentation[1]", "at least 3 points, got 2"),
        ({"segmentation": [[1, 2, "3", 4, 5, 6]]}, "segmentation[0]", "list of numbers"),
        ({"segmentation": [[1, 2, 99, 2, 50, 40]]}, "segmentation[0]", "past the image width 64"),
        ({"segmentation": [[1, 2, 9, 2, 5, 60]]}, "segmentation[0]", "past the image height 48"),
        ({"segmentation": [[-5, 2, 10, 2, 5, 8]]}, "segmentation[0]", "negative"),
        ({"segmentation": "polygon"}, "segmentation", "list of polygons or an RLE object"),
        ({"segmentation": {**_RLE, "size": [10, 10]}}, "segmentation.size", "10x10 (height x width) does not match"),
        ({"segmentation": {**_RLE, "size": [64, 48], "counts": [3072]}}, "segmentation.size", "does not match"),
        ({"segmentation": {**_RLE, "counts": [10, 20]}}, "segmentation.counts", "sum to 30, but a 48x64 mask"),
        ({"segmentation": {**_RLE, "counts": [-1, 3073]}}, "segmentation.counts", "non-negative"),
        ({"segmentation": {**_RLE, "counts": [2**32, 3072 - 2**32]}}, "segmentation.counts", "non-negative"),
        ({"segmentation": {**_RLE, "counts": [0, 2**32]}}, "segmentation.counts", "longer than pycocotools can hold"),
        ({"segmentation": {**_RLE, "counts": " !"}}, "segmentation.counts", "compressed RLE 'counts' string"),
        ({"segmentation": {**_RLE, "counts": "PP"}}, "segmentation.counts", "malformed"),  # ends inside a number
        ({"segmentation": {"counts": [3072]}}, "segmentation.size", "'size': [height, width]"),
        ({"category_id": 3, "keypoints": [1, 2, 2]}, "keypoints", "1 points but the category names 3"),
        ({"category_id": 3, "keypoints": [1, 2, 3, 0, 0, 0, 0, 0, 0]}, "keypoints", "visibility must be 0, 1 or 2"),
        ({"category_id": 3, "keypoints": [1, 2, 2, 90, 2, 2, 0, 0, 0]}, "keypoints", "outside the image 64x48"),
    ],
)
def test_bad_segmentation_is_a_problem_naming_the_annotation_field(
    tmp_path: Path, extra: dict[str, Any], field: str, words: str
) -> None:
    ann = {**ann_entry(1, 1), **extra}
    src = write_coco(tmp_path / "bad.json", [image_entry(1)], [ann_entry(9, 1), ann], SEGM_CATEGORIES)
    with CocoImporter(src, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
    assert [(p.file, p.field) for p in problems] == [(str(src), f"annotations[1].{field}")]
    assert words in problems[0].message
    # The bad annotation is left out whole; the good one on the same image stays.
    assert [a.attributes["coco_id"] for a in items[0].annotations] == [9]


def test_nan_in_a_polygon_names_the_line(tmp_path: Path) -> None:
    src = tmp_path / "nan.json"
    src.write_text(
        '{"images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],\n'
        ' "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4],\n'
        '   "segmentation": [[1, 2, NaN, 4, 5, 6]]}],\n'
        ' "categories": [{"id": 1, "name": "cat"}]}\n'
    )
    with pytest.raises(FormatError) as err:
        list(CocoImporter(src, ImportOptions(media="none")))
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), 3)


def test_coco128_round_trips_through_a_project(hub: Hub, coco128: Path, tmp_path: Path) -> None:
    pid = new_project(hub, "coco128-segm")
    report = import_source(hub, Actor.system(), pid, coco128, fmt="coco")
    assert (report.items_added, report.annotations_added) == (128, 939 + 1048 + 10)
    out = tmp_path / "out.json"
    export_project(hub, Actor.system(), pid, out, fmt="coco")

    original = orjson.loads((coco128 / "annotations" / "instances_train2017.json").read_bytes())
    exported = orjson.loads(out.read_bytes())

    def by_id(coco: dict[str, Any]) -> dict[int, tuple[str, str, dict[str, Any]]]:
        files = {i["id"]: i["file_name"] for i in coco["images"]}
        names = {c["id"]: c["name"] for c in coco["categories"]}
        return {a["id"]: (files[a["image_id"]], names[a["category_id"]], a) for a in coco["annotations"]}

    want, got = by_id(original), by_id(exported)
    assert len(got) == 939 and got.keys() == want.keys()
    polygons = masks = 0
    for aid, (name, label, a) in want.items():
        g_name, g_label, g = got[aid]
        assert (g_name, g_label, g["iscrowd"]) == (name, label, a["iscrowd"]), aid
        assert all(abs(p - q) <= 1.0 for p, q in zip(g["bbox"], a["bbox"], strict=True)), aid
        assert g["area"] == pytest.approx(a["area"], abs=1.0), aid
        if isinstance(a["segmentation"], dict):
            assert g["segmentation"] == a["segmentation"], aid
            masks += 1
        else:
            assert len(g["segmentation"]) == len(a["segmentation"]), aid
            for p, q in zip(g["segmentation"], a["segmentation"], strict=True):
                assert len(p) == len(q) and all(abs(u - v) <= 1.0 for u, v in zip(p, q, strict=True)), aid
            polygons += len(g["segmentation"])
    assert (polygons, masks) == (1048, 10)

    items, _, _ = _read(out)
    kinds = Counter(a.kind for i in items for a in i.annotations)
    assert kinds == {AnnotationKind.BOX: 939, AnnotationKind.POLYGON: 1048, AnnotationKind.MASK: 10}
