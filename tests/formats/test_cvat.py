"""CVAT for images and for video 1.1: real data through a project and back, the XML spec's shapes, and hostile XML."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import cv2
import numpy as np
import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._cvat_support import IMAGE_BODY, cvat_xml
from tests.formats._support import split_records
from tests.formats._video_support import SYSTEM, otb_boxes, otb_project, project_tracks, within_a_pixel

from labelhub.domain.enums import AnnotationKind, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.domain.schema import LabelSchema
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions, detect_format
from labelhub.formats.cvat import CvatImagesExporter, CvatImagesImporter
from labelhub.formats.cvat_video import CvatVideoExporter, CvatVideoImporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item, Project


def test_reads_every_shape_of_the_spec_with_typed_attributes(tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "annotations.xml", IMAGE_BODY)
    assert detect_format(tmp_path).name == "cvat_images"
    with CvatImagesImporter(tmp_path, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
        labels, meta = importer.labels(), importer.schema_meta()
    assert problems == []
    assert labels == ["car", "plate", "good_frame"]
    colours = [(lab["name"], lab["color"]) for lab in meta["cvat"]["labels"]]
    assert colours == [("car", "#ff0000"), ("plate", "#00ff00"), ("good_frame", "#0000ff")]
    assert [a["input_type"] for a in meta["cvat"]["labels"][0]["attributes"]] == ["checkbox", "number", "select"]

    first, second = items
    assert (first.name, first.width, first.height, first.split) == ("sub/a.jpg", 640, 480, "train")
    assert first.external_id == "0"
    assert (second.name, second.annotations) == ("b.jpg", [])
    box, polygon, points, tag, rotated = first.annotations
    assert (box.kind, box.label, box.geometry) == (AnnotationKind.BOX, "car", {"bbox": [10.5, 20.0, 110.25, 80.0]})
    assert box.attributes == {
        "occluded": True, "z_order": 4, "group_id": 2, "parked": True, "speed": 42, "colour": "blue"
    }  # fmt: skip
    assert box.origin == f"{src.name}: line 23"
    assert (polygon.kind, polygon.geometry["points"]) == (AnnotationKind.POLYGON, [1, 2, 30, 2, 30, 12.5, 1, 12])
    assert polygon.attributes == {"occluded": False}
    assert (points.kind, points.geometry["points"], points.source) == (
        AnnotationKind.KEYPOINTS, [5, 6, 2, 7, 8, 2], Source.MODEL
    )  # fmt: skip
    assert (tag.kind, tag.label, tag.geometry, tag.attributes) == (AnnotationKind.CLASS, "good_frame", {}, {})
    # A box turned 90 degrees about its centre (120, 110): 40x20 becomes 20x40.
    assert rotated.kind is AnnotationKind.POLYGON and rotated.attributes["rotation"] == 90.0
    xs, ys = rotated.geometry["points"][0::2], rotated.geometry["points"][1::2]
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx((110, 130, 90, 130))


def test_export_declares_labels_and_reads_back_the_same(tmp_path: Path) -> None:
    cvat_xml(tmp_path / "in.xml", IMAGE_BODY)
    with CvatImagesImporter(tmp_path / "in.xml", ImportOptions(media="none")) as importer:
        items, _ = split_records(importer)
        labels, meta = importer.labels(), importer.schema_meta()
    out = tmp_path / "out.xml"
    with CvatImagesExporter(out, labels, ExportOptions(extra={"format_meta": meta})) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item))
    root = ElementTree.parse(out).getroot()
    assert root.findtext("version") == "1.1"
    declared = [(lab.findtext("name"), lab.findtext("color")) for lab in root.iter("label")]
    assert declared == [("car", "#ff0000"), ("plate", "#00ff00"), ("good_frame", "#0000ff")]
    rotated = root.findall("image")[0].findall("box")[1]
    assert (rotated.get("xtl"), rotated.get("ytl"), rotated.get("rotation")) == ("100.00", "100.00", "90.00")

    with CvatImagesImporter(out, ImportOptions(media="none")) as again:
        items2, problems = split_records(again)
    assert problems == []
    for a, b in zip(items[0].annotations, items2[0].annotations, strict=True):
        assert (a.kind, a.label, a.attributes, a.source) == (b.kind, b.label, b.attributes, b.source)
        key = "bbox" if "bbox" in a.geometry else "points"
        assert b.geometry.get(key, []) == pytest.approx(a.geometry.get(key, []), abs=0.01)


def _boxes_by_image(hub: Hub, pid: int) -> dict[str, list[tuple[str, list[float]]]]:
    with hub.db.session() as s:
        rows = s.execute(
            select(Item.name, Annotation.label, Annotation.geometry)
            .join(Annotation, Annotation.item_id == Item.id)
            .where(Item.project_id == pid, Annotation.kind == AnnotationKind.BOX.value)
        ).all()
    out: dict[str, list[tuple[str, list[float]]]] = defaultdict(list)
    for name, label, geometry in rows:
        out[name].append((label, geometry["bbox"]))
    return {k: sorted(v) for k, v in out.items()}


def test_coco128_through_cvat_images_keeps_every_box(hub: Hub, coco128: Path, tmp_path: Path) -> None:
    first = new_project(hub, "coco128")
    import_source(hub, SYSTEM, first, coco128, fmt="coco")
    dest = tmp_path / "cvat"
    report = export_project(hub, SYSTEM, first, dest, fmt="cvat_images", options=ExportOptions(copy_media=True))
    assert report.items == 128
    assert len(list((dest / "images").iterdir())) == 128
    assert detect_format(dest).name == "cvat_images"

    second = new_project(hub, "from-cvat")
    import_source(hub, SYSTEM, second, dest, fmt="cvat_images", options=ImportOptions(media="link"))
    want, got = _boxes_by_image(hub, first), _boxes_by_image(hub, second)
    assert sum(len(v) for v in want.values()) == 939
    assert got.keys() == want.keys()
    for name, boxes in want.items():
        assert [label for label, _ in got[name]] == [label for label, _ in boxes], name
        for (_, g), (_, w) in zip(got[name], boxes, strict=True):
            assert within_a_pixel(g, w), (name, g, w)
    with hub.db.session() as s:
        schemas = [LabelSchema.from_json(s.get_one(Project, pid).label_schema).names for pid in (first, second)]
    assert schemas[1] == schemas[0] and len(schemas[0]) == 80


def test_otb_track_through_cvat_video_and_back(hub: Hub, otb_crossing: Path, tmp_path: Path) -> None:
    pid = otb_project(hub, otb_crossing)
    dest = tmp_path / "cvat"
    export_project(hub, SYSTEM, pid, dest, fmt="cvat_video", options=ExportOptions(copy_media=True))
    xml = dest / "crossing" / "annotations.xml"
    boxes = ElementTree.parse(xml).getroot().findall("track/box")
    assert len(boxes) == 120  # the track reaches the last frame: no closing box
    assert all(b.get("keyframe") == "1" and b.get("outside") == "0" for b in boxes)
    assert len(list((dest / "crossing" / "images").iterdir())) == 120
    assert detect_format(dest / "crossing").name == "cvat_video"
    assert detect_format(dest).name == "cvat_video"  # the export's own folder, a task folder per video

    again = new_project(hub, "again", ItemKind.VIDEO)
    report = import_source(hub, SYSTEM, again, dest, fmt="auto", options=ImportOptions(media="link"))
    assert (report.items_added, report.annotations_added) == (1, 120)
    items, tracks = project_tracks(hub, again)
    assert items == [("crossing", 120, 120)]
    assert set(tracks) == {"person"} and {tid for tid, _ in tracks["person"]} == {1}
    want = otb_boxes(otb_crossing)
    assert sorted(f for _, f in tracks["person"]) == list(range(120))
    for (_, frame), box in tracks["person"].items():
        assert within_a_pixel(box, want[frame]), frame


def _track_box(frame: int, tid: int, x: float, *, keyframe: bool = True, outside: bool = False) -> AnnotationRecord:
    return AnnotationRecord(
        AnnotationKind.TRACK_BOX, "car", {"bbox": [x, 10.0, x + 20, 30.0]}, frame=frame, track_id=tid,
        attributes={"keyframe": keyframe, "outside": outside, "occluded": False, "speed": frame},
    )  # fmt: skip


def _video(annotations: list[AnnotationRecord], frames: int = 10) -> ItemRecord:
    return ItemRecord(
        kind=ItemKind.VIDEO, name="clip", width=64, height=48, frame_count=frames, annotations=annotations
    )


def _tracks_xml(path: Path) -> list[list[dict[str, str]]]:
    root = ElementTree.parse(path).getroot()
    return [[dict(b.attrib) for b in t.findall("box")] for t in root.findall("track")]


def test_video_export_closes_tracks_like_cvat_and_a_round_trip_keeps_the_boxes(tmp_path: Path) -> None:
    # Track 3 runs frames 0-2, pauses, and runs 5-6 (not keyframes); track 0 reaches the last frame.
    anns = [_track_box(f, 3, 5.0 + f, keyframe=f < 5) for f in (0, 1, 2, 5, 6)] + [_track_box(9, 0, 1.0)]
    first = tmp_path / "first.xml"
    with CvatVideoExporter(first, ["car"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=_video(anns)))
    track0, track3 = _tracks_xml(first)
    assert [(b["frame"], b["outside"], b["keyframe"]) for b in track3] == [
        ("0", "0", "1"), ("1", "0", "1"), ("2", "0", "1"), ("3", "1", "1"), ("5", "0", "0"), ("6", "0", "0"),
        ("7", "1", "1"),
    ]  # fmt: skip
    assert track3[3]["xtl"] == track3[2]["xtl"]  # a closing box keeps the last place
    assert [(b["frame"], b["outside"]) for b in track0] == [("9", "0")]

    with CvatVideoImporter(first, ImportOptions(media="none")) as importer:
        (item,), problems = split_records(importer)
    assert problems == [] and (item.name, item.frame_count, item.width, item.height) == ("clip", 10, 64, 48)
    visible = {(a.track_id, a.frame): a for a in item.annotations if not a.attributes["outside"]}
    assert visible.keys() == {(a.track_id, a.frame) for a in anns}
    for a in anns:
        b = visible[(a.track_id, a.frame)]
        assert (b.kind, b.label, b.geometry, b.attributes) == (a.kind, a.label, a.geometry, a.attributes)
    closing = sorted(a.frame or 0 for a in item.annotations if a.attributes["outside"])
    assert closing == [3, 7]

    second = tmp_path / "second.xml"
    with CvatVideoExporter(second, ["car"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=item))
    assert _tracks_xml(second) == [track0, track3]


def test_video_shapes_outside_tracks_are_per_frame_annotations(tmp_path: Path) -> None:
    body = """  <track id="7" label="car" source="auto">
    <box frame="1" xtl="1" ytl="2" xbr="3" ybr="4" outside="0" occluded="1" keyframe="1">
      <attribute name="speed">3.5</attribute>
    </box>
  </track>
  <image id="2" name="frame_000002"><box label="plate" occluded="0" xtl="5" ytl="5" xbr="9" ybr="9" /></image>"""
    src = cvat_xml(tmp_path / "v.xml", body, size=4, mode="interpolation")
    with CvatVideoImporter(src, ImportOptions(media="none")) as importer:
        (item,), problems = split_records(importer)
    assert problems == []
    box, frame_box = item.annotations
    assert (box.kind, box.track_id, box.frame, box.source) == (AnnotationKind.TRACK_BOX, 7, 1, Source.MODEL)
    assert box.attributes == {"occluded": True, "speed": 3.5, "keyframe": True, "outside": False}
    assert (frame_box.kind, frame_box.label, frame_box.frame) == (AnnotationKind.BOX, "plate", 2)
    assert frame_box.track_id is None

    out = tmp_path / "out"
    with CvatVideoExporter(out, ["car", "plate"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=item))
    with CvatVideoImporter(out, ImportOptions(media="none")) as importer:
        (again,), _ = split_records(importer)
    # Track 7 ends on frame 1 of 4, so the export closes it on frame 2; the frame's own box stays on its own.
    closing = (AnnotationKind.TRACK_BOX, "car", 2, 7, {**box.attributes, "outside": True})
    want = [(a.kind, a.label, a.frame, a.track_id, a.attributes) for a in (box, frame_box)]
    assert [(a.kind, a.label, a.frame, a.track_id, a.attributes) for a in again.annotations] == [
        want[0],
        closing,
        want[1],
    ]


def test_video_frames_come_from_images_or_a_video_file(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    src = cvat_xml(tmp_path / "task" / "annotations.xml", "", size=3, mode="interpolation")
    for i in (1, 2, 10):
        make_image(tmp_path / "task" / "images" / f"f_{i}.png", 40, 30)
    with CvatVideoImporter(tmp_path / "task", ImportOptions()) as importer:
        (item,), _ = split_records(importer)
    assert [p.name for p in item.frame_files] == ["f_1.png", "f_2.png", "f_10.png"]  # numbers sort as numbers
    assert (item.frame_count, item.width, item.height, item.media_path) == (3, 640, 480, item.frame_files[0])

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 12.0, (32, 24))
    for i in range(3):
        writer.write(np.full((24, 32, 3), i * 60, np.uint8))
    writer.release()
    extra: dict[str, Any] = {"video": str(video)}
    with CvatVideoImporter(src, ImportOptions(media="link", extra=extra)) as importer:
        (item,), problems = split_records(importer)
    assert problems == []
    assert (item.media_path, item.frame_files, item.frame_count, item.fps) == (video, [], 3, pytest.approx(12.0))


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('<track id="1" label="car"><box frame="4" xtl="1" ytl="1" xbr="2" ybr="2" outside="0" occluded="0" '
         'keyframe="1" /></track>', 22, "frame 4 is beyond the video's 4 frames"),
        ('<track id="1" label="car" /><track id="1" label="car" />', 22, "duplicate track id 1 (first at line 22)"),
        ('<track id="1" label="car">\n<box frame="0" xtl="1" ytl="1" xbr="2" ybr="2" outside="0" occluded="0" />\n'
         '<box frame="0" xtl="1" ytl="1" xbr="2" ybr="2" outside="0" occluded="0" /></track>', 24,
         "two shapes on frame 0"),
        ('<track id="x" label="car" />', 22, "id must be an integer"),
        ('<track id="1" label="bus" />', 22, "label 'bus' is not declared"),
        ('<track id="1" label="car"><polyline frame="0" points="1,1;2,2" outside="0" occluded="0" /></track>', 22,
         "<polyline> shapes are not supported"),
    ],
)  # fmt: skip
def test_bad_video_tracks_are_problems_naming_file_and_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    src = cvat_xml(tmp_path / "v.xml", body, size=4, mode="interpolation")
    with CvatVideoImporter(src, ImportOptions(media="none")) as importer:
        _, problems = split_records(importer)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].line) == (str(src), line)
    assert words in problems[0].message


def test_frame_folder_must_match_the_task_size(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    src = cvat_xml(tmp_path / "annotations.xml", "", size=5, mode="interpolation")
    make_image(tmp_path / "images" / "frame_000000.png")
    with CvatVideoImporter(src, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert items == []
    assert (problems[0].file, problems[0].field) == (str(src), "meta.task.size")
    assert "says the task has 5 frames" in problems[0].message


@pytest.mark.parametrize(
    ("body", "line", "field", "words"),
    [
        ('<image id="0" name="a.jpg"><box label="car" xtl="nan" ytl="1" xbr="2" ybr="2" /></image>', 22, "xtl",
         "finite number"),
        ('<image id="0" name="a.jpg"><box label="car" xtl="5" ytl="1" xbr="2" ybr="2" /></image>', 22, "xbr",
         "empty or inverted"),
        ('<image id="0" name="a.jpg">\n<box label="truck" xtl="1" ytl="1" xbr="2" ybr="2" /></image>', 23, "label",
         "label 'truck' is not declared"),
        ('<image id="0" name="a.jpg"><polygon label="car" points="1,1;2,x" /></image>', 22, "points", "finite"),
        ('<image id="0" name="a.jpg"><polygon label="car" points="1,1;2,2" /></image>', 22, "points", "3 points"),
        ('<image id="0" name="../../etc/passwd" />', 22, "name", "relative path without '..'"),
        ('<image id="0" name="/etc/passwd" />', 22, "name", "relative path without '..'"),
        ('<image id="0" name="a.jpg" />\n<image id="1" name="a.jpg" />', 23, None, "listed twice"),
        ('<track id="0" label="car" />', 22, "track", "belong to CVAT for video"),
    ],
)  # fmt: skip
def test_bad_image_shapes_are_problems_naming_file_and_line(
    tmp_path: Path, body: str, line: int, field: str | None, words: str
) -> None:
    src = cvat_xml(tmp_path / "a.xml", body)
    with CvatImagesImporter(src, ImportOptions(media="none")) as importer:
        _, problems = split_records(importer)
    assert [(p.file, p.line, p.field) for p in problems] == [(str(src), line, field)]
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("prolog", "words"),
    [
        ('<!DOCTYPE annotations [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n', "DTD or an entity"),
        ('<!DOCTYPE annotations SYSTEM "file:///etc/passwd">\n', "DTD or an entity"),
    ],
)
def test_dtds_and_entities_are_refused_naming_the_file(tmp_path: Path, prolog: str, words: str) -> None:
    src = cvat_xml(tmp_path / "evil.xml", '<image id="0" name="a.jpg" />', prolog=prolog)
    with pytest.raises(FormatError, match=words) as err:
        CvatImagesImporter(src, ImportOptions(media="none")).labels()
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), 2)


def test_malformed_xml_and_wrong_root_name_file_and_line(tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "cut.xml", '<image id="0" name="a.jpg">\n<box label="car"')
    with pytest.raises(FormatError, match="not well-formed XML") as err:
        list(CvatImagesImporter(src, ImportOptions(media="none")))
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), 24)
    other = tmp_path / "voc.xml"
    other.write_text("<annotation>\n  <filename>a.jpg</filename>\n</annotation>\n")
    with pytest.raises(FormatError, match="its root is <annotation>") as err:
        list(CvatImagesImporter(other, ImportOptions(media="none")))
    assert err.value.context["file"] == str(other)
    assert detect_format(tmp_path / "cut.xml").name == "cvat_images"


def test_missing_image_file_is_a_problem(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "images" / "sub" / "a.jpg", 640, 480)  # the size IMAGE_BODY declares
    cvat_xml(tmp_path / "annotations.xml", IMAGE_BODY)
    with CvatImagesImporter(tmp_path, ImportOptions(media="link")) as importer:
        items, problems = split_records(importer)
    assert [i.name for i in items] == ["sub/a.jpg"] and items[0].media_path == tmp_path / "images" / "sub" / "a.jpg"
    assert [(p.line, p.field) for p in problems] == [(33, "name")] and "'b.jpg' not found" in problems[0].message


def test_failed_exports_leave_nothing_behind(tmp_path: Path) -> None:
    image = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=10, height=10)
    with (
        pytest.raises(FormatError, match="export videos as cvat_video"),
        CvatImagesExporter(tmp_path / "out" / "cvat", ["x"], ExportOptions()) as exporter,
    ):
        exporter.write(ExportItem(record=image))
        exporter.write(ExportItem(record=_video([])))
    with (
        pytest.raises(FormatError, match="can hold one video"),
        CvatVideoExporter(tmp_path / "out" / "v.xml", ["x"], ExportOptions()) as video_exporter,
    ):
        video_exporter.write(ExportItem(record=_video([])))
        video_exporter.write(ExportItem(record=_video([])))
    assert list(tmp_path.iterdir()) == []
