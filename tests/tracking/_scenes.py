"""Synthetic videos for the tracking tests: a textured square moving over a textured background.

Both textures are seeded noise, so every tracker has something to lock on to and every run sees the same pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from labelhub.tracking import ArrayFrames, Box

Path = Callable[[int], tuple[float, float]]  # frame -> top-left corner of the square


@dataclass(frozen=True)
class Scene:
    frames: ArrayFrames
    boxes: list[Box]  # the square's true box on every frame


def _texture(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    small = rng.integers(0, 256, size=(max(1, h // cell), max(1, w // cell), 3), dtype=np.uint8)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST), dtype=np.uint8)


def moving_square(
    n: int = 30,
    *,
    size: tuple[int, int] = (160, 120),
    side: int = 24,
    path: Path | None = None,
    seed: int = 0,
) -> Scene:
    """Return ``n`` frames of a ``side``-pixel square moving along ``path`` (default: 2 px right, 1 px down)."""
    rng = np.random.default_rng(seed)
    width, height = size
    background = (_texture(rng, height, width, 8) // 2 + 40).astype(np.uint8)
    patch = _texture(rng, side, side, 4)
    patch[:, :, 2] = 255  # a red cast sets the square apart from the background
    where = path or (lambda i: (20.0 + 2.0 * i, 30.0 + 1.0 * i))
    frames, boxes = [], []
    for i in range(n):
        x, y = where(i)
        img = background.copy()
        x0, y0 = round(x), round(y)
        # Paste the part of the square that is inside the image.
        sx0, sy0 = max(0, -x0), max(0, -y0)
        dx0, dy0 = max(0, x0), max(0, y0)
        dx1, dy1 = min(width, x0 + side), min(height, y0 + side)
        if dx1 > dx0 and dy1 > dy0:
            img[dy0:dy1, dx0:dx1] = patch[sy0 : sy0 + dy1 - dy0, sx0 : sx0 + dx1 - dx0]
        frames.append(img)
        boxes.append((float(x0), float(y0), float(x0 + side), float(y0 + side)))
    return Scene(ArrayFrames(frames), boxes)
