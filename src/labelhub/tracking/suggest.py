"""Suggested frames: where a person should look next, least confident first and spread over the video.

Frames a person has not set are ranked by confidence, lowest first; a frame within ``min_gap`` frames of one
already suggested is skipped (temporal non-maximum suppression), so ten suggestions are not ten neighbours of
one bad moment. ``min_gap`` defaults to the video's length over ``k``, so the ``k`` suggestions can reach across
the whole video (a twentieth, as before, kept ten of them within half of it: on a 150-frame video with one
keyframe at 0 they were 149, 142, ..., 86, now 149, 134, ..., 14). The first suggestion is the least confident
frame whatever the gap. Ties go to the frame farther from any keyframe, then the earlier frame.

The confidence already carries the keyframes' *surprise* (:mod:`labelhub.tracking.surprise`): next to a
keyframe where the person showed the system wrong while it was sure, frames rank first. Ranking by an expected
gain (how many doubtful frames a keyframe would repair) instead was measured and left out (``docs/tracking.md``,
"Suggestions for the guided mode").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from labelhub.errors import ValidationError
from labelhub.tracking.track import FrameBox, Track

__all__ = ["Suggestion", "suggest_among", "suggest_frames"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A frame to check, with the confidence that put it on the list."""

    frame: int
    confidence: float
    needs_review: bool


def _distance_to_keyframe(frame: int, keyframes: list[int]) -> int:
    i = bisect_left(keyframes, frame)
    near = [abs(frame - keyframes[j]) for j in (i - 1, i) if 0 <= j < len(keyframes)]
    return min(near) if near else len(keyframes)


def _ranked(candidates: list[FrameBox], keyframes: list[int]) -> Iterator[FrameBox]:
    """Yield ``candidates`` least confident first; among equal confidences, farther from a keyframe first, then
    the earlier frame. Sorted by confidence alone (a C-level key), the distances are measured only where two
    confidences tie: a 300-box track's ranking costs a sort, not 300 bisections."""
    candidates.sort(key=attrgetter("confidence"))
    for _conf, group in groupby(candidates, key=attrgetter("confidence")):
        tied = list(group)
        if len(tied) > 1:
            tied.sort(key=lambda fb: (-_distance_to_keyframe(fb.frame, keyframes), fb.frame))
        yield from tied


def suggest_frames(track: Track, k: int = 10, *, min_gap: int | None = None) -> list[Suggestion]:
    """Return up to ``k`` frames to check next, least confident first, no two within ``min_gap`` frames.

    ``min_gap`` defaults to the video's length over ``k`` (at least 1), so they spread over the whole video.
    Keyframes, and frames the keyframes settle (confidence 1), are never suggested.
    """
    return suggest_among(track.boxes, len(track), k, min_gap=min_gap)


def suggest_among(
    boxes: Sequence[FrameBox], frames: int, k: int = 10, *, min_gap: int | None = None
) -> list[Suggestion]:
    """:func:`suggest_frames` for a track given by some of its frame boxes on a video of ``frames`` frames.

    Frames without a box count as settled (confidence 1): a track seen on 300 frames of a 3,000-frame video is
    ranked from its 300 boxes.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValidationError(f"k must be a whole number >= 0, got {k!r}", field="k")
    gap = max(1, frames // max(k, 1)) if min_gap is None else min_gap
    if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
        raise ValidationError(f"min_gap must be a whole number >= 0, got {min_gap!r}", field="min_gap")
    keyframes = sorted(fb.frame for fb in boxes if fb.keyframe)
    # A frame the keyframes settle (confidence 1: after an "outside" keyframe) has nothing to check.
    candidates = [fb for fb in boxes if not fb.keyframe and fb.confidence < 1.0]
    picked: list[Suggestion] = []
    for fb in _ranked(candidates, keyframes):
        if len(picked) >= k:
            break
        if any(abs(fb.frame - s.frame) < gap for s in picked):
            continue
        picked.append(Suggestion(fb.frame, fb.confidence, fb.needs_review))
    return picked
