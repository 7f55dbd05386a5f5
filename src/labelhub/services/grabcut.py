"""GrabCut refinement: a box drawn on an image item becomes the polygon of the object inside it.

OpenCV does the segmentation (``cv2.grabCut``, initialised with a mask: background outside the box, probably
foreground inside); what is written here is the glue around it that OpenCV does not provide: reading the item's
image from the media store, downscaling large images so one call stays well under a second, giving the sides of
the box that lie on the image border some background evidence, seeding OpenCV's random numbers so that the same
box always gives the same outline, taking the largest outer contour of the foreground, simplifying it with
``cv2.approxPolyDP`` and mapping it back to the item's pixel coordinates, clipped to the image. The result is in
the hub's polygon geometry (flat ``[x, y, x, y, ...]`` absolute pixels, see :mod:`labelhub.domain.geometry`);
the API returns it as ``[[x, y], ...]`` pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.geometry import validate_box
from labelhub.domain.permissions import Action
from labelhub.errors import NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.items import get_item
from labelhub.storage.models import Media

# The longest side GrabCut works on; larger regions are scaled down (at 640 a call took 2 s here, at 480 0.7 s).
MAX_SIDE = 480
# The smallest box side (item pixels) worth segmenting: below this there is no object to separate from a border.
MIN_BOX_SIDE = 4.0
MAX_ITERATIONS = 20
# approxPolyDP tolerance as a share of the contour's perimeter (0.5 %: close to the outline, few points).
EPSILON_SHARE = 0.005
# A side of the box on the image border has no image beyond it for GrabCut to learn the background from, and a
# box dragged past the border is often loose there: a band this share of the box's size inside such a side
# starts as "probably background" (GrabCut may still give it to the object when the object reaches the border).
# With three or four sides on the border there is little or no background outside the box, and the bands carry
# more of it. Measured on COCO objects (tests/services/test_grabcut.py, docs/editor.md): wider bands cut into
# objects that really reach the border, narrower ones leave loose boxes bleeding into the background.
BORDER_BAND_SHARE = 0.1
BORDER_BAND_SHARE_WIDE = 0.15
# GrabCut's colour models start from k-means, which draws from OpenCV's random number generator: it is seeded
# before each call so that a box gives the same outline every time (the generator is per thread in OpenCV).
RNG_SEED = 0


@dataclass(frozen=True)
class Outline:
    """The polygon GrabCut found: flat ``[x, y, ...]`` points in item pixels, and its area in square pixels."""

    points: list[float]
    area: float

    def pairs(self) -> list[list[float]]:
        """Return the points as ``[[x, y], ...]`` pairs (the API's shape)."""
        return [[self.points[i], self.points[i + 1]] for i in range(0, len(self.points), 2)]


def check_box(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float]:
    """Return the box as floats when it lies inside a ``width`` x ``height`` image and is big enough, else raise."""
    x1, y1, x2, y2 = validate_box(list(box), width, height, field="box")
    if x2 - x1 < MIN_BOX_SIDE or y2 - y1 < MIN_BOX_SIDE:
        raise ValidationError(
            f"box is {_px(x2 - x1)} x {_px(y2 - y1)} px; draw one at least {_px(MIN_BOX_SIDE)} px on each side",
            field="box",
        )
    return max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2)


def _px(v: float) -> str:
    """A length to at most 2 decimals, rounded down so that a box just under the minimum never reads as it."""
    return f"{math.floor(v * 100 + 1e-9) / 100:.2f}".rstrip("0").rstrip(".")


def segment(
    image: NDArray[np.uint8], box: Sequence[float], *, iterations: int = 5, max_side: int = MAX_SIDE
) -> Outline:
    """Return the outline of the object inside ``box`` (item pixels) on an RGB ``image`` of shape (H, W, 3).

    GrabCut runs on the box with a margin around it, scaled so its longest side is at most ``max_side``; the
    contour is mapped back. The sides of the box on the image border get a band of probable background (see
    ``BORDER_BAND_SHARE``). The same image and box always give the same outline.
    When GrabCut keeps no foreground, or all of the box (a box over plain background), the box itself is
    returned, so the tool always gives a shape a person can then edit.
    """
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValidationError(f"iterations must be 1 to {MAX_ITERATIONS}, got {iterations}", field="iterations")
    h, w = image.shape[:2]
    x1, y1, x2, y2 = check_box(box, w, h)
    # GrabCut learns the background from what lies outside the box: a margin of half the box's size (at least
    # 16 px) is enough, and the rest of a large image would only cost time.
    mx, my = max(16.0, (x2 - x1) / 2), max(16.0, (y2 - y1) / 2)
    cx1, cy1 = int(max(0.0, x1 - mx)), int(max(0.0, y1 - my))
    cx2, cy2 = int(min(float(w), np.ceil(x2 + mx))), int(min(float(h), np.ceil(y2 + my)))
    crop = image[cy1:cy2, cx1:cx2]
    scale = min(1.0, max_side / max(cy2 - cy1, cx2 - cx1))
    small = crop if scale == 1.0 else cv2.resize(crop, (round((cx2 - cx1) * scale), round((cy2 - cy1) * scale)),
                                                  interpolation=cv2.INTER_AREA)  # fmt: skip
    sh, sw = small.shape[:2]
    rx, ry = int(np.floor((x1 - cx1) * scale)), int(np.floor((y1 - cy1) * scale))
    rw = max(2, min(sw - rx, int(np.ceil((x2 - cx1) * scale)) - rx))
    rh = max(2, min(sh - ry, int(np.ceil((y2 - cy1) * scale)) - ry))
    mask = _start_mask(sh, sw, rx, ry, rw, rh)
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(small[:, :, ::-1])
    try:
        cv2.setRNGSeed(RNG_SEED)
        cv2.grabCut(bgr, mask, (rx, ry, rw, rh), bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)  # rect unused
    except cv2.error:
        # GrabCut needs both background and foreground to learn from (a box over the whole of a tiny image).
        return _box_outline(x1, y1, x2, y2)
    fg = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    # Nothing kept, or the whole box (a box over plain background, which the border bands cannot tell apart).
    if not contours or np.count_nonzero(fg) >= rw * rh:
        return _box_outline(x1, y1, x2, y2)
    biggest = max(contours, key=cv2.contourArea)
    approx = cv2.approxPolyDP(biggest, EPSILON_SHARE * cv2.arcLength(biggest, True), True).reshape(-1, 2)
    if len(approx) < 3:
        return _box_outline(x1, y1, x2, y2)
    # Contour points are pixel indices of the small image; pixel i covers [i, i+1), so its centre is i + 0.5.
    xs = np.clip((approx[:, 0] + 0.5) / scale + cx1, x1, x2)
    ys = np.clip((approx[:, 1] + 0.5) / scale + cy1, y1, y2)
    points = [round(float(v), 2) for pair in zip(xs, ys, strict=True) for v in pair]
    return Outline(points=points, area=round(_shoelace(xs, ys), 2))


def _start_mask(sh: int, sw: int, rx: int, ry: int, rw: int, rh: int) -> NDArray[np.uint8]:
    """GrabCut's starting labels on the working image: what GC_INIT_WITH_RECT starts from (background outside
    the box ``rx, ry, rw, rh``, probably foreground inside), with a band of probable background inside each side
    of the box that lies on the image border (less than 2 px of image beyond it)."""
    mask = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    mask[ry : ry + rh, rx : rx + rw] = cv2.GC_PR_FGD
    left, top, right, bottom = rx < 2, ry < 2, sw - (rx + rw) < 2, sh - (ry + rh) < 2
    share = BORDER_BAND_SHARE_WIDE if left + top + right + bottom >= 3 else BORDER_BAND_SHARE
    bx, by = int(rw * share), int(rh * share)
    inside = mask[ry : ry + rh, rx : rx + rw]  # a view: writing it writes the mask
    if left and bx > 0:
        inside[:, :bx] = cv2.GC_PR_BGD
    if right and bx > 0:
        inside[:, rw - bx :] = cv2.GC_PR_BGD
    if top and by > 0:
        inside[:by, :] = cv2.GC_PR_BGD
    if bottom and by > 0:
        inside[rh - by :, :] = cv2.GC_PR_BGD
    return mask


def _box_outline(x1: float, y1: float, x2: float, y2: float) -> Outline:
    return Outline(points=[x1, y1, x2, y1, x2, y2, x1, y2], area=(x2 - x1) * (y2 - y1))


def _shoelace(xs: NDArray[np.float64], ys: NDArray[np.float64]) -> float:
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2.0)


def load_rgb(path: Path) -> NDArray[np.uint8]:
    """Return an image file as an (H, W, 3) uint8 RGB array (EXIF rotation is not applied: the editor shows
    the stored pixels as they are)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def item_image_path(session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int) -> Path:
    """Return the local file of an image item the actor may annotate (checks access; 404 without media)."""
    item = get_item(session, actor, project_id, item_id, Action.ANNOTATE)
    if item.kind != "image":
        raise ValidationError(f"item {item_id} is a {item.kind} item; GrabCut works on images", field="item_id")
    if not item.media_key:
        raise NotFoundError(f"item {item_id} has no stored image (imported as metadata only)", field="media")
    linked = session.execute(select(Media.path).where(Media.key == item.media_key)).scalar_one_or_none()
    path = hub.media.local_path(item.media_key, linked)
    if path is None or not Path(path).is_file():
        raise NotFoundError(f"the image of item {item_id} is missing from the media store", field="media")
    return Path(path)


def grabcut_item(
    hub: Hub, actor: Actor, project_id: int, item_id: int, box: Sequence[float], *, iterations: int = 5
) -> Outline:
    """Return the outline GrabCut finds inside ``box`` on an item's image (ANNOTATE; nothing is stored)."""
    with hub.db.session() as s:
        path = item_image_path(s, hub, actor, project_id, item_id)
    return segment(load_rgb(path), box, iterations=iterations)
