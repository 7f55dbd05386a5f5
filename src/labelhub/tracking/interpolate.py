"""Linear interpolation between keyframes: the baseline that propagation is measured against, and an option.

Between two keyframes with boxes, each corner moves on a straight line. Before the first keyframe and after
the last, the nearest keyframe's box is held. Next to a keyframe marked outside, the object stays where the
visible keyframe put it until the outside keyframe, and is outside from there until the next visible one
(the way CVAT's interpolation treats "outside").

Interpolation knows nothing about the pixels, so its confidence is a stand-in: ``0.5 ** (d / half_life)`` for
a frame ``d`` frames from the nearest keyframe. It makes suggested frames work the same way (the middle of the
longest gaps first). Frames the keyframes settle as outside (after an outside keyframe, or before the first
keyframe when it is outside) have confidence 1, as the tracker gives them: nothing to check there.
"""

from __future__ import annotations

from collections.abc import Iterable

from labelhub.errors import ValidationError
from labelhub.tracking._boxes import Box, lerp
from labelhub.tracking.blend import keyframe_box
from labelhub.tracking.track import BoxState, FrameBox, Keyframe, Track, check_keyframes

__all__ = ["DEFAULT_HALF_LIFE", "interpolate"]

DEFAULT_HALF_LIFE = 15.0


def interpolate(
    n_frames: int,
    keyframes: Iterable[Keyframe],
    *,
    size: tuple[int, int],
    label: str = "",
    half_life: float = DEFAULT_HALF_LIFE,
    review_threshold: float = 0.5,
) -> Track:
    """Return the track over ``n_frames`` frames of ``size`` (width, height) interpolated linearly between
    ``keyframes``; ValidationError names the field of a bad keyframe.
    """
    if not half_life > 0:
        raise ValidationError(f"half_life must be positive, got {half_life!r}", field="half_life")
    kfs = check_keyframes(keyframes, n_frames, size[0], size[1])
    frames = [kf.frame for kf in kfs]
    boxes: list[FrameBox] = []
    # An outside frame keeps the last place seen; before the object is first seen, the first place drawn.
    first_place = next(kf.box for kf in kfs if kf.box is not None)
    last_place: Box | None = None
    j = 0  # index of the first keyframe at or after the current frame
    for t in range(n_frames):
        while j < len(kfs) and frames[j] < t:
            j += 1
        if j < len(kfs) and frames[j] == t:
            fb = keyframe_box(kfs[j], last_place or first_place)
        else:
            before = kfs[j - 1] if j > 0 else None
            after = kfs[j] if j < len(kfs) else None
            fb = _between(t, before, after, last_place or first_place, half_life, review_threshold)
        if fb.box is not None and fb.visible:
            last_place = fb.box
        boxes.append(fb)
    return Track(label, tuple(boxes))


def _between(
    t: int, before: Keyframe | None, after: Keyframe | None, last_place: Box | None, half_life: float, review: float
) -> FrameBox:
    d = min(t - before.frame if before is not None else 1 << 30, after.frame - t if after is not None else 1 << 30)
    conf = 0.5 ** (d / half_life)
    if (before is not None and before.box is None) or (before is None and after is not None and after.box is None):
        # After an outside keyframe (or before the first keyframe, when it is outside) the object is out of view,
        # as the person said: settled, nothing to check (as the tracker has it).
        return FrameBox(t, BoxState.OUTSIDE, last_place, 1.0, False)
    if before is not None and after is not None and before.box is not None and after.box is not None:
        box = lerp(before.box, after.box, (t - before.frame) / (after.frame - before.frame))
        return FrameBox(t, BoxState.PROPAGATED, box, conf, conf < review)
    held = before.box if before is not None and before.box is not None else None
    if held is None and after is not None:
        held = after.box
    if held is None:
        return FrameBox(t, BoxState.OUTSIDE, last_place, conf, conf < review)
    return FrameBox(t, BoxState.PROPAGATED, held, conf, conf < review)
