"""Label Studio per-region attributes (results sharing their region's id) through a project and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.builders import new_project
from tests.formats._attribute_support import annotation_values, declare, project_schema
from tests.formats._video_support import SYSTEM

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats._attributes import with_schema_attributes
from labelhub.formats.label_studio import LabelStudioExporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

NONE = ImportOptions(media="none")
SIZE = {"original_width": 200, "original_height": 100, "image_rotation": 0}
GEOMETRY = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}


def _attribute(rid: str, rtype: str, name: str, value: dict[str, Any]) -> dict[str, Any]:
    """A per-region result as Label Studio writes it: the region's id and geometry, the control's value."""
    return {"id": rid, "type": rtype, "from_name": name, "to_name": "image", **SIZE, "value": {**GEOMETRY, **value}}


def _tasks(path: Path) -> Path:
    box = {"id": "a1", "type": "rectanglelabels", "from_name": "label", "to_name": "image", **SIZE,
           "value": {**GEOMETRY, "rectanglelabels": ["car"]}}  # fmt: skip
    results = [
        box,
        _attribute("a1", "choices", "colour", {"choices": ["blue"]}),
        _attribute("a1", "number", "speed", {"number": 42}),
        _attribute("a1", "textarea", "note", {"text": ["dented", "left door"]}),
        _attribute("a1", "choices", "parked", {"choices": ["true"]}),
        {"id": "c9", "type": "choices", "from_name": "scene", "to_name": "image", "value": {"choices": ["street"]}},
    ]
    task = {"id": 1, "data": {"image": "/data/upload/1/deadbeef-a.jpg"}, "annotations": [{"result": results}]}
    path.write_bytes(orjson.dumps([task]))
    return path


SPECS = (
    AttributeSpec("colour", "select", ("red", "blue"), labels=("car",)),
    AttributeSpec("speed", "number"),
    AttributeSpec("note", "text"),
    AttributeSpec("parked", "bool"),
)


def test_region_attributes_come_in_and_go_out_with_their_region(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "ls-attrs")
    declare(hub, pid, *SPECS, classes=("car",))
    import_source(hub, SYSTEM, pid, _tasks(tmp_path / "in.json"), fmt="label_studio", options=NONE)
    assert project_schema(hub, pid)[0].names == ["car", "street"]  # an attribute's choice is no class
    (box,) = [a for _, label, _, a in annotation_values(hub, pid) if label == "car"]
    assert {k: box[k] for k in ("colour", "speed", "note", "parked")} == {
        "colour": "blue", "speed": 42, "note": "dented\nleft door", "parked": True
    }  # fmt: skip
    assert isinstance(box["parked"], bool)  # the project declares it a bool: Label Studio's choice "true" is True

    out = tmp_path / "out.json"
    export_project(hub, SYSTEM, pid, out, fmt="label_studio")
    (task,) = orjson.loads(out.read_bytes())
    results = task["annotations"][0]["result"]
    region = next(r for r in results if r["type"] == "rectanglelabels")
    held = {r["from_name"]: (r["type"], r["value"]) for r in results if r["id"] == region["id"] and r is not region}
    geometry = {k: region["value"][k] for k in ("x", "y", "width", "height", "rotation")}
    assert held == {
        "colour": ("choices", {**geometry, "choices": ["blue"]}),
        "speed": ("number", {**geometry, "number": 42}),
        "note": ("textarea", {**geometry, "text": ["dented\nleft door"]}),
        "parked": ("choices", {**geometry, "choices": ["true"]}),
    }

    again = new_project(hub, "ls-attrs-again")
    declare(hub, again, *SPECS, classes=("car",))
    import_source(hub, SYSTEM, again, out, fmt="label_studio", options=NONE)
    strip = ("ls_id", "ls_annotation_id")
    assert [{k: v for k, v in a.items() if k not in strip} for *_, a in annotation_values(hub, again)] == [
        {k: v for k, v in a.items() if k not in strip} for *_, a in annotation_values(hub, pid)
    ]


def test_a_tracks_attributes_are_its_first_boxs(tmp_path: Path) -> None:
    def box(frame: int, speed: int) -> AnnotationRecord:
        return AnnotationRecord(
            AnnotationKind.TRACK_BOX, "car", {"bbox": [1.0, 1.0, 9.0, 9.0]}, frame=frame, track_id=1,
            attributes={"keyframe": True, "outside": False, "speed": speed},
        )  # fmt: skip

    item = ItemRecord(
        kind=ItemKind.VIDEO, name="clip.mp4", width=64, height=48, frame_count=5, annotations=[box(3, 9), box(1, 4)]
    )
    out = tmp_path / "out.json"
    with LabelStudioExporter(out, ["car"], with_schema_attributes(ExportOptions(), SPECS)) as exporter:
        exporter.write(ExportItem(record=item))
    (task,) = orjson.loads(out.read_bytes())
    track, speed = task["annotations"][0]["result"]
    assert (track["type"], speed["id"], speed["type"], speed["value"]) == (
        "videorectangle", track["id"], "number", {"framesCount": 5, "number": 4}
    )  # fmt: skip
