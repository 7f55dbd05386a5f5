"""MOT challenge sequences: OTB Crossing through a project and back, MOT17's conventions, and broken lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.builders import new_project
from tests.formats._support import split_records
from tests.formats._video_support import SYSTEM, otb_boxes, otb_project, project_tracks, within_a_pixel

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import ItemRecord
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions, detect_format
from labelhub.formats.mot import MotExporter, MotImporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

SEQINFO = "[Sequence]\nname={name}\nimDir=img1\nframeRate=25\nseqLength={length}\nimWidth=64\nimHeight=48\nimExt=.jpg\n"
# MOT17-style ground truth: two pedestrians, a static person flagged ignore (conf 0), one box past the right edge.
GT = """1,1,10,5,20,30,1,1,0.9
2,1,12,5,20,30,1,1,0.8
3,1,14,5,20,30,1,1,0.7
1,2,50,10,20,20,1,1,1
2,2,52,10,20,20,1,1,0.5
2,3,0,0,5,5,0,7,0.25
"""
DET = "1,-1,11,6,19,29,0.93,-1,-1,-1\n3,-1,30,30,10,10,0.41,-1,-1,-1\n"


def make_sequence(
    root: Path, make_image: Callable[..., Path], *, gt: str = GT, det: str | None = DET, length: int = 3
) -> Path:
    """Write a MOT sequence folder with ``length`` 64x48 frames, seqinfo.ini, gt.txt and det.txt."""
    for i in range(1, length + 1):
        make_image(root / "img1" / f"{i:06d}.jpg", 64, 48)
    (root / "seqinfo.ini").write_text(SEQINFO.format(name=root.name, length=length))
    (root / "gt").mkdir(parents=True, exist_ok=True)
    (root / "gt" / "gt.txt").write_text(gt)
    if det is not None:
        (root / "det").mkdir(exist_ok=True)
        (root / "det" / "det.txt").write_text(det)
    return root


def test_reads_gt_tracks_detections_and_seqinfo(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    seq = make_sequence(tmp_path / "MOT17-02", make_image)
    assert detect_format(seq).name == "mot"
    with MotImporter(seq, ImportOptions(media="link")) as importer:
        (item,), problems = split_records(importer)
        labels = importer.labels()
    assert problems == []
    assert labels == ["pedestrian", "static_person"]
    assert (item.kind, item.name, item.frame_count, item.fps, item.width, item.height) == (
        ItemKind.VIDEO, "MOT17-02", 3, 25.0, 64, 48
    )  # fmt: skip
    assert [p.name for p in item.frame_files] == ["000001.jpg", "000002.jpg", "000003.jpg"]
    tracks = [a for a in item.annotations if a.kind is AnnotationKind.TRACK_BOX]
    assert sorted({a.track_id for a in tracks}) == [1, 2, 3]
    first = tracks[0]
    assert (first.label, first.frame, first.track_id, first.geometry) == ("pedestrian", 0, 1, {"bbox": [10, 5, 30, 35]})
    assert first.attributes == {"keyframe": True, "outside": False, "ignore": False, "class": 1, "visibility": 0.9}
    assert first.origin == "gt.txt: line 1"
    # 50 + 20 reaches x=70 in a 64 px frame: clipped, with the box as written kept.
    clipped = next(a for a in tracks if a.track_id == 2 and a.frame == 0)
    assert clipped.geometry == {"bbox": [50, 10, 64, 30]} and clipped.attributes["unclipped"] == [50, 10, 70, 30]
    ignored = next(a for a in tracks if a.track_id == 3)
    assert (ignored.label, ignored.attributes["ignore"], ignored.attributes["class"]) == ("static_person", True, 7)
    detections = [a for a in item.annotations if a.kind is AnnotationKind.BOX]
    assert [(a.frame, a.score, a.source, a.state, a.label) for a in detections] == [
        (0, 0.93, Source.MODEL, AnnotationState.PROPOSED, "pedestrian"),
        (2, 0.41, Source.MODEL, AnnotationState.PROPOSED, "pedestrian"),
    ]


def test_export_gives_back_the_same_lines(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    seq = make_sequence(tmp_path / "in" / "MOT17-02", make_image)
    with MotImporter(seq, ImportOptions(media="link")) as importer:
        (item,), _ = split_records(importer)
        labels = importer.labels()
    dest = tmp_path / "out"
    with MotExporter(dest, labels, ExportOptions(copy_media=True)) as exporter:
        exporter.write(ExportItem(record=item, media_file=item.media_path, frame_files=item.frame_files))
    out = dest / "MOT17-02"
    want = sorted(GT.splitlines(), key=lambda line: [float(v) for v in line.split(",")[1::-1]])
    assert (out / "gt" / "gt.txt").read_text().splitlines() == want
    assert (out / "det" / "det.txt").read_text() == DET
    assert (out / "seqinfo.ini").read_text() == SEQINFO.format(name="MOT17-02", length=3)
    assert sorted(p.name for p in (out / "img1").iterdir()) == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert not (out / "gt" / "labels.txt").exists()  # every label is a MOT class: MOT's own class ids


def test_otb_track_through_mot_and_back(hub: Hub, otb_crossing: Path, tmp_path: Path) -> None:
    pid = otb_project(hub, otb_crossing)
    dest = tmp_path / "mot"
    export_project(hub, SYSTEM, pid, dest, fmt="mot", options=ExportOptions(copy_media=True))
    seq = dest / "crossing"
    lines = (seq / "gt" / "gt.txt").read_text().splitlines()
    assert len(lines) == 120 and lines[0] == "1,1,204,150,17,50,1,1,1"  # OTB's first box, 205,151 1-based
    assert (seq / "gt" / "labels.txt").read_text() == "person\n"  # "person" is not a MOT class name
    assert len(list((seq / "img1").iterdir())) == 120
    assert "seqLength=120" in (seq / "seqinfo.ini").read_text()
    assert detect_format(dest).name == "mot"

    again = new_project(hub, "again", ItemKind.VIDEO)
    report = import_source(hub, SYSTEM, again, dest, fmt="mot", options=ImportOptions(media="link"))
    assert (report.items_added, report.annotations_added, report.labels) == (1, 120, ["person"])
    items, tracks = project_tracks(hub, again)
    assert items == [("crossing", 120, 120)]
    assert set(tracks) == {"person"} and {tid for tid, _ in tracks["person"]} == {1}
    assert sorted(f for _, f in tracks["person"]) == list(range(120))
    want = otb_boxes(otb_crossing)
    for (_, frame), box in tracks["person"].items():
        assert within_a_pixel(box, want[frame]), frame


def test_folder_of_sequences_with_splits_and_label_options(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_sequence(tmp_path / "MOT" / "train" / "A", make_image, det=None)
    make_sequence(tmp_path / "MOT" / "test" / "B", make_image, gt="")
    (tmp_path / "MOT" / "train" / "A" / "gt" / "labels.txt").write_text("walker\nbike\ncar\nx\ny\nz\nsitter\n")
    with MotImporter(tmp_path / "MOT", ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
        labels = importer.labels()
    assert problems == []
    assert [(i.name, i.split, i.frame_count, i.frame_files) for i in items] == [
        ("test/B", "test", 3, []), ("train/A", "train", 3, [])
    ]  # fmt: skip
    assert labels == ["pedestrian", "walker", "sitter"]  # B's detections, then A's classes 1 and 7 by labels.txt
    extra = {"label": "person", "detections": "false"}
    with MotImporter(tmp_path / "MOT" / "test" / "B", ImportOptions(media="none", extra=extra)) as importer:
        (item,), _ = split_records(importer)
    assert item.annotations == []


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("1,1,10,abc,20,30,1,1,1", "y", "y is not a number: 'abc'"),
        ("1,1,10,5,-20,30,1,1,1", "w", "width and height must be > 0"),
        ("1,1,10,5,20,0,1,1,1", "w", "width and height must be > 0"),
        ("9,1,10,5,20,30,1,1,1", "frame", "frame 9 is beyond the sequence's 3 frames"),
        ("0,1,10,5,20,30,1,1,1", "frame", "frame must be a whole number from 1"),
        ("1,1,nan,5,20,30,1,1,1", "x", "x is not a finite number"),
        ("1,1,10,5,inf,30,1,1,1", "w", "w is not a finite number"),
        ("1,1.5,10,5,20,30,1,1,1", "id", "id must be a whole number"),
        ("1,1,10,5,20", None, "expected at least 6 values"),
        ("1,1,200,5,20,30,1,1,1", "x", "lies outside the 64x48 frame"),
        ("1,1,10,5,20,30,1,1.5,1", "class", "class must be a whole number"),
        ("1,4,10,5,20,30,1,1,1\n1,4,11,5,20,30,1,1,1", "frame", "id 4 has two boxes on frame 1 (first at line 3)"),
        ("1,4,10,5,20,30,1,1,1\n2,4,11,5,20,30,1,7,1", "class", "id 4 is 'pedestrian' from line 3 but 'static_person'"),
    ],
)
def test_bad_lines_are_problems_naming_file_and_line(
    tmp_path: Path, make_image: Callable[..., Path], line: str, field: str | None, words: str
) -> None:
    seq = make_sequence(tmp_path / "S", make_image, gt="1,1,1,1,5,5,1,1,1\n\n" + line + "\n", det=None)
    with MotImporter(seq, ImportOptions(media="link")) as importer:
        (item,), problems = split_records(importer)
    assert len(problems) == 1, problems
    n = 2 + line.count("\n") + 1  # the good line, a blank line, then the bad one(s)
    assert (problems[0].file, problems[0].line, problems[0].field) == (str(seq / "gt" / "gt.txt"), n, field)
    assert words in problems[0].message
    assert len(item.annotations) == 1 + line.count("\n")  # the good lines still come through


def test_bad_seqinfo_and_missing_frames_are_problems(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    seq = make_sequence(tmp_path / "S", make_image, det=None)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=S\nseqLength=three\n")
    with MotImporter(seq, ImportOptions(media="link")) as importer:
        items, problems = split_records(importer)
    assert items == [] and (problems[0].file, problems[0].field) == (str(seq / "seqinfo.ini"), "seqLength")
    (seq / "seqinfo.ini").write_text("name=S\n")
    with MotImporter(seq, ImportOptions(media="link")) as importer:
        _, problems = split_records(importer)
    assert (problems[0].line, "[Sequence] section" in problems[0].message) == (1, True)
    (seq / "seqinfo.ini").write_text(SEQINFO.format(name="S", length=5))
    with MotImporter(seq, ImportOptions(media="link")) as importer:
        _, problems = split_records(importer)
    assert "seqLength is 5 but" in problems[0].message and problems[0].field == "seqLength"


def test_not_a_mot_source(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no MOT sequence") as err:
        MotImporter(tmp_path, ImportOptions())
    assert err.value.context["file"] == str(tmp_path)


def test_failed_export_leaves_nothing_behind(tmp_path: Path) -> None:
    video = ItemRecord(kind=ItemKind.VIDEO, name="v", frame_count=1, width=10, height=10)
    image = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=10, height=10)
    with (
        pytest.raises(FormatError, match="MOT holds videos"),
        MotExporter(tmp_path / "out" / "mot", ["pedestrian"], ExportOptions()) as exporter,
    ):
        exporter.write(ExportItem(record=video))
        exporter.write(ExportItem(record=image))
    assert list(tmp_path.iterdir()) == []
