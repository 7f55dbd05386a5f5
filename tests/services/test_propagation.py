"""The propagation job end to end: import -> one box -> propagate -> export MOT -> import again; video files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select
from tests.api._support import run_jobs
from tests.api._video import otb_frames, otb_truth, video_file_item, video_of_frames
from tests.builders import new_project

from labelhub.config import Settings
from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import ImportValidationError
from labelhub.formats import ExportOptions, ImportOptions
from labelhub.hub import Hub
from labelhub.services import tracks
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.frames import load_video_item
from labelhub.services.imports import import_records, import_source
from labelhub.services.propagation import queue_propagation
from labelhub.services.track_view import TrackView
from labelhub.storage.models import Annotation, Item
from labelhub.tracking._boxes import iou

SYSTEM = Actor.system()


def _start_track(hub: Hub, pid: int, iid: int, box: list[float], label: str = "person") -> int:
    with hub.db.session(write=True) as s:
        v = load_video_item(s, hub, SYSTEM, pid, iid)
        _, tid = tracks.create_track(s, hub, SYSTEM, pid, iid, version=v.version, label=label, frame=0, box=box)
        queue_propagation(s, SYSTEM, v, tid)
    run_jobs(hub)
    return tid


def _only_track(hub: Hub, pid: int, iid: int) -> TrackView:
    with hub.db.session() as s:
        _, views = tracks.read_tracks(s, hub, SYSTEM, pid, iid)
    (view,) = views
    return view


def test_import_propagate_export_mot_and_import_again_gives_the_same_track(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "walk", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(30), tmp_path)
    _start_track(hub, pid, iid, otb_truth()[0])
    track = _only_track(hub, pid, iid)
    assert track.states == "k" + "p" * 29

    dest = tmp_path / "out" / "mot"
    export_project(hub, SYSTEM, pid, dest, fmt="mot", options=ExportOptions(copy_media=True))
    gt = (dest / "clip" / "gt" / "gt.txt").read_text().splitlines()
    assert len(gt) == 30 and gt[0].startswith("1,1,")

    again = new_project(hub, "walk again", ItemKind.VIDEO)
    import_source(hub, SYSTEM, again, dest, fmt="mot", options=ImportOptions(media="copy"))
    with hub.db.session() as s:
        (iid2,) = s.scalars(select(Item.id).where(Item.project_id == again)).all()
    back = _only_track(hub, again, iid2)
    assert back.label == "person" and back.frame_count == 30
    # MOT has no keyframe flag: every box of the file is a person's box again.
    assert back.states == "k" * 30
    for f in range(30):
        assert back.boxes[f] is not None and track.boxes[f] is not None
        assert np.allclose(back.boxes[f], track.boxes[f], atol=0.01), (f, back.boxes[f], track.boxes[f])


def _square_video(path: Path, frames: int = 40) -> tuple[Path, list[list[float]]]:
    """An MJPG AVI of a textured 24x24 square moving 3 pixels right and 1 down per frame on a noisy background."""
    rng = np.random.default_rng(7)
    background = rng.integers(0, 80, (120, 160, 3), dtype=np.uint8)
    patch = rng.integers(150, 255, (24, 24, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (160, 120))
    truth = []
    for i in range(frames):
        x, y = 10 + 3 * i, 20 + i
        image = background.copy()
        image[y : y + 24, x : x + 24] = patch
        writer.write(image)
        truth.append([float(x), float(y), float(x + 24), float(y + 24)])
    writer.release()
    return path, truth


def test_a_video_file_item_is_tracked_from_the_file(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "squares", ItemKind.VIDEO)
    path, truth = _square_video(tmp_path / "in" / "square.avi")
    iid = video_file_item(hub, pid, path)
    _start_track(hub, pid, iid, truth[0], label="square")
    track = _only_track(hub, pid, iid)
    assert track.states == "k" + "p" * 39
    ious = [iou(tuple(track.boxes[f]), tuple(truth[f])) for f in range(40)]  # type: ignore[arg-type]
    assert min(ious) >= 0.7, [round(v, 2) for v in ious]
    assert not any(hub.settings.frames_dir.rglob("*.jpg"))  # decoded in memory, not through the browser's cache


def test_an_imported_tracks_interpolated_boxes_are_replaced_not_doubled(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "cvat-like", ItemKind.VIDEO)
    frames = otb_frames(20)
    truth = otb_truth()
    # As a CVAT-video import gives them: a keyframe, then boxes a tool interpolated, all with source human.
    boxes = [AnnotationRecord(AnnotationKind.TRACK_BOX, "person", {"bbox": truth[f] if f == 0 else truth[0]},
                              frame=f, track_id=1, attributes={"keyframe": f == 0, "outside": False})
             for f in range(20)]  # fmt: skip
    record = ItemRecord(kind=ItemKind.VIDEO, name="clip", media_path=frames[0], frame_files=frames,
                        frame_count=20, width=360, height=240, annotations=boxes)  # fmt: skip
    import_records(hub, SYSTEM, pid, [record], labels=["person"], format_name="test",
                   options=ImportOptions(media="link"))  # fmt: skip
    with hub.db.session() as s:
        (iid,) = s.scalars(select(Item.id).where(Item.project_id == pid)).all()
        v = load_video_item(s, hub, SYSTEM, pid, iid)
    with hub.db.session(write=True) as s:
        queue_propagation(s, SYSTEM, v, 1)
    run_jobs(hub)
    track = _only_track(hub, pid, iid)
    assert track.states == "k" + "p" * 19
    with hub.db.session() as s:
        frames_stored = s.scalars(select(Annotation.frame).where(Annotation.item_id == iid)).all()
    assert sorted(frames_stored) == list(range(20))  # one box per frame: the imported ones were replaced


def test_an_outside_box_past_the_edge_is_clipped_on_import_and_a_visible_one_refused(hub: Hub) -> None:
    pid = new_project(hub, "edge", ItemKind.VIDEO)

    def record(name: str, outside: bool) -> ItemRecord:
        # Frame 1 keeps the place where the object was last seen: half past the left edge, as CVAT may write it.
        boxes = [AnnotationRecord(AnnotationKind.TRACK_BOX, "person", {"bbox": bbox}, frame=f, track_id=1,
                                  attributes={"keyframe": True, "outside": f == 1 and outside})
                 for f, bbox in ((0, [2.0, 30.0, 40.0, 90.0]), (1, [-43.73, 153.88, 46.13, 192.39]))]  # fmt: skip
        return ItemRecord(kind=ItemKind.VIDEO, name=name, frame_count=2, width=360, height=240, annotations=boxes)

    import_records(hub, SYSTEM, pid, [record("left", True)], labels=["person"], format_name="test",
                   options=ImportOptions(media="none"))  # fmt: skip
    with hub.db.session() as s:
        stored = s.scalars(select(Annotation).where(Annotation.frame == 1)).one()
        assert stored.geometry == {"bbox": [0.0, 153.88, 46.13, 192.39]}
    with pytest.raises(ImportValidationError) as err:
        import_records(hub, SYSTEM, pid, [record("visible", False)], labels=["person"], format_name="test",
                       options=ImportOptions(media="none"))  # fmt: skip
    assert "visible: geometry.bbox has negative coordinates" in str(err.value)


def _stored_boxes(hub: Hub, iid: int) -> dict[int, list[float]]:
    with hub.db.session() as s:
        rows = s.execute(select(Annotation.frame, Annotation.geometry).where(Annotation.item_id == iid)).all()
    return {int(f): list(g["bbox"]) for f, g in rows}


def _set_key(hub: Hub, pid: int, iid: int, tid: int, frame: int, box: list[float] | None) -> None:
    with hub.db.session(write=True) as s:
        v = load_video_item(s, hub, SYSTEM, pid, iid)
        tracks.set_keyframe(s, hub, SYSTEM, pid, iid, tid, frame, version=v.version, box=box)


def _quiet(share: float, message: str) -> None:
    """A job report nobody reads."""


def test_a_superseded_propagation_leaves_no_frame_stale(hub: Hub, tmp_path: Path) -> None:
    """A keyframe set while a propagation runs supersedes it (nothing written); the next propagation must then
    store what a propagation from scratch stores, including the frames only the superseded one had changed."""
    from labelhub.services.propagation import run_propagation

    pid = new_project(hub, "walk", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(40), tmp_path)
    truth = otb_truth()
    tid = _start_track(hub, pid, iid, truth[0])

    _set_key(hub, pid, iid, tid, 20, truth[20])
    edits: list[int] = []

    def report(share: float, message: str) -> None:
        if message == "reading frames" and not edits:  # the keyframes are read: a person saves another one
            edits.append(30)
            _set_key(hub, pid, iid, tid, 30, truth[30])

    first = run_propagation(hub, SYSTEM, pid, iid, tid, "track", report)
    assert first["superseded"] is True and first["boxes_written"] == 0
    run_propagation(hub, SYSTEM, pid, iid, tid, "track", _quiet)
    stored = _stored_boxes(hub, iid)

    hub.propagations.drop((iid, tid))  # from scratch: every frame tracked and written again
    run_propagation(hub, SYSTEM, pid, iid, tid, "track", _quiet)
    fresh = _stored_boxes(hub, iid)
    assert sorted(stored) == list(range(40))
    moved = [f for f in range(40) if not np.allclose(stored[f], fresh[f], atol=0.01)]
    assert moved == [], moved


def test_a_worker_whose_cache_is_behind_the_database_rewrites_the_track(hub: Hub, settings: Settings,
                                                                         tmp_path: Path) -> None:  # fmt: skip
    """Two worker processes, each with its own cached propagations (two hubs on one database): worker B stores a
    keyframe worker A never saw; when that keyframe goes again and another comes, A's cache (without it) would
    re-track only the new keyframe's segments and leave B's boxes on the others. A reads the track's stored rows
    first and rewrites every frame when they are not what its cache says."""
    from labelhub.services.propagation import run_propagation

    pid = new_project(hub, "walk", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(60), tmp_path)
    truth = otb_truth()
    other = Hub.open(settings, migrate=False)  # worker B
    try:
        with hub.db.session(write=True) as s:
            v = load_video_item(s, hub, SYSTEM, pid, iid)
            _, tid = tracks.create_track(s, hub, SYSTEM, pid, iid, version=v.version, label="person", frame=0,
                                         box=truth[0])  # fmt: skip
        for f in (30, 59):
            _set_key(hub, pid, iid, tid, f, truth[f])
        run_propagation(hub, SYSTEM, pid, iid, tid, "track", _quiet)  # A caches keyframes 0, 30, 59
        _set_key(other, pid, iid, tid, 10, truth[10])
        run_propagation(other, SYSTEM, pid, iid, tid, "track", _quiet)  # B stores 0, 10, 30, 59
        with hub.db.session(write=True) as s:
            v = load_video_item(s, hub, SYSTEM, pid, iid)
            tracks.remove_keyframe(s, hub, SYSTEM, pid, iid, tid, 10, version=v.version)
        _set_key(hub, pid, iid, tid, 45, truth[45])
        result = run_propagation(hub, SYSTEM, pid, iid, tid, "track", _quiet)  # A: keyframes 0, 30, 45, 59
    finally:
        other.close()
    assert result["rewrote_all"] is True and result["frames"] == [0, 59]
    stored = _stored_boxes(hub, iid)
    hub.propagations.drop((iid, tid))
    again = run_propagation(hub, SYSTEM, pid, iid, tid, "track", _quiet)  # from scratch
    assert again["rewrote_all"] is False
    fresh = _stored_boxes(hub, iid)
    assert sorted(stored) == list(range(60))
    moved = [f for f in range(60) if not np.allclose(stored[f], fresh[f], atol=0.01)]
    assert moved == [], moved
