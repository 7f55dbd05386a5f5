"""Split and merge on tracked (not interpolated) tracks: the cached passes are handed on so only the segments next
to the split are tracked again, and what an MOT export holds after each (two ids split at the frame, then one)."""

from __future__ import annotations

from pathlib import Path

from tests.api._support import run_jobs
from tests.api._video import otb_frames, otb_truth, video_of_frames
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.services import track_edits, tracks
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.frames import load_video_item
from labelhub.services.propagation import latest_jobs, queue_propagation
from labelhub.services.track_view import TrackView

SYSTEM = Actor.system()


def _views(hub: Hub, pid: int, iid: int) -> list[TrackView]:
    with hub.db.session() as s:
        return tracks.read_tracks(s, hub, SYSTEM, pid, iid)[1]


def _queue(hub: Hub, pid: int, iid: int, *track_ids: int) -> None:
    with hub.db.session(write=True) as s:
        v = load_video_item(s, hub, SYSTEM, pid, iid)
        for tid in track_ids:
            queue_propagation(s, SYSTEM, v, tid)
    run_jobs(hub)


def _mot(hub: Hub, pid: int, dest: Path) -> dict[int, list[int]]:
    """The frames (0-based) of each MOT id in the project's export."""
    export_project(hub, SYSTEM, pid, dest, fmt="mot", options=ExportOptions(copy_media=False))
    out: dict[int, list[int]] = {}
    for line in (dest / "clip" / "gt" / "gt.txt").read_text().splitlines():
        frame, tid = (int(x) for x in line.split(",")[:2])
        out.setdefault(tid, []).append(frame - 1)
    return out


def test_a_tracked_track_split_and_merged_back_tracks_only_next_to_the_seams(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "walk", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(40), tmp_path)
    truth = otb_truth()
    with hub.db.session(write=True) as s:
        v = load_video_item(s, hub, SYSTEM, pid, iid)
        version, tid = tracks.create_track(s, hub, SYSTEM, pid, iid, version=v.version, label="person", frame=0,
                                           box=truth[0])  # fmt: skip
        tracks.set_keyframe(s, hub, SYSTEM, pid, iid, tid, 30, version=version, box=truth[30])
    _queue(hub, pid, iid, tid)
    (before,) = _views(hub, pid, iid)
    assert before.keyframes == [0, 30] and set(before.states[1:30]) <= {"p"}
    assert _mot(hub, pid, tmp_path / "whole") == {tid: list(range(40))}

    with hub.db.session(write=True) as s:
        version = load_video_item(s, hub, SYSTEM, pid, iid).version
        version, new = track_edits.split_track(s, hub, SYSTEM, pid, iid, tid, version=version, frame=20)
    assert hub.propagations.get((iid, new)) is hub.propagations.get((iid, tid))  # the passes are handed on
    _queue(hub, pid, iid, tid, new)
    old, added = _views(hub, pid, iid)
    assert (old.keyframes, added.keyframes) == ([0, 19, 20], [19, 20, 30])
    assert old.states == before.states[:19] + "kx" + "o" * 19 and added.states == "o" * 19 + "xk" + before.states[21:]
    with hub.db.session() as s:
        jobs = latest_jobs(s, pid, iid)
    # Only the passes next to the seam ran: back from 19 to 0 and on from 20 to 30 (19 + 10 tracker updates), not
    # the whole video twice.
    assert jobs[tid].result["tracked_frames"] + jobs[new].result["tracked_frames"] == 29, (
        jobs[tid].result, jobs[new].result)  # fmt: skip
    assert old.boxes[19] == before.boxes[19] and added.boxes[20] == before.boxes[20]
    assert not (set(old.suggested) & set(range(20, 40))) and not (set(added.suggested) & set(range(20)))
    assert _mot(hub, pid, tmp_path / "split") == {tid: list(range(20)), new: list(range(20, 40))}

    with hub.db.session(write=True) as s:
        track_edits.merge_tracks(s, hub, SYSTEM, pid, iid, [tid, new], version=version)
    assert hub.propagations.get((iid, new)) is None
    _queue(hub, pid, iid, tid)
    (merged,) = _views(hub, pid, iid)
    assert merged.keyframes == [0, 19, 20, 30] and set(merged.states) <= {"k", "p"}
    assert _mot(hub, pid, tmp_path / "merged") == {tid: list(range(40))}
