"""COCO frame by frame: video items leave as one COCO image per frame with their boxes and visible track boxes.

What a user sees: the JSON's images and annotations, the frames as image files under ``images/`` (an image
sequence's stored frames, a video file's frames decoded to JPEG), and the file read back by the COCO importer
as image items with boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import orjson
import pytest
from PIL import Image
from tests.builders import new_project, write_frames
from tests.formats._support import split_records
from tests.formats._video_support import SYSTEM, otb_project

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.coco import CocoExporter, CocoImporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

LABELS = ["walker", "car"]
SIZE = (32, 24)


def make_video(path: Path, frames: int) -> Path:
    """Write an MJPG AVI of ``frames`` solid frames (32x24), frame i of grey level 30 * i."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, SIZE)
    for i in range(frames):
        writer.write(np.full((SIZE[1], SIZE[0], 3), 30 * i, np.uint8))
    writer.release()
    return path


def track_box(frame: int, tid: int, *, keyframe: bool = True, outside: bool = False) -> AnnotationRecord:
    return AnnotationRecord(
        AnnotationKind.TRACK_BOX, "walker", {"bbox": [1.0 + frame, 2.0, 10.5 + frame, 12.0]}, frame=frame,
        track_id=tid, attributes={"keyframe": keyframe, "outside": outside},
    )  # fmt: skip


def video_items(tmp_path: Path) -> list[ItemRecord]:
    """Return an image sequence (5 frames), a video file (7 frames) and an image, with annotations.

    The sequence has track 1 on frames 0-2 (frame 1 propagated, frame 2 outside), a polygon of track 1 on frame 0,
    a car box on frame 3 outside any track, and a class annotation without a frame; the video file has track 3
    on frames 5 and 6.
    """
    frames = write_frames(tmp_path / "media" / "seq", 5, SIZE)
    video = make_video(tmp_path / "media" / "v.avi", 7)
    image = tmp_path / "media" / "a.png"
    Image.new("RGB", SIZE, (0, 0, 200)).save(image)
    polygon = AnnotationRecord(AnnotationKind.POLYGON, "walker", {"points": [2.0, 3.0, 9.0, 3.0, 5.0, 11.0]}, frame=0,
                               track_id=1)  # fmt: skip
    car = AnnotationRecord(AnnotationKind.BOX, "car", {"bbox": [0.0, 0.0, 5.0, 4.0]}, frame=3)
    sequence_anns = [track_box(0, 1), polygon, track_box(1, 1, keyframe=False), track_box(2, 1, outside=True), car,
                     AnnotationRecord(AnnotationKind.CLASS, "car")]  # fmt: skip
    return [
        ItemRecord(kind=ItemKind.VIDEO, name="clips/seq", width=32, height=24, frame_count=5, fps=10.0,
                   media_path=frames[0], frame_files=frames, annotations=sequence_anns),
        ItemRecord(kind=ItemKind.VIDEO, name="v.avi", width=32, height=24, frame_count=7, fps=10.0, media_path=video,
                   annotations=[track_box(5, 3), track_box(6, 3, keyframe=False)]),
        ItemRecord(kind=ItemKind.IMAGE, name="photos/a.png", width=32, height=24, media_path=image,
                   annotations=[AnnotationRecord(AnnotationKind.BOX, "car", {"bbox": [4.0, 4.0, 8.0, 8.0]})]),
    ]  # fmt: skip


def export_coco(dest: Path, items: list[ItemRecord], *, copy_media: bool = True) -> dict[str, Any]:
    with CocoExporter(dest, LABELS, ExportOptions(copy_media=copy_media)) as exporter:
        for rec in items:
            exporter.write(ExportItem(record=rec, media_file=rec.media_path, frame_files=rec.frame_files))
    loaded: dict[str, Any] = orjson.loads(dest.read_bytes())
    return loaded


def test_video_items_become_one_image_per_frame_with_their_boxes(tmp_path: Path) -> None:
    items = video_items(tmp_path)
    out = export_coco(tmp_path / "out" / "instances.json", items)

    images = out["images"]
    assert len(images) == 5 + 7 + 1 and len({i["id"] for i in images}) == 13
    assert images[0] == {"id": 1, "file_name": "clips/seq/000000.png", "width": 32, "height": 24,
                         "video": "clips/seq", "frame_index": 0}  # fmt: skip
    assert [i["file_name"] for i in images[5:12]] == [f"v.avi/{n:06d}.jpg" for n in range(7)]
    assert [i["frame_index"] for i in images[:12]] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]
    assert images[12] == {"id": 13, "file_name": "photos/a.png", "width": 32, "height": 24}
    by_id = {i["id"]: i["file_name"] for i in images}

    anns = {(by_id[a["image_id"]], a["category_id"]): a for a in out["annotations"]}
    assert len(out["annotations"]) == 6  # frame 2's box is outside; the class annotation has no frame
    # Track 1 on frame 0: its box and its polygon are one object, with the track in the attributes.
    first = anns[("clips/seq/000000.png", 1)]
    assert first["bbox"] == [1.0, 2.0, 9.5, 10.0] and first["segmentation"] == [[2.0, 3.0, 9.0, 3.0, 5.0, 11.0]]
    assert first["attributes"] == {"track_id": 1, "keyframe": True}
    assert anns[("clips/seq/000001.png", 1)]["attributes"] == {"track_id": 1, "keyframe": False}
    assert ("clips/seq/000002.png", 1) not in anns
    car = anns[("clips/seq/000003.png", 2)]
    assert car["bbox"] == [0.0, 0.0, 5.0, 4.0] and "attributes" not in car
    assert anns[("v.avi/000006.jpg", 1)]["attributes"] == {"track_id": 3, "keyframe": False}
    assert anns[("photos/a.png", 2)]["bbox"] == [4.0, 4.0, 4.0, 4.0]

    # The frames: the sequence's stored PNGs as they are, the video's decoded to JPEG, the image copied.
    media = tmp_path / "out" / "images"
    assert sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()) == sorted(by_id.values())
    for n, stored in enumerate(items[0].frame_files):
        assert (media / "clips" / "seq" / f"{n:06d}.png").read_bytes() == stored.read_bytes()
    for n in range(7):
        with Image.open(media / "v.avi" / f"{n:06d}.jpg") as im:
            assert (im.format, im.size) == ("JPEG", SIZE)
            assert abs(float(np.asarray(im).mean()) - 30 * n) < 6, n
    assert (media / "photos" / "a.png").read_bytes() == items[2].media_path.read_bytes()  # type: ignore[union-attr]


def test_the_export_imports_again_as_image_items_with_boxes(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "instances.json"
    export_coco(dest, video_items(tmp_path))
    with CocoImporter(dest, ImportOptions(media="link")) as importer:
        back, problems = split_records(importer)
    assert problems == []
    assert all(i.kind is ItemKind.IMAGE and i.media_path is not None and i.media_path.is_file() for i in back)
    frame0 = back[0]
    assert (frame0.name, frame0.meta) == ("clips/seq/000000.png", {"coco": {"video": "clips/seq", "frame_index": 0}})
    assert frame0.media_path == tmp_path / "out" / "images" / "clips" / "seq" / "000000.png"
    shown = [(a.kind, a.label, a.geometry) for a in frame0.annotations]
    assert shown == [(AnnotationKind.BOX, "walker", {"bbox": [1.0, 2.0, 10.5, 12.0]}),
                     (AnnotationKind.POLYGON, "walker", {"points": [2.0, 3.0, 9.0, 3.0, 5.0, 11.0]})]  # fmt: skip
    # Boxes, not tracks: COCO has neither frames nor track ids for the importer to read.
    assert all(a.frame is None and a.track_id is None for i in back for a in i.annotations)
    assert [len(i.annotations) for i in back] == [2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1]


def test_without_copy_media_only_the_json_is_written(tmp_path: Path) -> None:
    out = export_coco(tmp_path / "out" / "instances.json", video_items(tmp_path), copy_media=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["instances.json"]
    assert [i["file_name"] for i in out["images"]][4:7] == [
        "clips/seq/000004.png",
        "v.avi/000000.jpg",
        "v.avi/000001.jpg",
    ]
    assert len(out["images"]) == 13 and len(out["annotations"]) == 6


def test_otb_project_exports_frame_by_frame_and_imports_as_images(hub: Hub, otb_crossing: Path, tmp_path: Path) -> None:
    pid = otb_project(hub, otb_crossing)
    dest = tmp_path / "coco" / "crossing.json"
    report = export_project(hub, SYSTEM, pid, dest, fmt="coco", options=ExportOptions(copy_media=True))
    assert (report.items, report.annotations) == (1, 120)
    out = orjson.loads(dest.read_bytes())
    assert len(out["images"]) == 120 and len(out["annotations"]) == 120
    assert out["images"][0]["file_name"] == "crossing/000000.jpg"
    assert out["annotations"][0]["bbox"] == [204.0, 150.0, 17.0, 50.0]  # OTB's first box, 205,151 1-based
    assert out["categories"] == [{"id": 1, "name": "person", "supercategory": ""}]

    again = new_project(hub, "frames", ItemKind.IMAGE)
    back = import_source(hub, SYSTEM, again, dest, fmt="coco", options=ImportOptions(media="link"))
    assert (back.items_added, back.annotations_added, back.labels) == (120, 120, ["person"])


def test_annotations_on_frames_that_do_not_decode_stop_the_export(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", 7)
    # The record says 10 frames (a container's estimate); only 7 decode.
    rec = ItemRecord(kind=ItemKind.VIDEO, name="v.avi", width=32, height=24, frame_count=10, media_path=video,
                     annotations=[track_box(2, 1)])  # fmt: skip
    out = export_coco(tmp_path / "ok" / "a.json", [rec])
    assert [i["frame_index"] for i in out["images"]] == list(range(7))  # what decodes
    rec.annotations.append(track_box(8, 1))
    with pytest.raises(FormatError, match=r"item 'v\.avi' has annotations on frame 8, but only frames 0 to 6") as err:
        export_coco(tmp_path / "bad" / "a.json", [rec])
    assert err.value.context["item"] == "v.avi"
    assert not (tmp_path / "bad").exists()


def test_media_names_that_would_collide_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    items = video_items(tmp_path)
    clash = ItemRecord(kind=ItemKind.IMAGE, name="v.avi/000000.jpg", width=32, height=24,
                       media_path=items[2].media_path)  # fmt: skip
    with pytest.raises(FormatError, match=r"item 'v\.avi/000000\.jpg' would overwrite another item's media"):
        export_coco(tmp_path / "out" / "a.json", [items[1], clash])
    assert not (tmp_path / "out").exists()
    (tmp_path / "full" / "images").mkdir(parents=True)
    (tmp_path / "full" / "images" / "keep.txt").write_text("mine")
    with pytest.raises(FormatError, match="already exists and is not an empty folder"):
        export_coco(tmp_path / "full" / "a.json", items)
    assert sorted(p.name for p in (tmp_path / "full").rglob("*")) == ["images", "keep.txt"]
