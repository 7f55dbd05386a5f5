"""Tracks made by the tracking engine leave through MOT and CVAT for video and come back as the same tracks.

The first 30 frames of OTB Crossing are imported as an image-sequence video item (the ``video`` importer), with
two tracks propagated from the first ground-truth box: track 1 over every frame, track 2 ended by a person on
frame 24 (an ``outside`` keyframe, so it has 24 visible boxes and one outside box). Most boxes are propagated,
not keyframes. MOT keeps every visible box within its two decimals but has no outside rows and no keyframe flag;
CVAT for video keeps both flags.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._support import split_records
from tests.formats._video_support import SYSTEM, otb_boxes

from labelhub.domain.enums import AnnotationKind, ItemKind, Source
from labelhub.domain.records import AnnotationRecord
from labelhub.formats import ExportOptions, ImportOptions
from labelhub.formats.video import VideoImporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_records, import_source
from labelhub.storage.models import Annotation, Item
from labelhub.tracking import ImageFileFrames, Keyframe, propagate

FRAMES = 30
ENDED_AT = 24  # track 2: a person marked the object outside here
MOT_PRECISION = 0.01 + 1e-9  # two decimals on x, y, w and h: x2 = x + w is off by at most 0.01
CVAT_PRECISION = 0.005 + 1e-9  # two decimals on each corner
# (track id, frame) -> (box, keyframe, outside, needs_review)
Tracks = dict[tuple[int, int], tuple[list[float], bool, bool, bool | None]]


def propagated(frames: list[Path], first_box: list[float]) -> list[AnnotationRecord]:
    """Return tracks 1 and 2 as track_box records, made by the tracking engine on ``frames``."""
    source = ImageFileFrames(frames)
    box = (first_box[0], first_box[1], first_box[2], first_box[3])
    whole = propagate(source, [Keyframe(0, box)], label="person").track
    ended = propagate(source, [Keyframe(0, box), Keyframe(ENDED_AT, None)], label="person").track
    return whole.to_records(1) + ended.to_records(2)


def as_tracks(records: list[AnnotationRecord]) -> Tracks:
    return {
        (r.track_id or 0, r.frame or 0): (
            r.geometry["bbox"],
            r.attributes["keyframe"],
            r.attributes["outside"],
            r.attributes.get("needs_review"),
        )
        for r in records
    }


def stored_tracks(hub: Hub, pid: int) -> tuple[list[tuple[str, int | None, int]], Tracks, list[dict[str, Any]]]:
    """Return the project's items (name, frame count, stored frames), its track boxes, and per box its attributes
    with its source and score."""
    with hub.db.session() as s:
        items = [
            (name, count, len(meta.get("frames", [])))
            for name, count, meta in s.execute(
                select(Item.name, Item.frame_count, Item.meta).where(Item.project_id == pid)
            )
        ]
        rows = s.execute(
            select(
                Annotation.track_id,
                Annotation.frame,
                Annotation.geometry,
                Annotation.attributes,
                Annotation.source,
                Annotation.score,
            )
            .join(Item, Item.id == Annotation.item_id)
            .where(Item.project_id == pid, Annotation.kind == AnnotationKind.TRACK_BOX.value)
        ).all()
    tracks: Tracks = {}
    attributes = []
    for tid, frame, geometry, attrs, source, score in rows:
        tracks[(tid, frame)] = (geometry["bbox"], attrs["keyframe"], attrs["outside"], attrs.get("needs_review"))
        attributes.append({**attrs, "source": source, "score": score})
    return items, tracks, attributes


@pytest.fixture
def tracked(hub: Hub, otb_crossing: Path, tmp_path: Path) -> tuple[int, Tracks]:
    """A video project holding the first 30 frames of Crossing and the two propagated tracks."""
    seq = tmp_path / "crossing"
    seq.mkdir()
    frames = sorted((otb_crossing / "img").glob("*.jpg"))[:FRAMES]
    for frame in frames:
        shutil.copy(frame, seq / frame.name)
    with VideoImporter(seq, ImportOptions(media="link")) as importer:
        (item,), problems = split_records(importer)
    assert problems == [] and (item.name, item.frame_count, len(item.frame_files)) == ("crossing", FRAMES, FRAMES)
    item.annotations = propagated(item.frame_files, otb_boxes(otb_crossing)[0])
    pid = new_project(hub, "tracked", ItemKind.VIDEO)
    report = import_records(
        hub, SYSTEM, pid, [item], labels=["person"], format_name="video", options=ImportOptions(media="link")
    )
    assert (report.items_added, report.annotations_added) == (1, 2 * FRAMES)  # track 2 stays outside after 24
    items, tracks, _ = stored_tracks(hub, pid)
    assert items == [("crossing", FRAMES, FRAMES)]
    assert tracks == as_tracks(item.annotations)
    # What the round trips must carry: propagated boxes (not keyframes) on most frames, and outside boxes from the
    # outside keyframe on.
    assert sum(not kf for _, kf, _, _ in tracks.values()) == (FRAMES - 1) + (FRAMES - 2)
    assert [key for key, (_, _, outside, _) in tracks.items() if outside] == [(2, f) for f in range(ENDED_AT, FRAMES)]
    return pid, tracks


def close(a: list[float], b: list[float], tolerance: float) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_tracks_through_mot_and_back(hub: Hub, tracked: tuple[int, Tracks], tmp_path: Path) -> None:
    pid, original = tracked
    dest = tmp_path / "mot"
    export_project(hub, SYSTEM, pid, dest, fmt="mot", options=ExportOptions(copy_media=True))
    lines = (dest / "crossing" / "gt" / "gt.txt").read_text().splitlines()
    visible = {key: value for key, value in original.items() if not value[2]}
    assert len(lines) == len(visible) == FRAMES + ENDED_AT  # the outside box has no MOT row
    assert len(list((dest / "crossing" / "img1").iterdir())) == FRAMES

    again = new_project(hub, "from mot", ItemKind.VIDEO)
    report = import_source(hub, SYSTEM, again, dest, fmt="mot", options=ImportOptions(media="link"))
    assert (report.items_added, report.annotations_added) == (1, len(visible))
    items, back, attributes = stored_tracks(hub, again)
    assert items == [("crossing", FRAMES, FRAMES)]
    # The same tracks on the same frames; track 2 ends where the person marked it outside.
    assert back.keys() == visible.keys()
    assert max(frame for tid, frame in back if tid == 2) == ENDED_AT - 1
    for key, (box, _, _, _) in back.items():
        assert close(box, visible[key][0], MOT_PRECISION), (key, box, visible[key][0])
    # MOT has no keyframe flag, no outside rows and no confidence: every box comes back as a visible keyframe
    # set by a person, without the tracker's score or review mark.
    assert all(keyframe and not outside and review is None for _, keyframe, outside, review in back.values())
    assert all(a["source"] == Source.HUMAN.value and a["score"] is None for a in attributes)


def test_tracks_through_cvat_video_and_back(hub: Hub, tracked: tuple[int, Tracks], tmp_path: Path) -> None:
    pid, original = tracked
    dest = tmp_path / "cvat"
    export_project(hub, SYSTEM, pid, dest, fmt="cvat_video", options=ExportOptions(copy_media=True))
    root = ElementTree.parse(dest / "crossing" / "annotations.xml").getroot()
    written = {t.get("id"): [(b.get("frame"), b.get("keyframe"), b.get("outside")) for b in t.findall("box")]
               for t in root.findall("track")}  # fmt: skip
    assert written["1"][:2] == [("0", "1", "0"), ("1", "0", "0")]
    assert written["2"][ENDED_AT] == (str(ENDED_AT), "1", "1")  # the person's outside keyframe, then outside boxes
    assert written["2"][ENDED_AT + 1 :] == [(str(f), "0", "1") for f in range(ENDED_AT + 1, FRAMES)]
    assert len(list((dest / "crossing" / "images").iterdir())) == FRAMES

    again = new_project(hub, "from cvat", ItemKind.VIDEO)
    report = import_source(hub, SYSTEM, again, dest, fmt="cvat_video", options=ImportOptions(media="link"))
    assert (report.items_added, report.annotations_added) == (1, len(original))
    assert report.warnings == []  # its own needs_review flags are no attribute to declare, nor to warn about
    items, back, attributes = stored_tracks(hub, again)
    assert items == [("crossing", FRAMES, FRAMES)]
    # Every box, the outside one included, with its keyframe and outside flags.
    assert back.keys() == original.keys()
    for key, (box, *flags) in back.items():
        want_box, *want_flags = original[key]
        assert close(box, want_box, CVAT_PRECISION), (key, box, want_box)
        # keyframe, outside, and the review mark (which travels as a CVAT attribute)
        assert flags == want_flags, key
    # The tracker's score and the per-box source do not travel (CVAT has a source per track, "manual" here since
    # a person set the first box).
    assert all(a["source"] == Source.HUMAN.value and a["score"] is None for a in attributes)
