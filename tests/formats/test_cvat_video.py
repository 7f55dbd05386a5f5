"""CVAT for video: the frame rate, which CVAT 1.1 has no field for, travels in labelhub's own ``<meta>`` element."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import cv2
import numpy as np
import pytest
from tests.formats._cvat_support import cvat_xml
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.cvat_video import CvatVideoExporter, CvatVideoImporter


def test_video_export_writes_the_frame_rate_where_cvat_passes_over_it_and_reads_it_back(tmp_path: Path) -> None:
    box = AnnotationRecord(AnnotationKind.TRACK_BOX, "car", {"bbox": [5.0, 10.0, 25.0, 30.0]}, frame=0, track_id=1,
                           attributes={"keyframe": True, "outside": False})  # fmt: skip
    rec = ItemRecord(kind=ItemKind.VIDEO, name="clip", width=64, height=48, frame_count=10, fps=29.97002997,
                     annotations=[box])  # fmt: skip
    out = tmp_path / "clip.xml"
    with CvatVideoExporter(out, ["car"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=rec))
    task = ElementTree.parse(out).getroot().find("meta/task")
    assert task is not None
    # CVAT's own task elements are untouched; the rate sits in labelhub's element at the end of <task>.
    assert [child.tag for child in task][-3:] == ["labels", "original_size", "labelhub"]
    assert task.findtext("labelhub/fps") == "29.97002997"
    with CvatVideoImporter(out, ImportOptions(media="none")) as importer:
        (item,), problems = split_records(importer)
    assert problems == [] and item.fps == 29.97002997


@pytest.mark.parametrize("written", ["", "fast", "-25", "0", "nan", "inf", "1" * 50])
def test_a_frame_rate_that_is_not_a_positive_number_is_ignored(tmp_path: Path, written: str) -> None:
    meta = f"<labelhub><fps>{written}</fps></labelhub></task>"
    src = cvat_xml(tmp_path / "v.xml", "", size=4, mode="interpolation")
    src.write_text(src.read_text().replace("</task>", meta), encoding="utf-8")
    with CvatVideoImporter(src, ImportOptions(media="none")) as importer:
        (item,), problems = split_records(importer)
    assert problems == [] and item.fps is None


def test_the_written_frame_rate_wins_over_the_video_files_and_a_file_without_one_keeps_the_videos(
    tmp_path: Path,
) -> None:
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 12.0, (32, 24))
    for i in range(3):
        writer.write(np.full((24, 32, 3), i * 60, np.uint8))
    writer.release()
    plain = cvat_xml(tmp_path / "plain.xml", "", size=3, mode="interpolation")
    ours = cvat_xml(tmp_path / "ours.xml", "", size=3, mode="interpolation")
    ours.write_text(ours.read_text().replace("</task>", "<labelhub><fps>25.0</fps></labelhub></task>"))
    rates = []
    for src in (plain, ours):
        with CvatVideoImporter(src, ImportOptions(media="link", extra={"video": str(video)})) as importer:
            (item,), problems = split_records(importer)
        assert problems == []
        rates.append(item.fps)
    assert rates == [pytest.approx(12.0), 25.0]
