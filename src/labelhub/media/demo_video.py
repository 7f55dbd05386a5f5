"""A synthetic demo video for ``labelhub demo``: shapes that turn, stop and speed up over a textured background.

The motion is what breaks straight-line interpolation between keyframes (a curve, a stop, a sudden change of
speed), so the demo shows what tracking propagation is for. Drawn from one seeded generator with the image
demo's shapes and background (:mod:`labelhub.media.demo`); the same seed gives byte-identical frames. The
video is an image sequence of JPEG files with one track started: the square's true box on the first frame, a
keyframe (``labelhub demo`` then queues its propagation); the other two shapes are left for a person.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import ValidationError
from labelhub.media.demo import HEIGHT, JPEG_QUALITY, WIDTH, Shape, draw_background, draw_shapes

__all__ = ["DEMO_VIDEO_FPS", "generate_demo_video"]

DEMO_VIDEO_FPS = 25.0


def _speed(t: float, stop_at: float) -> float:
    """Pixels per frame at ``t`` (0..1 of the video): cruising, a stop around ``stop_at``, then a sprint."""
    if abs(t - stop_at) < 0.08:
        return 0.0
    return 2.0 if t < stop_at else 4.5


def _paths(rng: random.Random, frames: int, count: int) -> list[list[tuple[float, float, float]]]:
    """Return per shape the (x, y, angle) on every frame: a heading that turns, with stops and speed-ups."""
    out = []
    for _ in range(count):
        x, y = rng.uniform(120, WIDTH - 120), rng.uniform(100, HEIGHT - 100)
        heading, turn = rng.uniform(0, 2 * math.pi), rng.choice([-1.0, 1.0]) * rng.uniform(0.01, 0.03)
        stop_at, angle, spin = rng.uniform(0.3, 0.6), rng.uniform(0, 2 * math.pi), rng.uniform(-0.03, 0.03)
        path = []
        for i in range(frames):
            path.append((x, y, angle))
            step = _speed(i / max(frames - 1, 1), stop_at)
            heading += turn
            x, y, angle = x + step * math.cos(heading), y + step * math.sin(heading), angle + spin
            # Turn back from the edges so the shapes stay in view.
            if not 70 < x < WIDTH - 70:
                heading = math.pi - heading
            if not 70 < y < HEIGHT - 70:
                heading = -heading
        out.append(path)
    return out


def generate_demo_video(dest: Path, frames: int = 150, seed: int = 0) -> ItemRecord:
    """Write ``frames`` 640x480 JPEG frames of three moving shapes to ``dest`` and return the video item."""
    if frames < 2:
        raise ValidationError(f"a demo video needs at least 2 frames, got {frames}", field="frames")
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    background = draw_background(rng)
    kinds = ["square", "circle", "star"]
    sizes = [rng.uniform(30, 45) for _ in kinds]
    colours = random.Random(seed + 1)  # the same colours on every frame: one generator reseeded per frame
    paths = _paths(rng, frames, len(kinds))
    files = []
    first: list[Shape] = []
    for i in range(frames):
        image = background.copy()
        shapes = [Shape(k, *p[i][:2], r, p[i][2]) for k, p, r in zip(kinds, paths, sizes, strict=True)]
        first = first or shapes
        colours.seed(seed + 1)
        draw_shapes(image, shapes, colours)
        path = dest / f"frame_{i:04d}.jpg"
        image.save(path, "JPEG", quality=JPEG_QUALITY)
        files.append(path)
    return ItemRecord(
        kind=ItemKind.VIDEO,
        name="moving shapes",
        media_path=files[0],
        frame_files=files,
        frame_count=frames,
        fps=DEMO_VIDEO_FPS,
        width=WIDTH,
        height=HEIGHT,
        annotations=[_first_keyframe(first[0])],
    )


def _first_keyframe(shape: Shape) -> AnnotationRecord:
    """The shape's box on frame 0 as the keyframe that starts track 1."""
    bbox = [round(v, 2) for v in shape.box()]
    return AnnotationRecord(AnnotationKind.TRACK_BOX, shape.label, {"bbox": bbox}, frame=0, track_id=1,
                            attributes={"keyframe": True, "outside": False})  # fmt: skip
