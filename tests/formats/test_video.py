"""Video: files made with cv2.VideoWriter and the real OTB Crossing sequence in, broken files out as Problems."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._support import split_records

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions, detect_format
from labelhub.formats.video import DEFAULT_FPS, VideoExporter, VideoImporter, detect
from labelhub.hub import Hub
from labelhub.media.video import natural_key, probe_video, read_frame
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Item, Media


def make_video(path: Path, fourcc: str, frames: int, fps: float, size: tuple[int, int] = (64, 48)) -> Path:
    """Write ``frames`` solid frames, frame i of grey level 10 * i, and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} into {path.suffix}"
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 10 * i % 256, np.uint8))
    writer.release()
    return path


def read_all(source: Path, **extra: object) -> tuple[list[ItemRecord], list[str]]:
    with VideoImporter(source, ImportOptions(extra=dict(extra))) as importer:
        items, problems = split_records(importer)
    return items, [f"{p.file}: {p.message}" for p in problems]


def set_avi_frame_count(path: Path, count: int) -> None:
    """Overwrite the frame count an AVI declares (main header and stream header), leaving the frames alone."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.find(b"avih") + 8 + 16, count)
    struct.pack_into("<I", data, data.find(b"strh") + 8 + 32, count)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("name", "fourcc", "frames", "fps", "size"),
    [
        ("clip.avi", "MJPG", 17, 12.5, (64, 48)),
        ("clip.mp4", "mp4v", 23, 25.0, (80, 60)),
        ("clip.avi", "mp4v", 9, 30.0, (32, 32)),
        ("clip.mkv", "MJPG", 11, 10.0, (48, 64)),
        ("clip.mov", "mp4v", 13, 15.0, (64, 48)),
    ],
)
def test_video_file_gives_frame_count_fps_and_size(
    tmp_path: Path, name: str, fourcc: str, frames: int, fps: float, size: tuple[int, int]
) -> None:
    path = make_video(tmp_path / name, fourcc, frames, fps, size)
    items, problems = read_all(path)
    assert problems == []
    [item] = items
    assert item.kind is ItemKind.VIDEO and item.name == name
    assert (item.frame_count, item.width, item.height) == (frames, *size)
    assert item.fps == pytest.approx(fps)
    assert item.media_path == path and item.frame_files == [] and item.annotations == []
    assert item.meta["video"]["declared_frames"] == frames


def test_folder_of_videos_and_sequences_gives_one_item_each(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    root = tmp_path / "data"
    make_video(root / "b.avi", "MJPG", 5, 12.0)
    make_video(root / "more" / "a.mp4", "mp4v", 7, 24.0)
    for n in (10, 2, 1):
        make_image(root / "seq1" / f"{n}.jpg", 40, 30)
    for n in range(3):
        make_image(root / "nested" / "seq2" / f"f{n}.png", 20, 10)
    (root / "notes.txt").write_text("not media")
    (root / ".hidden").mkdir()
    make_video(root / ".hidden" / "x.avi", "MJPG", 3, 5.0)

    items, problems = read_all(root)
    assert problems == []
    assert [i.name for i in items] == ["b.avi", "more/a.mp4", "nested/seq2", "seq1"]
    seq1 = items[3]
    assert [p.name for p in seq1.frame_files] == ["1.jpg", "2.jpg", "10.jpg"]
    assert seq1.media_path == seq1.frame_files[0]
    assert (seq1.frame_count, seq1.width, seq1.height, seq1.fps) == (3, 40, 30, DEFAULT_FPS)
    assert seq1.meta["video"] == {"sequence": True, "fps_default": True}
    assert (items[2].frame_count, items[2].width, items[2].height) == (3, 20, 10)
    assert (items[0].frame_count, items[1].frame_count) == (5, 7)

    # -o fps=... sets the rate of every sequence; a video file keeps its container's rate.
    items, _ = read_all(root, fps="12.5")
    assert [i.fps for i in items] == [pytest.approx(12.0), pytest.approx(24.0), 12.5, 12.5]
    assert "fps_default" not in items[3].meta["video"]


def test_a_folder_of_images_alone_is_one_sequence_named_after_it(
    tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    for n in range(4):
        make_image(tmp_path / "walk" / f"{n:03d}.png", 16, 12)
    items, problems = read_all(tmp_path / "walk")
    assert problems == []
    assert [(i.name, i.frame_count) for i in items] == [("walk", 4)]


def test_container_count_missing_or_too_low_is_counted_by_grabbing(tmp_path: Path) -> None:
    missing = make_video(tmp_path / "missing.avi", "MJPG", 20, 12.5)
    set_avi_frame_count(missing, 0)
    low = make_video(tmp_path / "low.avi", "MJPG", 20, 12.5)
    set_avi_frame_count(low, 10)
    for path, declared in ((missing, 0), (low, 10)):
        assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT) == declared
        info = probe_video(path)
        assert (info.frame_count, info.declared_frames, info.counted, info.exact) == (20, declared, True, True)
    # Counting is bounded: past the bound the count is marked as not exact.
    bounded = probe_video(missing, max_count_frames=5)
    assert (bounded.frame_count, bounded.exact) == (5, False)
    items, _ = read_all(missing, max_count_frames=5)
    assert items[0].meta["video"]["frame_count_exact"] is False


def test_broken_videos_are_problems_naming_the_file(tmp_path: Path) -> None:
    root = tmp_path / "videos"
    make_video(root / "good.avi", "MJPG", 6, 10.0)
    truncated = make_video(root / "cut.avi", "MJPG", 20, 10.0)
    truncated.write_bytes(truncated.read_bytes()[: int(truncated.stat().st_size * 0.6)])
    moov_lost = make_video(root / "cut.mp4", "mp4v", 20, 10.0)
    moov_lost.write_bytes(moov_lost.read_bytes()[: moov_lost.stat().st_size // 2])
    (root / "text.mp4").write_text("this is not a video")
    (root / "zero.mp4").write_bytes(b"")
    overclaims = make_video(root / "over.avi", "MJPG", 20, 10.0)
    set_avi_frame_count(overclaims, 30)

    items, problems = read_all(root)
    assert [i.name for i in items] == ["good.avi"]
    assert len(problems) == 5
    by_file = {Path(p.split(": ", 1)[0]).name: p for p in problems}
    assert set(by_file) == {"cut.avi", "cut.mp4", "text.mp4", "over.avi", "zero.mp4"}
    assert "truncated or corrupt" in by_file["cut.avi"] and "declares 20 frames" in by_file["cut.avi"]
    assert "declares 30 frames but only 20 decode" in by_file["over.avi"]
    # An MP4 cut short has no index ('moov'): it is said so, not blamed on a codec.
    assert "MP4/MOV file without its index (no 'moov' atom): it was cut short" in by_file["cut.mp4"]
    assert "codec" not in by_file["cut.mp4"]
    assert "not a video" in by_file["text.mp4"]
    assert "the file is empty (0 bytes)" in by_file["zero.mp4"]


def test_a_video_with_no_frames_or_a_codec_opencv_lacks_is_refused_by_name(tmp_path: Path) -> None:
    root = tmp_path / "videos"
    make_video(root / "empty.avi", "MJPG", 0, 10.0)
    odd = make_video(root / "odd.avi", "MJPG", 8, 10.0)
    odd.write_bytes(odd.read_bytes().replace(b"MJPG", b"QQQQ"))  # a FourCC no decoder knows

    items, problems = read_all(root)
    assert items == []
    by_file = {Path(p.split(": ", 1)[0]).name: p for p in problems}
    assert "the video has no frames" in by_file["empty.avi"]
    assert "AVI file whose video codec (FourCC 'QQQQ')" in by_file["odd.avi"]
    assert "convert it to H.264 MP4 or MJPEG AVI" in by_file["odd.avi"]


def test_sequence_frames_of_different_sizes_or_unreadable_are_problems(
    tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    seq = tmp_path / "seq"
    for n in range(1, 5):
        make_image(seq / f"{n}.jpg", 40, 30)
    make_image(seq / "3.jpg", 41, 30)
    (seq / "4.jpg").write_bytes(b"not a jpeg")
    items, problems = read_all(seq)
    assert items == []
    assert len(problems) == 2
    assert (
        problems[0].startswith(f"{seq / '3.jpg'}: ") and "is 41x30, but its first frame 1.jpg is 40x30" in problems[0]
    )
    assert problems[1].startswith(f"{seq / '4.jpg'}: ") and "cannot read the image header" in problems[1]


def test_not_a_video_file_or_empty_folder_or_bad_option_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(FormatError, match="is not a video file") as err:
        VideoImporter(tmp_path / "a.txt", ImportOptions())
    assert err.value.context["file"] == str(tmp_path / "a.txt")
    with pytest.raises(FormatError, match="no video files or image folders"):
        read_all(tmp_path)
    with pytest.raises(FormatError, match="option fps must be a positive number") as err:
        VideoImporter(tmp_path, ImportOptions(extra={"fps": "-3"}))
    assert err.value.context["field"] == "fps"


def test_detect(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    clip = make_video(tmp_path / "v" / "deep" / "clip.webm", "VP80", 3, 10.0)
    assert detect(clip) and detect(tmp_path / "v")
    assert detect_format(tmp_path / "v").name == "video"
    make_image(tmp_path / "frames" / "1.png")
    # A folder of images alone stays an image folder unless --format video is given.
    assert not detect(tmp_path / "frames")
    assert detect_format(tmp_path / "frames").name == "image_folder"


def test_natural_order_and_read_frame(tmp_path: Path) -> None:
    names = ["10.jpg", "2.jpg", "1.jpg", "img_010.png", "img_9.png", "01.jpg"]
    assert sorted(names, key=natural_key) == ["01.jpg", "1.jpg", "2.jpg", "10.jpg", "img_9.png", "img_010.png"]
    clip = make_video(tmp_path / "c.avi", "MJPG", 12, 10.0)
    for i in (0, 7, 11):
        frame = read_frame(clip, i)
        assert frame.shape == (48, 64, 3)
        assert abs(float(frame.mean()) - 10 * i) < 3
    with pytest.raises(FormatError, match="frame 12 of") as err:
        read_frame(clip, 12)
    assert err.value.context["field"] == "frame"


def test_export_writes_files_and_sequences_that_import_again(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_video(src / "clips" / "a.avi", "MJPG", 8, 12.5)
    (src / "walk").mkdir()
    for n in (1, 2, 10):
        Image.new("RGB", (20, 10), (n * 20, 0, 0)).save(src / "walk" / f"{n}.png")
    items, _ = read_all(src, fps=6)
    dest = tmp_path / "out"
    with VideoExporter(dest, [], ExportOptions()) as exporter:
        for rec in items:
            exporter.write(ExportItem(record=rec, media_file=rec.media_path, frame_files=rec.frame_files))
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "clips/a.avi",
        "videos.json",
        "walk/000000.png",
        "walk/000001.png",
        "walk/000002.png",
    ]
    assert (dest / "walk" / "000002.png").read_bytes() == (src / "walk" / "10.png").read_bytes()
    assert detect(dest)
    again, problems = read_all(dest)
    assert problems == []
    key = [(i.name, i.frame_count, i.fps, i.width, i.height) for i in items]
    assert [(i.name, i.frame_count, i.fps, i.width, i.height) for i in again] == key
    assert "fps_default" not in again[1].meta["video"]  # the sequence's 6 fps came back from videos.json


def test_export_without_media_fails_and_leaves_nothing(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "a.avi", "MJPG", 3, 10.0)
    dest = tmp_path / "out" / "videos"
    good = ItemRecord(kind=ItemKind.VIDEO, name="a.avi", frame_count=3)
    bad = ItemRecord(kind=ItemKind.VIDEO, name="b.avi", frame_count=3)
    with (
        pytest.raises(FormatError, match=r"'b\.avi' has no stored video"),
        VideoExporter(dest, [], ExportOptions()) as e,
    ):
        e.write(ExportItem(record=good, media_file=clip))
        e.write(ExportItem(record=bad))
    assert not (tmp_path / "out").exists()


SYSTEM = Actor.system()


def test_otb_crossing_sequence_imports_as_one_video_item(hub: Hub, otb_crossing: Path, tmp_path: Path) -> None:
    pid = new_project(hub, "crossing", ItemKind.VIDEO)
    report = import_source(
        hub, SYSTEM, pid, otb_crossing / "img", fmt="video", options=ImportOptions(extra={"fps": 30})
    )
    assert (report.items_added, report.annotations_added) == (1, 0)
    with hub.db.session() as s:
        [item] = s.scalars(select(Item).where(Item.project_id == pid)).all()
        frames = item.meta["frames"]
        stored = set(s.scalars(select(Media.key).where(Media.key.in_(frames))))
    assert (item.kind, item.name, item.frame_count, item.fps) == ("video", "img", 120, 30.0)
    assert (item.width, item.height) == (360, 240)
    assert len(frames) == 120 and len(set(frames)) == 120 and stored == set(frames)
    assert item.media_key == frames[0]
    for n in (0, 59, 119):
        local = hub.media.local_path(frames[n])
        assert local is not None
        assert local.read_bytes() == (otb_crossing / "img" / f"{n + 1:04d}.jpg").read_bytes()

    # Out again through the video exporter: 120 frames in order, and the item imports the same.
    out = tmp_path / "out"
    export_project(hub, SYSTEM, pid, out, fmt="video")
    written = sorted((out / "img").iterdir())
    assert [p.name for p in written[:2]] == ["000000.jpg", "000001.jpg"] and len(written) == 120
    assert written[119].read_bytes() == (otb_crossing / "img" / "0120.jpg").read_bytes()
    items, problems = read_all(out)
    assert problems == [] and [(i.name, i.frame_count, i.fps) for i in items] == [("img", 120, 30.0)]
