"""COCO annotations' ``attributes`` object (CVAT's COCO layout) through a project and back."""

from __future__ import annotations

from pathlib import Path

import orjson
from tests.builders import new_project
from tests.formats._attribute_support import annotation_values, declare
from tests.formats._video_support import SYSTEM

from labelhub.domain.attributes import AttributeSpec
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

NONE = ImportOptions(media="none")


def _coco(path: Path) -> Path:
    box = {"image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 20], "area": 200, "iscrowd": 0, "segmentation": []}
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "car", "supercategory": ""}],
        "annotations": [
            {**box, "id": 1, "attributes": {"occluded": True, "colour": "blue", "speed": 3, "note": "x",
                                            "track_id": 5, "keyframe": True, "coco_id": 99}},
            {**box, "id": 2, "attributes": {"colour": "red", "speed": 7.5, "parked": 1}},
            {**box, "id": 3},
        ],
    }  # fmt: skip
    path.write_bytes(orjson.dumps(data))
    return path


def test_attributes_objects_come_in_and_declared_ones_go_out(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "coco-attrs")
    import_source(hub, SYSTEM, pid, _coco(tmp_path / "in.json"), fmt="coco", options=NONE)
    got = {
        a["coco_id"]: {k: v for k, v in a.items() if k not in ("iscrowd", "coco_id")}
        for *_, a in annotation_values(hub, pid)
    }
    # values as given; the keys COCO keeps to itself (track_id, keyframe, coco_id) are not taken from the object
    assert got == {
        1: {"occluded": True, "colour": "blue", "speed": 3, "note": "x"},
        2: {"colour": "red", "speed": 7.5, "parked": 1},
        3: {},
    }

    declare(
        hub, pid,
        AttributeSpec("colour", "select", ("red", "blue")), AttributeSpec("speed", "number"),
        AttributeSpec("parked", "bool"),
    )  # fmt: skip
    out = tmp_path / "out.json"
    export_project(hub, SYSTEM, pid, out, fmt="coco")
    written = {a["id"]: a.get("attributes") for a in orjson.loads(out.read_bytes())["annotations"]}
    assert written == {
        1: {"occluded": True, "colour": "blue", "speed": 3},  # "note" is declared nowhere: not written
        2: {"colour": "red", "speed": 7.5, "parked": 1},
        3: None,
    }

    again = new_project(hub, "coco-attrs-again")
    import_source(hub, SYSTEM, again, out, fmt="coco", options=NONE)
    back = {a["coco_id"]: a for *_, a in annotation_values(hub, again)}
    before = {a["coco_id"]: a for *_, a in annotation_values(hub, pid)}
    for cid, attrs in before.items():
        assert back[cid] == {k: v for k, v in attrs.items() if k != "note"}, cid
