"""WebDataset clips: ``clip_length=N`` cuts each video into samples of N frames, which the importer joins back.

What a user sees: the members of the shards, the keys of each clip's JSON, every clip a sample of its own for the
webdataset library with its frames as images, and the videos coming back whole on import.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import webdataset as wds
from PIL import Image
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._support import split_records
from tests.formats._video_support import SYSTEM, otb_project
from tests.formats.test_coco_video import LABELS, SIZE, make_video, track_box, video_items

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.webdataset import WebDatasetExporter, WebDatasetImporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item


def export_items(dest: Path, items: list[ItemRecord], **extra: Any) -> dict[str, Any]:
    with WebDatasetExporter(dest, LABELS, ExportOptions(extra=extra)) as exporter:
        for rec in items:
            exporter.write(ExportItem(record=rec, media_file=rec.media_path, frame_files=rec.frame_files))
    [index] = dest.glob("*-index.json")
    loaded: dict[str, Any] = orjson.loads(index.read_bytes())
    return loaded


def read_back(source: Path, **options: Any) -> tuple[list[ItemRecord], list[Problem], dict[str, list[bytes]]]:
    """Return the importer's items and problems, and each item's frame bytes (read before the importer closes)."""
    with WebDatasetImporter(source, ImportOptions(**options)) as importer:
        items, problems = split_records(importer)
        frames = {i.name: [p.read_bytes() for p in i.frame_files] for i in items}
    return items, problems, frames


def members(shard: Path) -> dict[str, bytes]:
    with tarfile.open(shard) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]


def test_videos_are_cut_into_clips_of_n_frames(tmp_path: Path) -> None:
    items = video_items(tmp_path)
    index = export_items(tmp_path / "wds", items, clip_length=3)
    assert (index["samples"], index["clip_length"]) == (2 + 3 + 1, 3)
    got = members(tmp_path / "wds" / "wds-000000.tar")
    assert list(got) == [
        "00000000_000000.000000.png", "00000000_000000.000001.png", "00000000_000000.000002.png",
        "00000000_000000.json",
        "00000000_000003.000000.png", "00000000_000003.000001.png", "00000000_000003.json",
        "00000001_000000.000000.jpg", "00000001_000000.000001.jpg", "00000001_000000.000002.jpg",
        "00000001_000000.json",
        "00000001_000003.000000.jpg", "00000001_000003.000001.jpg", "00000001_000003.000002.jpg",
        "00000001_000003.json",
        "00000001_000006.000000.jpg", "00000001_000006.json",
        "00000002.png", "00000002.json",
    ]  # fmt: skip

    clip = orjson.loads(got["00000000_000000.json"])
    assert sorted(clip) == ["annotations", "clip", "external_id", "fps", "frame_count", "frames", "height", "kind",
                            "media", "meta", "name", "split", "width"]  # fmt: skip
    assert (clip["name"], clip["kind"], clip["frame_count"], clip["frames"], clip["fps"]) == (
        "clips/seq",
        "video",
        5,
        3,
        10.0,
    )
    assert (clip["width"], clip["height"]) == SIZE
    assert clip["clip"] == {"item": "00000000", "index": 0, "first_frame": 0, "last_frame": 2, "final": False}
    shown = [(a["kind"], a["frame"], a["clip_frame"], a["track_id"], a["attributes"]) for a in clip["annotations"]]
    assert shown == [
        ("track_box", 0, 0, 1, {"keyframe": True, "outside": False}),
        ("polygon", 0, 0, 1, {}),
        ("track_box", 1, 1, 1, {"keyframe": False, "outside": False}),
        ("track_box", 2, 2, 1, {"keyframe": True, "outside": True}),
        ("class", None, None, None, {}),  # no frame: in every clip
    ]
    second = orjson.loads(got["00000000_000003.json"])
    assert second["clip"] == {"item": "00000000", "index": 1, "first_frame": 3, "last_frame": 4, "final": True}
    assert [(a["kind"], a["frame"], a["clip_frame"]) for a in second["annotations"]] == [
        ("box", 3, 0),
        ("class", None, None),
    ]
    last = orjson.loads(got["00000001_000006.json"])
    assert last["clip"]["final"] and [(a["frame"], a["clip_frame"]) for a in last["annotations"]] == [(6, 0)]

    # The frames are images: the sequence's stored PNGs unchanged, the video file's decoded to JPEG.
    assert got["00000000_000003.000001.png"] == items[0].frame_files[4].read_bytes()
    with Image.open(io.BytesIO(got["00000001_000003.000002.jpg"])) as im:
        assert (im.format, im.size) == ("JPEG", SIZE) and abs(float(np.asarray(im).mean()) - 30 * 5) < 6


def test_each_clip_is_a_sample_for_the_webdataset_library(tmp_path: Path) -> None:
    index = export_items(tmp_path / "wds", video_items(tmp_path), clip_length=2, shard_size=3)
    assert len(index["shards"]) == 3  # 3 + 4 clips and the image: 8 samples, 3 a shard
    samples = list(wds.WebDataset(str(tmp_path / "wds" / index["pattern"]), shardshuffle=False).decode("pil"))
    assert [s["__key__"] for s in samples] == ["00000000_000000", "00000000_000002", "00000000_000004",
                                               "00000001_000000", "00000001_000002", "00000001_000004",
                                               "00000001_000006", "00000002"]  # fmt: skip
    for s in samples[:-1]:
        doc = s["json"]
        frames = sorted(k for k in s if k[0].isdigit())
        assert frames == [f"{i:06d}.{'png' if doc['name'] == 'clips/seq' else 'jpg'}" for i in range(doc["frames"])]
        assert doc["frames"] == doc["clip"]["last_frame"] - doc["clip"]["first_frame"] + 1
        assert all(s[k].size == SIZE for k in frames)
    assert samples[-1]["json"]["name"] == "photos/a.png" and samples[-1]["png"].size == SIZE


def test_clips_import_back_as_the_whole_video(tmp_path: Path) -> None:
    items = video_items(tmp_path)
    export_items(tmp_path / "wds", items, clip_length=2, shard_size=3)  # clips of one video span shards
    back, problems, frames = read_back(tmp_path / "wds")
    assert problems == []
    assert [(i.name, i.kind, i.frame_count, len(i.frame_files)) for i in back] == [
        ("clips/seq", ItemKind.VIDEO, 5, 5), ("v.avi", ItemKind.VIDEO, 7, 7), ("photos/a.png", ItemKind.IMAGE, None, 0)
    ]  # fmt: skip
    for got, want in zip(back, items, strict=True):  # in frame order, annotations without a frame last
        assert [(a.kind, a.label, a.geometry, a.frame, a.track_id, a.attributes) for a in got.annotations] == [
            (a.kind, a.label, a.geometry, a.frame, a.track_id, a.attributes) for a in want.annotations
        ], got.name
    assert frames["clips/seq"] == [p.read_bytes() for p in items[0].frame_files]
    # A video file comes back as the image sequence of its decoded frames.
    assert back[1].media_path == back[1].frame_files[0]
    assert all(b[:2] == b"\xff\xd8" for b in frames["v.avi"])

    bare, problems, _ = read_back(tmp_path / "wds", media="none")
    assert problems == [] and [(i.name, i.frame_count, i.frame_files) for i in bare][:2] == [
        ("clips/seq", 5, []), ("v.avi", 7, [])
    ]  # fmt: skip


def test_otb_project_through_clips_and_back(hub: Hub, otb_crossing: Path, tmp_path: Path) -> None:
    pid = otb_project(hub, otb_crossing)
    dest = tmp_path / "clips"
    options = ExportOptions(extra={"clip_length": "50"})
    report = export_project(hub, SYSTEM, pid, dest, fmt="webdataset", options=options)
    assert (report.items, report.annotations) == (1, 120)
    index = orjson.loads((dest / "clips-index.json").read_bytes())
    assert index["samples"] == 3
    got = members(dest / "clips-000000.tar")
    docs = [orjson.loads(got[f"00000000_{first:06d}.json"]) for first in (0, 50, 100)]
    assert [(d["clip"]["first_frame"], d["clip"]["last_frame"], d["frames"], len(d["annotations"])) for d in docs] == [
        (0, 49, 50, 50), (50, 99, 50, 50), (100, 119, 20, 20)
    ]  # fmt: skip
    assert docs[2]["annotations"][0]["frame"] == 100 and docs[2]["annotations"][0]["clip_frame"] == 0

    again = new_project(hub, "again", ItemKind.VIDEO)
    back = import_source(hub, SYSTEM, again, dest, fmt="webdataset")
    assert (back.items_added, back.annotations_added) == (1, 120)
    with hub.db.session() as s:
        rows = {
            pid_: sorted(s.execute(select(Annotation.frame, Annotation.track_id, Annotation.geometry)
                                   .join(Item, Item.id == Annotation.item_id).where(Item.project_id == pid_)).all())
            for pid_ in (pid, again)
        }  # fmt: skip
        item = s.scalars(select(Item).where(Item.project_id == again)).one()
    assert rows[again] == rows[pid]  # the same track, box for box
    assert (item.name, item.frame_count, len(item.meta["frames"])) == ("crossing", 120, 120)


def test_clip_length_is_off_by_default_and_checked(tmp_path: Path) -> None:
    items = video_items(tmp_path)
    for off in ({}, {"clip_length": "0"}, {"clip_length": "off"}, {"clip_length": None}):
        dest = tmp_path / f"wds{len(list(tmp_path.iterdir()))}"
        index = export_items(dest, items, **off)
        assert index["samples"] == 3 and "clip_length" not in index
        assert "00000000.000004.png" in members(dest / f"{dest.name}-000000.tar")
    for bad in (-2, 2.5, "three", True):
        with pytest.raises(FormatError, match="clip_length must be a positive whole number") as err:
            WebDatasetExporter(tmp_path / "x", [], ExportOptions(extra={"clip_length": bad}))
        assert err.value.context["field"] == "clip_length"


def rewrite(shard: Path, drop: str = "", edit: tuple[str, dict[str, Any]] | None = None) -> None:
    """Rewrite ``shard`` without the members of sample ``drop``, and with one JSON member's clip replaced."""
    kept = members(shard)
    with tarfile.open(shard, "w") as tar:
        for name, data in kept.items():
            if drop and name.startswith(f"{drop}."):
                continue
            if edit is not None and name == edit[0]:
                data = orjson.dumps({**orjson.loads(data), "clip": edit[1]})
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_clips_that_do_not_join_are_problems_naming_shard_and_sample(tmp_path: Path) -> None:
    items = video_items(tmp_path)
    export_items(tmp_path / "gap", items, clip_length=2)
    shard = tmp_path / "gap" / "gap-000000.tar"
    rewrite(shard, drop="00000001_000002")
    back, problems, _ = read_back(tmp_path / "gap")
    assert [i.name for i in back] == ["clips/seq", "photos/a.png"]  # the video with a missing clip is left out
    assert [(p.file, p.field) for p in problems] == [(str(shard), "00000001_000004.json: clip")]
    assert "clip 2 (frames 4-5) of video 'v.avi' does not follow clip 0 (frames 0-1)" in problems[0].message

    export_items(tmp_path / "end", items, clip_length=2)
    rewrite(tmp_path / "end" / "end-000000.tar", drop="00000001_000006")
    back, problems, _ = read_back(tmp_path / "end")
    assert [i.name for i in back] == ["clips/seq", "photos/a.png"]
    assert "the clips of video 'v.avi' stop at frame 5 without the final clip" in problems[0].message

    export_items(tmp_path / "bad", items, clip_length=2)
    rewrite(tmp_path / "bad" / "bad-000000.tar", edit=("00000000_000002.json", {"item": "00000000", "index": "1"}))
    back, problems, _ = read_back(tmp_path / "bad")
    assert [i.name for i in back] == ["v.avi", "photos/a.png"]
    assert problems[0].field == "00000000_000002.json: clip" and "whole numbers" in problems[0].message


def test_annotations_past_the_decoded_frames_stop_a_clip_export(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", 4)
    rec = ItemRecord(kind=ItemKind.VIDEO, name="v.avi", width=32, height=24, frame_count=6, media_path=video,
                     annotations=[track_box(5, 1)])  # fmt: skip
    with pytest.raises(FormatError, match=r"annotations on frame 5, but only frames 0 to 3"):
        export_items(tmp_path / "out" / "wds", [rec], clip_length=3)
    assert not (tmp_path / "out").exists()
