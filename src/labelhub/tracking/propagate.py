"""Propagation: every frame of a track from its keyframes, and re-propagation of only what an edit touches.

The keyframes cut the video into segments. A segment between two keyframes gets a forward pass from the first
and a backward pass from the second (:mod:`labelhub.tracking.passes`), blended frame by frame
(:mod:`labelhub.tracking.blend`); before the first keyframe there is only a backward pass, after the last only
a forward one. A keyframe marked outside starts no pass. The passes run in ``config.workers`` threads.

:func:`set_keyframe` (a person drew or edited a box, or marked a frame outside) and :func:`remove_keyframe`
recompute only the segments next to that frame, between its neighbouring keyframes; every other frame keeps its
:class:`FrameBox` object as it was. The passes a change does not invalidate are reused: adding a keyframe
between ``a`` and ``b`` cuts the forward pass from ``a`` and the backward pass from ``b`` short instead of
running them again, so only the two passes that start at the new keyframe are tracked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType

from labelhub.errors import ValidationError
from labelhub.tracking._boxes import Box
from labelhub.tracking.blend import Segment, keyframe_box, segment_boxes
from labelhub.tracking.config import PropagationConfig
from labelhub.tracking.frames import FrameSource, ScaledFrames
from labelhub.tracking.passes import Pass, run_pass
from labelhub.tracking.surprise import keyframe_surprise, rescore
from labelhub.tracking.track import FrameBox, Keyframe, Track, check_keyframes

__all__ = ["Propagation", "propagate", "remove_keyframe", "set_keyframe"]

PassKey = tuple[int, int]  # (keyframe, step): step +1 forward, -1 backward
Progress = Callable[[int, int], None]
"""Called with (tracker updates done, tracker updates planned) as passes run, from the passes' threads."""


class _Counter:
    """Counts tracker updates across the passes' threads and reports them; an exception it raises stops a pass."""

    def __init__(self, total: int, report: Progress) -> None:
        self.total, self.report, self.done = total, report, 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.done += 1
            done = self.done
        self.report(done, self.total)


@dataclass(frozen=True, slots=True)
class Propagation:
    """A propagated track, with what is needed to re-propagate it after an edit.

    ``changed`` is the range of frames the call that made this value recomputed (``first``, ``last``
    inclusive): a caller saving the track needs to write only those. The boxes are tracked again only between
    the keyframes next to an edit; a few frames beyond them may change confidence (the keyframes' surprise,
    :mod:`labelhub.tracking.surprise`). ``passes`` holds the tracking passes by (keyframe, direction) for reuse;
    ``tracked_frames`` counts the tracker updates this call made; ``raw_confidence`` is each frame's confidence
    before the surprise penalty (None: take the track's).
    """

    track: Track
    config: PropagationConfig
    passes: Mapping[PassKey, Pass] = field(repr=False)
    changed: tuple[int, int]
    tracked_frames: int = 0
    raw_confidence: tuple[float, ...] | None = field(default=None, repr=False)

    @property
    def keyframes(self) -> tuple[Keyframe, ...]:
        """Return the track's keyframes in frame order."""
        return self.track.keyframes


def _segments(keyframes: list[Keyframe], n: int) -> list[Segment]:
    """Return the runs of frames between keyframes, including before the first and after the last."""
    segs: list[Segment] = []
    first, last = keyframes[0], keyframes[-1]
    if first.frame > 0:
        segs.append(Segment(None, first, 0, first.frame - 1))
    for a, b in pairwise(keyframes):
        if b.frame - a.frame > 1:
            segs.append(Segment(a, b, a.frame + 1, b.frame - 1))
    if last.frame < n - 1:
        segs.append(Segment(last, None, last.frame + 1, n - 1))
    return segs


def _needed(seg: Segment, n: int) -> list[tuple[PassKey, Box, int]]:
    """Return the passes ``seg`` needs: (key, keyframe box, frame to reach)."""
    out: list[tuple[PassKey, Box, int]] = []
    if seg.before is not None and seg.before.box is not None:
        end = seg.after.frame if seg.after is not None else n - 1
        out.append(((seg.before.frame, 1), seg.before.box, end))
    after_outside = seg.before is not None and seg.before.box is None  # out of view until the next keyframe
    if seg.after is not None and seg.after.box is not None and not after_outside:
        end = seg.before.frame if seg.before is not None else 0
        out.append(((seg.after.frame, -1), seg.after.box, end))
    return out


def _build(
    frames: FrameSource,
    keyframes: list[Keyframe],
    config: PropagationConfig,
    label: str,
    span: tuple[int, int],
    previous: Propagation | None,
    progress: Progress | None = None,
) -> Propagation:
    """Return the propagation for ``keyframes``, recomputing frames in ``span`` and copying the rest."""
    n = len(frames)
    lo, hi = span
    segs = [s for s in _segments(keyframes, n) if s.last >= lo and s.first <= hi]
    old = previous.passes if previous is not None else {}
    passes: dict[PassKey, Pass] = {}
    todo: list[tuple[PassKey, Box, int]] = []
    for seg in segs:
        for key, box, end in _needed(seg, n):
            cached = old.get(key)
            if cached is not None and cached.key == box and cached.reaches(end):
                passes[key] = cached.truncated(end)
            else:
                todo.append((key, box, end))
    scaled = ScaledFrames(frames)
    counter = _Counter(sum(abs(end - key[0]) for key, _, end in todo), progress) if progress is not None else None
    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        done = list(pool.map(lambda job: run_pass(scaled, job[0][0], job[1], job[2], config, counter), todo))
    passes.update({job[0]: p for job, p in zip(todo, done, strict=True)})
    tracked = sum(len(p.boxes) for p in done)

    boxes: list[FrameBox | None] = list(previous.track.boxes) if previous is not None else [None] * n
    raw = _raw_confidence(previous, n)
    by_frame = {kf.frame: kf for kf in keyframes}
    for f in range(lo, hi + 1):
        if f in by_frame:
            boxes[f] = None  # filled below, once the place it keeps (when outside) is known
    for seg in segs:
        fwd = passes.get((seg.before.frame, 1)) if seg.before is not None else None
        bwd = passes.get((seg.after.frame, -1)) if seg.after is not None else None
        boxes[seg.first : seg.last + 1] = segment_boxes(seg, fwd, bwd, frames.size, config)
        raw[seg.first : seg.last + 1] = [fb.confidence for fb in boxes[seg.first : seg.last + 1] if fb is not None]
    # Before the object is first seen (a first keyframe that is outside: a track split off another one), an
    # outside frame keeps the first place a person drew it, so that it is stored as outside rather than left empty.
    first_place = next((kf.box for kf in keyframes if kf.box is not None), None)
    last_place: Box | None = None
    for f in range(n):
        fb = boxes[f]
        if f in by_frame and lo <= f <= hi:
            fb = keyframe_box(by_frame[f], last_place or first_place)
            boxes[f] = fb
            raw[f] = 1.0
        elif fb is not None and fb.box is None and lo <= f <= hi and (last_place or first_place) is not None:
            # Outside after an outside keyframe: the box keeps the last place seen, so the frame can be stored.
            fb = FrameBox(f, fb.state, last_place or first_place, fb.confidence, fb.needs_review, fb.source)
            boxes[f] = fb
        if fb is not None and fb.box is not None and fb.visible:
            last_place = fb.box
    # Keep every pass that a later edit may reuse: those of segments outside the span too.
    for key, p in old.items():
        if key not in passes and key[0] in by_frame and by_frame[key[0]].box == p.key:
            passes[key] = p
    blended = [fb for fb in boxes if fb is not None]
    if len(blended) != n:  # pragma: no cover - every frame is a keyframe or in a segment
        raise RuntimeError("propagation left frames without a box")
    keep = previous.track.boxes if previous is not None else None
    full = rescore(blended, raw, keyframe_surprise(keyframes, passes), config, keep)
    if keep is not None:  # frames beyond the span whose confidence the keyframes' surprise changed
        moved = [f for f in range(n) if full[f] is not keep[f]]
        lo, hi = min([lo, *moved]), max([hi, *moved])
    track = Track(label, tuple(full))
    return Propagation(track, config, MappingProxyType(passes), (lo, hi), tracked, tuple(raw))


def _raw_confidence(previous: Propagation | None, n: int) -> list[float]:
    """Return the confidences before the surprise penalty that ``previous`` had (its track's when unknown)."""
    if previous is None:
        return [0.0] * n
    if previous.raw_confidence is not None and len(previous.raw_confidence) == n:
        return list(previous.raw_confidence)
    return [fb.confidence for fb in previous.track.boxes]


def propagate(
    frames: FrameSource,
    keyframes: Iterable[Keyframe],
    *,
    label: str = "",
    config: PropagationConfig | None = None,
    progress: Progress | None = None,
) -> Propagation:
    """Return the track over every frame of ``frames`` propagated from ``keyframes``.

    ``progress`` is called with (tracker updates done, planned) while the passes run (from their threads).

    Raises ValidationError naming the field when a keyframe is out of range, duplicated or not a box in the
    image, or when no keyframe has a box.
    """
    config = config or PropagationConfig()
    width, height = frames.size
    kfs = check_keyframes(keyframes, len(frames), width, height)
    return _build(frames, kfs, config, label, (0, len(frames) - 1), None, progress)


def _affected(keyframes: list[Keyframe], frame: int, n: int) -> tuple[int, int]:
    """Return the frames between the keyframes before and after ``frame`` (the video's ends if none)."""
    before = [kf.frame for kf in keyframes if kf.frame < frame]
    after = [kf.frame for kf in keyframes if kf.frame > frame]
    return (before[-1] + 1 if before else 0, after[0] - 1 if after else n - 1)


def set_keyframe(
    previous: Propagation, frames: FrameSource, keyframe: Keyframe, progress: Progress | None = None
) -> Propagation:
    """Return ``previous`` with ``keyframe`` added (or replacing the one on its frame), re-propagating only the
    segments between its neighbouring keyframes.
    """
    if len(frames) != len(previous.track):
        raise ValidationError(
            f"the frames ({len(frames)}) are not the track's video ({len(previous.track)} frames)", field="frames"
        )
    others = [kf for kf in previous.keyframes if kf.frame != keyframe.frame]
    width, height = frames.size
    kfs = check_keyframes([*others, keyframe], len(frames), width, height)
    span = _affected(kfs, keyframe.frame, len(frames))
    return _build(frames, kfs, previous.config, previous.track.label, span, previous, progress)


def remove_keyframe(
    previous: Propagation, frames: FrameSource, frame: int, progress: Progress | None = None
) -> Propagation:
    """Return ``previous`` without the keyframe on ``frame``, re-propagating the segment that now spans it."""
    current = previous.keyframes
    if frame not in {kf.frame for kf in current}:
        raise ValidationError(f"frame {frame} is not a keyframe", field="frame")
    rest = [kf for kf in current if kf.frame != frame]
    width, height = frames.size
    kfs = check_keyframes(rest, len(frames), width, height)
    span = _affected(kfs, frame, len(frames))
    return _build(frames, kfs, previous.config, previous.track.label, span, previous, progress)
