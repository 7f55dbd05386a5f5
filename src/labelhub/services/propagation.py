"""The propagation job: fill in a track's frames between its keyframes, and write only what changed.

:func:`queue_propagation` queues a ``propagate`` job for one track (after every edit, and on request);
:func:`run_propagation` is its body. It reads the track's keyframes, brings the hub's cached
:class:`~labelhub.tracking.Propagation` of that track up to date with them (an edit re-tracks only the
segments next to it; a restart or a first run propagates the whole video), and then, in one write
transaction that holds the item's row, checks that the keyframes are still the ones it used and replaces the
propagated boxes of the frames it recomputed, each carrying the track's attribute values (those of the
keyframe before it, read in that transaction; per-frame values those the replaced boxes held on the frame,
:mod:`labelhub.services.track_frame_values`). When a newer edit changed the keyframes meanwhile, it writes
nothing and says ``superseded``: that edit queued its own job.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import cv2
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationState, Source
from labelhub.domain.permissions import Action
from labelhub.errors import NotFoundError, ValidationError
from labelhub.services import jobs
from labelhub.services import track_frame_values as tfv
from labelhub.services.access import Actor
from labelhub.services.frames import VideoItem, load_video_item, open_frames
from labelhub.services.track_attributes import project_specs, values_at
from labelhub.services.track_rows import TRACK_BOX, is_keyframe
from labelhub.services.tracks import keyframe_attributes, propagated_ids, read_keyframes
from labelhub.storage.models import Annotation, Item, Job, utcnow
from labelhub.tracking import Keyframe, Propagation, PropagationConfig, interpolate, propagate
from labelhub.tracking import remove_keyframe as engine_remove
from labelhub.tracking import set_keyframe as engine_set
from labelhub.tracking.frames import FrameSource

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["METHODS", "queue_propagation", "run_propagation"]

KIND = "propagate"
METHODS = ("track", "interpolate")
TRACKER_VERSION = "labelhub-tracking/csrt-kalman"
INTERPOLATION_VERSION = "labelhub-tracking/linear"
_DELETE_CHUNK = 5_000
_MAX_EDITS = 8  # more keyframe changes than this since the cached propagation: propagate from scratch
_TABLE = cast(Table, Annotation.__table__)
_A = _TABLE.c
Report = Callable[[float, str], None]


def queue_propagation(session: Session, actor: Actor, v: VideoItem, track_id: int, method: str = "track") -> Job:
    """Queue a propagation job for one track of ``v`` (in the caller's write transaction)."""
    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}, got {method!r}", field="method")
    params = {"item_id": v.item_id, "track_id": track_id, "method": method}
    return jobs.enqueue(session, actor, KIND, params, project_id=v.project_id)


def latest_jobs(session: Session, project_id: int, item_id: int, limit: int = 200) -> dict[int, Job]:
    """Return the newest propagation job of each track of the item, among the project's recent ones."""
    q = select(Job).where(Job.project_id == project_id, Job.kind == KIND).order_by(Job.id.desc()).limit(limit)
    out: dict[int, Job] = {}
    for job in session.scalars(q):
        p = job.params or {}
        if p.get("item_id") == item_id and isinstance(p.get("track_id"), int):
            out.setdefault(p["track_id"], job)
    return out


class _Throttled:
    """Turns the tracker's (done, planned) calls from two threads into a job report at most every 0.2 s."""

    def __init__(self, report: Report, low: float, high: float) -> None:
        self.report, self.low, self.high = report, low, high
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and done < total:
            return
        with self._lock:
            self._last = now
            share = done / total if total else 1.0
            self.report(self.low + (self.high - self.low) * share, f"tracked {done} of {total} frames")


def _update(
    previous: Propagation | None, frames: FrameSource, keyframes: list[Keyframe], label: str, progress: _Throttled
) -> Propagation:
    """Return the propagation for ``keyframes``, re-tracking only what changed since ``previous``."""
    n = len(frames)
    if previous is None or len(previous.track) != n:
        return propagate(frames, keyframes, label=label, config=PropagationConfig(), progress=progress)
    old = {kf.frame: kf.box for kf in previous.keyframes}
    new = {kf.frame: kf.box for kf in keyframes}
    to_set = [kf for kf in keyframes if kf.frame not in old or old[kf.frame] != kf.box]
    to_remove = [f for f in old if f not in new]
    if not to_set and not to_remove:
        return dataclasses.replace(previous, changed=(0, n - 1), tracked_frames=0)  # rewrite all, track nothing
    if len(to_set) + len(to_remove) > _MAX_EDITS:
        return propagate(frames, keyframes, label=label, config=previous.config, progress=progress)
    # Outside keyframes first: they start no pass and cut the others short, so the boxes set after them need only
    # the passes a person's keyframes start (a split's ends: tracked back from the new last frame, not on past it).
    to_set.sort(key=lambda kf: kf.box is not None)
    result, lo, hi, tracked = previous, n, -1, 0
    for kf in to_set:  # additions first: removals then never leave the track without a box keyframe
        result = engine_set(result, frames, kf, progress)
        lo, hi, tracked = min(lo, result.changed[0]), max(hi, result.changed[1]), tracked + result.tracked_frames
    for f in to_remove:
        result = engine_remove(result, frames, f, progress)
        lo, hi, tracked = min(lo, result.changed[0]), max(hi, result.changed[1]), tracked + result.tracked_frames
    return dataclasses.replace(result, changed=(lo, hi), tracked_frames=tracked)


def _rows(p: Propagation, v: VideoItem, track_id: int, label: str, model_version: str) -> list[dict[str, Any]]:
    """Return the propagated (not keyframe) boxes of the frames ``p`` recomputed, as annotation rows."""
    lo, hi = p.changed
    now = utcnow()
    out: list[dict[str, Any]] = []
    for fb in p.track.boxes[lo : hi + 1]:
        if fb.keyframe or fb.box is None:
            continue
        out.append(
            {"item_id": v.item_id, "project_id": v.project_id, "kind": TRACK_BOX, "label": label,
             "geometry": {"bbox": [round(c, 2) for c in fb.box]}, "frame": fb.frame, "track_id": track_id,
             "source": Source.MODEL.value, "model_version": model_version, "score": round(fb.confidence, 4),
             "state": AnnotationState.ACCEPTED.value, "author_id": None, "version": 1, "created_at": now,
             "updated_at": now,
             "attributes": {"keyframe": False, "outside": not fb.visible, "needs_review": fb.needs_review}}
        )  # fmt: skip
    return out


def _stale_elsewhere(
    session: Session, v: VideoItem, track_id: int, full: list[dict[str, Any]], lo: int, hi: int
) -> bool:
    """Whether the track's stored propagated boxes outside frames ``lo .. hi`` differ from ``full`` (every frame's
    row of the new result). They should not: the cached propagation the job started from is what the last job of
    this process stored. But another worker process, with its own cache, may have stored a later state since
    (``labelhub worker`` twice, or a split, merge or delete of the API process), and then the frames the cached
    state shares with the new one are not what the database holds. One read of the track's rows decides."""
    want = {r["frame"]: (r["geometry"]["bbox"], r["attributes"]["outside"]) for r in full if not lo <= r["frame"] <= hi}
    q = select(_A.frame, _A.geometry, _A.source, _A.attributes).where(
        _A.item_id == v.item_id, _A.kind == TRACK_BOX, _A.track_id == track_id,
        _A.frame.between(0, v.frame_count - 1), ~_A.frame.between(lo, hi),
    )  # fmt: skip
    have = {
        r.frame: ((r.geometry or {}).get("bbox"), bool((r.attributes or {}).get("outside")))
        for r in session.execute(q)
        if not is_keyframe(r.source, r.attributes)
    }
    return have != want


def run_propagation(
    hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, method: str, report: Report
) -> dict[str, Any]:
    """Propagate one track and store its boxes; return what was done (for the job's result)."""
    started = time.monotonic()
    cv2.setNumThreads(1)  # the passes run in their own threads; OpenCV's pool would compete with them
    with hub.db.session() as s:
        v = load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE, files=method != "interpolate")
        try:
            label, keyframes = read_keyframes(s, v, track_id)
        except NotFoundError:  # deleted, merged into another or its split undone since the job was queued
            hub.propagations.drop((item_id, track_id))
            return {"item_id": item_id, "track_id": track_id, "method": method, "superseded": True, "gone": True,
                    "frames": None, "boxes_written": 0, "seconds": round(time.monotonic() - started, 3)}  # fmt: skip
    report(0.02, "reading frames")
    key = (item_id, track_id)
    if method == "interpolate":
        track = interpolate(v.frame_count, keyframes, size=(v.width, v.height), label=label)
        result = Propagation(track, PropagationConfig(), {}, (0, v.frame_count - 1), 0)
        hub.propagations.drop(key)
    else:
        with open_frames(v) as frames:
            result = _update(hub.propagations.get(key), frames, keyframes, label, _Throttled(report, 0.05, 0.95))
    report(0.96, "saving boxes")
    model_version = INTERPOLATION_VERSION if method == "interpolate" else TRACKER_VERSION
    rows = _rows(result, v, track_id, label, model_version)
    lo, hi = result.changed
    rewrote = False  # every frame written because the database held another state than the cache (below)
    with hub.db.session(write=True) as s:
        # Hold the item's row (PostgreSQL; SQLite has one writer anyway) so no edit lands between the check
        # and the write.
        s.execute(select(Item.id).where(Item.id == item_id).with_for_update())
        try:
            current_label, current = read_keyframes(s, v, track_id)
        except NotFoundError:  # the track was deleted while it was being tracked: nothing to write
            current_label, current = label, []
        superseded = current != keyframes
        if not superseded and (lo, hi) != (0, v.frame_count - 1):
            full = _rows(dataclasses.replace(result, changed=(0, v.frame_count - 1)), v, track_id, label, model_version)
            if _stale_elsewhere(s, v, track_id, full, lo, hi):
                rows, lo, hi, rewrote = full, 0, v.frame_count - 1, True
        if not superseded:
            specs = project_specs(s, project_id)
            # Read before the boxes holding them are replaced: per-frame values survive a re-propagation.
            held = tfv.steps(((f, a) for _id, f, a in tfv.track_rows(s, item_id, track_id)), tfv.mutable_names(specs))
            stale = propagated_ids(s, item_id, track_id, lo, hi)
            for at in range(0, len(stale), _DELETE_CHUNK):  # within every database's limit of bound values
                s.execute(delete(_TABLE).where(_A.id.in_(stale[at : at + _DELETE_CHUNK])))
            if rows:
                # Read here, under the item's lock: a relabel or new values while tracking are what the boxes get.
                keyed = keyframe_attributes(s, item_id, track_id)
                names = [spec.name for spec in specs if not spec.mutable]
                for r in rows:
                    r["label"] = current_label  # renamed while tracking: the boxes follow the track's label
                    per_frame = {n: x for n, runs in held.items() if (x := tfv.value_at(runs, r["frame"])) is not None}
                    r["attributes"] = {**values_at(keyed, r["frame"], names), **per_frame, **r["attributes"]}
                s.execute(insert(_TABLE), rows)
    if method != "interpolate" and not superseded:
        # Cached only once its boxes are stored: the next job re-tracks what changed since the cached keyframes and
        # writes only those frames, so a superseded result (not written) cached here would leave the frames it
        # changed stale in the database; and two jobs of one track on two worker threads must not let the
        # superseded one, finishing last, overwrite the newer result.
        hub.propagations.put(key, result)
    track = result.track
    return {
        "item_id": item_id,
        "track_id": track_id,
        "method": method,
        "superseded": superseded,
        "frames": [lo, hi],
        "rewrote_all": rewrote,
        "boxes_written": 0 if superseded else len(rows),
        "tracked_frames": result.tracked_frames,
        "needs_review": len(track.review_frames()),
        "seconds": round(time.monotonic() - started, 3),
    }
