"""Exporting projects: what the result reports, and the media an export with ``copy_media`` writes.

What a user sees: the export's result (the CLI line and the job summary show ``items`` and ``annotations``; the
result also lists ``annotations_skipped``, the annotations the format had no place for, by kind), the files in
the destination, and an error naming the items whose media could not be copied.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image
from sqlalchemy import select
from tests.builders import new_project, write_frames

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats import ExportOptions, ImportOptions, detect_format
from labelhub.formats.base import MediaMode
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.services import jobs
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_records, import_source
from labelhub.storage.models import Item, Job

SYSTEM = Actor.system()
W, H = 64, 48
LABELS = ["cat", "dog", "good"]


def _ann(kind: AnnotationKind, label: str | None, geometry: dict[str, Any], **kw: Any) -> AnnotationRecord:
    return AnnotationRecord(kind, label, geometry, **kw)


def mixed_images(root: Path) -> list[ItemRecord]:
    """Two 64x48 images on disk with every kind of image annotation, six in all.

    ``a.png``: a cat box and its polygon (one object, as COCO's importer links them), a ``good`` tag, and dog
    keypoints;
    ``b.png``: a dog polygon alone and a cat mask.
    """
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(("a.png", "b.png")):
        Image.new("RGB", (W, H), (60 * i, 90, 120)).save(root / name)
    a = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=W, height=H, media_path=root / "a.png", annotations=[
        _ann(AnnotationKind.BOX, "cat", {"bbox": [10.0, 10.0, 40.0, 30.0]}, attributes={"coco_id": 7}),
        _ann(AnnotationKind.POLYGON, "cat", {"points": [12.0, 12.0, 38.0, 12, 38.0, 28.0]}, attributes={"coco_id": 7}),
        _ann(AnnotationKind.CLASS, "good", {}),
        _ann(AnnotationKind.KEYPOINTS, "dog", {"points": [20.0, 20.0, 2, 30.0, 25.0, 2]}),
    ])  # fmt: skip
    b = ItemRecord(kind=ItemKind.IMAGE, name="b.png", width=W, height=H, media_path=root / "b.png", annotations=[
        _ann(AnnotationKind.POLYGON, "dog", {"points": [5.0, 5.0, 30.0, 5.0, 30.0, 20.0, 5.0, 20.0]}),
        _ann(AnnotationKind.MASK, "cat", {"size": [H, W], "counts": [100, 50, W * H - 150]}),
    ])  # fmt: skip
    return [a, b]


def image_project(hub: Hub, root: Path, *, media: MediaMode = "link") -> int:
    """An image project holding :func:`mixed_images` (media linked in place unless ``media`` says otherwise)."""
    pid = new_project(hub, "mixed")
    report = import_records(hub, SYSTEM, pid, mixed_images(root), labels=LABELS, format_name="test",
                            options=ImportOptions(media=media))  # fmt: skip
    assert (report.items_added, report.annotations_added) == (2, 6)
    return pid


def video_record(root: Path, *, fps: float | None = 12.5) -> ItemRecord:
    """A three-frame image sequence with a track (visible on frames 0-1, outside on 2), a box and a polygon on
    frames, and a tag of the whole video: six annotations."""
    frames = write_frames(root / "clip", 3, (W, H))
    track = [
        _ann(AnnotationKind.TRACK_BOX, "cat", {"bbox": [1.0 + f, 2.0, 20.0 + f, 22.0]}, frame=f, track_id=4,
             attributes={"keyframe": f == 0, "outside": f == 2})
        for f in range(3)
    ]  # fmt: skip
    return ItemRecord(kind=ItemKind.VIDEO, name="clip", width=W, height=H, frame_count=3, fps=fps,
                      media_path=frames[0], frame_files=frames, annotations=[
        *track,
        _ann(AnnotationKind.BOX, "dog", {"bbox": [30.0, 5.0, 50.0, 25.0]}, frame=1),
        _ann(AnnotationKind.POLYGON, "dog", {"points": [5.0, 5.0, 30.0, 5.0, 30.0, 20.0]}, frame=0),
        _ann(AnnotationKind.CLASS, "good", {}),
    ])  # fmt: skip


def video_project(hub: Hub, root: Path, *, fps: float | None = 12.5) -> int:
    pid = new_project(hub, "video", ItemKind.VIDEO)
    report = import_records(hub, SYSTEM, pid, [video_record(root, fps=fps)], labels=LABELS, format_name="test",
                            options=ImportOptions(media="link"))  # fmt: skip
    assert (report.items_added, report.annotations_added) == (1, 6)
    return pid


def label_lines(dest: Path) -> list[str]:
    return [line for f in sorted((dest / "labels").rglob("*.txt")) for line in f.read_text().splitlines()]


# --- the annotation count: what was written, and what the format left out -------------------------------------


def test_yolo_export_reports_the_lines_it_wrote_and_what_it_left_out(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "yolo"
    report = export_project(hub, SYSTEM, pid, dest, fmt="yolo")
    # a.png has boxes, so it gets detection lines: the cat box (its polygon is the same object); b.png has only a
    # polygon, so it gets a segmentation line. Tags, keypoints and masks have no YOLO line.
    assert len(label_lines(dest)) == 2
    assert (report.items, report.annotations) == (2, 2)
    assert report.annotations_skipped == {"class": 1, "keypoints": 1, "mask": 1, "polygon": 1}
    shown = report.to_json()
    assert (shown["annotations"], shown["annotations_skipped"]) == (2, {"class": 1, "keypoints": 1, "mask": 1,
                                                                        "polygon": 1})  # fmt: skip


def test_yolo_segment_task_counts_the_box_of_a_polygon_as_left_out(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "yolo"
    report = export_project(hub, SYSTEM, pid, dest, fmt="yolo", options=ExportOptions(extra={"task": "segment"}))
    assert len(label_lines(dest)) == report.annotations == 2  # the cat polygon and the dog polygon
    assert report.annotations_skipped == {"box": 1, "class": 1, "keypoints": 1, "mask": 1}


# (item kind, format, destination name, annotations written, left out by kind); six annotations in all.
COUNTS = [
    ("image", "coco", "out.json", 5, {"class": 1}),
    ("image", "voc", "voc", 1, {"class": 1, "keypoints": 1, "mask": 1, "polygon": 2}),
    ("image", "cvat_images", "out.xml", 5, {"mask": 1}),
    ("image", "image_folder", "folder", 1, {"box": 1, "keypoints": 1, "mask": 1, "polygon": 2}),
    ("image", "webdataset", "shards", 6, {}),
    # Tracks keep their outside box; the tag of the whole video has no frame to go on.
    ("video", "cvat_video", "cvat", 5, {"class": 1}),
    # MOT has no outside rows and no polygons.
    ("video", "mot", "mot", 3, {"class": 1, "polygon": 1, "track_box": 1}),
    ("video", "coco", "frames.json", 4, {"class": 1, "track_box": 1}),
    ("video", "video", "media", 0, {"box": 1, "class": 1, "polygon": 1, "track_box": 3}),
    ("video", "webdataset", "shards", 6, {}),
]


@pytest.mark.parametrize(("kind", "fmt", "name", "written", "skipped"), COUNTS, ids=[f"{c[0]}-{c[1]}" for c in COUNTS])
def test_every_format_reports_what_it_wrote_and_left_out(
    hub: Hub, tmp_path: Path, kind: str, fmt: str, name: str, written: int, skipped: dict[str, int]
) -> None:
    pid = image_project(hub, tmp_path / "src") if kind == "image" else video_project(hub, tmp_path / "src")
    report = export_project(hub, SYSTEM, pid, tmp_path / name, fmt=fmt)
    assert (report.annotations, report.annotations_skipped) == (written, skipped)
    assert report.items == (2 if kind == "image" else 1)
    assert report.annotations + sum(report.annotations_skipped.values()) == 6


def test_coco_counts_annotations_not_objects(hub: Hub, tmp_path: Path) -> None:
    """The cat box and its polygon are one COCO annotation: both were written, so both count."""
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "out.json"
    report = export_project(hub, SYSTEM, pid, dest, fmt="coco")
    out = orjson.loads(dest.read_bytes())
    assert len(out["annotations"]) == 4 and report.annotations == 5


def test_text_export_counts_tags_and_spans(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "texts", ItemKind.TEXT)
    rec = ItemRecord(kind=ItemKind.TEXT, name="t1", text="hello world", annotations=[
        _ann(AnnotationKind.CLASS, "greeting", {}),
        _ann(AnnotationKind.SPAN, "word", {"start": 0, "end": 5}),
    ])  # fmt: skip
    import_records(hub, SYSTEM, pid, [rec], labels=["greeting", "word"], format_name="test",
                   options=ImportOptions(media="none"))  # fmt: skip
    # A text item has no media: copy_media does not make it fail.
    report = export_project(hub, SYSTEM, pid, tmp_path / "t.jsonl", fmt="text", options=ExportOptions(copy_media=True))
    assert (report.annotations, report.annotations_skipped) == (2, {})


# --- copy_media: the media files, or an error naming the items without them ---------------------------------------


def test_coco_export_to_a_folder_writes_annotations_and_images_as_coco_lays_them_out(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "coco"
    report = export_project(hub, SYSTEM, pid, dest, fmt="coco", options=ExportOptions(copy_media=True))
    assert report.dest == str(dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "annotations/instances_default.json", "images/a.png", "images/b.png",
    ]  # fmt: skip
    out = orjson.loads((dest / "annotations" / "instances_default.json").read_bytes())
    for image in out["images"]:
        written, stored = dest / "images" / image["file_name"], tmp_path / "src" / image["file_name"]
        assert written.read_bytes() == stored.read_bytes()
    assert detect_format(dest).name == "coco"

    again = new_project(hub, "again")
    back = import_source(hub, SYSTEM, again, dest, fmt="auto")
    # The four COCO annotations come back with a box each: the cat box with its polygon, the keypoints, the dog
    # polygon and the cat mask.
    assert (back.items_added, back.annotations_added) == (2, 4 + 4)
    with hub.db.session() as s:
        assert sorted(s.execute(select(Item.name, Item.split).where(Item.project_id == again)).all()) == [
            ("a.png", None), ("b.png", None),
        ]  # fmt: skip


def test_coco_export_to_a_folder_without_media_writes_the_annotations_alone(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "coco"
    export_project(hub, SYSTEM, pid, dest, fmt="coco")
    assert [p.relative_to(dest).as_posix() for p in dest.rglob("*")] == [
        "annotations", "annotations/instances_default.json",
    ]  # fmt: skip


def test_coco_export_to_a_json_file_puts_the_images_next_to_it(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "out" / "instances.json"
    export_project(hub, SYSTEM, pid, dest, fmt="coco", options=ExportOptions(copy_media=True))
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == ["a.png", "b.png"]


COPYING = [
    ("coco", "out.json"),
    ("coco", "coco"),
    ("yolo", "yolo"),
    ("voc", "voc"),
    ("cvat_images", "cvat"),
    ("webdataset", "shards"),
]


@pytest.mark.parametrize(("fmt", "name"), COPYING, ids=[f"{f}-{n}" for f, n in COPYING])
def test_copy_media_with_a_stored_file_gone_fails_naming_the_item_and_leaves_nothing(
    hub: Hub, tmp_path: Path, fmt: str, name: str
) -> None:
    pid = image_project(hub, tmp_path / "src")
    (tmp_path / "src" / "b.png").unlink()  # a linked file moved away after the import
    out = tmp_path / "out"
    with pytest.raises(FormatError, match=r"media of 1 item.*'b\.png'") as err:
        export_project(hub, SYSTEM, pid, out / name, fmt=fmt, options=ExportOptions(copy_media=True))
    assert err.value.context["items"] == ["b.png"]
    assert not out.exists()


def test_copy_media_of_a_project_imported_without_media_names_every_item(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src", media="none")
    with pytest.raises(FormatError, match=r"media of 2 items.*'a\.png', 'b\.png'"):
        export_project(hub, SYSTEM, pid, tmp_path / "coco", fmt="coco", options=ExportOptions(copy_media=True))
    assert not (tmp_path / "coco").exists()
    # Without copy_media the same project exports its annotations.
    assert export_project(hub, SYSTEM, pid, tmp_path / "ok.json", fmt="coco").items == 2


@pytest.mark.parametrize(("fmt", "name"), [("coco", "out.json"), ("cvat_video", "cvat"), ("mot", "mot")])
def test_copy_media_of_a_video_with_a_frame_gone_fails_naming_it(hub: Hub, tmp_path: Path, fmt: str, name: str) -> None:
    pid = video_project(hub, tmp_path / "src")
    (tmp_path / "src" / "clip" / "001.png").unlink()
    with pytest.raises(FormatError, match=r"media of 1 item.*'clip'"):
        export_project(hub, SYSTEM, pid, tmp_path / "out" / name, fmt=fmt, options=ExportOptions(copy_media=True))
    assert not (tmp_path / "out").exists()


def _run_export_job(hub: Hub, pid: int, params: dict[str, Any]) -> Job:
    with hub.db.session(write=True) as s:
        job_id = jobs.enqueue(s, SYSTEM, "export", params, project_id=pid).id
    executor = LocalExecutor(hub)
    while executor.run_once():
        pass
    with hub.db.session() as s:
        job = s.get_one(Job, job_id)
        s.expunge(job)
    return job


def test_a_coco_export_job_with_media_offers_the_images_for_download(hub: Hub, tmp_path: Path) -> None:
    pid = image_project(hub, tmp_path / "src")
    # What the web app's export dialog sends with "The media files (a .zip)" ticked.
    job = _run_export_job(hub, pid, {"format": "coco", "filename": "coco-export.json", "states": ["accepted"],
                                     "copy_media": True, "split": None, "seed": 0, "extra": {}})  # fmt: skip
    assert job.status == "succeeded", job.error
    assert job.result is not None
    with zipfile.ZipFile(job.result["download"]) as zf:
        names = zf.namelist()
        annotation_file = next(n for n in names if n.endswith(".json"))
        out = orjson.loads(zf.read(annotation_file))
        folder = annotation_file.rpartition("annotations/")[0]
        for image in out["images"]:
            assert f"{folder}images/{image['file_name']}" in names


# --- CVAT for video: the frame rate survives a round trip ----------------------------------------------------------


def _fps(hub: Hub, pid: int) -> list[tuple[str, float | None]]:
    with hub.db.session() as s:
        return [(n, f) for n, f in s.execute(select(Item.name, Item.fps).where(Item.project_id == pid))]


@pytest.mark.parametrize("media", ["link", "none"])
def test_cvat_video_round_trip_keeps_the_frame_rate(hub: Hub, tmp_path: Path, media: MediaMode) -> None:
    pid = video_project(hub, tmp_path / "src", fps=12.5)
    dest = tmp_path / "cvat"
    export_project(hub, SYSTEM, pid, dest, fmt="cvat_video", options=ExportOptions(copy_media=True))
    again = new_project(hub, "again", ItemKind.VIDEO)
    report = import_source(hub, SYSTEM, again, dest, fmt="cvat_video", options=ImportOptions(media=media))
    assert report.items_added == 1
    assert _fps(hub, again) == [("clip", 12.5)]


def test_cvat_video_round_trip_of_a_video_without_a_frame_rate_keeps_none(hub: Hub, tmp_path: Path) -> None:
    pid = video_project(hub, tmp_path / "src", fps=None)
    dest = tmp_path / "cvat"
    export_project(hub, SYSTEM, pid, dest, fmt="cvat_video", options=ExportOptions(copy_media=True))
    again = new_project(hub, "again", ItemKind.VIDEO)
    import_source(hub, SYSTEM, again, dest, fmt="cvat_video", options=ImportOptions(media="link"))
    assert _fps(hub, again) == [("clip", None)]


def test_an_existing_file_is_replaced_only_when_asked(hub: Hub, tmp_path: Path) -> None:
    """`export coco annotations/instances_train.json` by mistake must not replace a dataset's own file."""
    pid = image_project(hub, tmp_path / "src")
    dest = tmp_path / "instances_train.json"
    dest.write_text('{"the": "original"}')
    with pytest.raises(FormatError, match="already exists; choose another name, or replace it"):
        export_project(hub, SYSTEM, pid, dest, fmt="coco")
    assert dest.read_text() == '{"the": "original"}'
    export_project(hub, SYSTEM, pid, dest, fmt="coco", overwrite=True)
    assert len(orjson.loads(dest.read_bytes())["annotations"]) == 4
