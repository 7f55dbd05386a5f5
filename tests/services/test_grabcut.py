"""GrabCut box to polygon: the outline of a clear object, on small and large (downscaled) images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from labelhub.errors import ValidationError
from labelhub.services.grabcut import segment


def scene(width: int, height: int, seed: int = 0) -> tuple[NDArray[np.uint8], NDArray[np.bool_], list[float]]:
    """Return an RGB image (a noisy green-grey background with a red blob), the blob's mask, and a loose box."""
    rng = np.random.default_rng(seed)
    image = np.clip(rng.normal((90, 120, 90), 18, (height, width, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((height, width), np.uint8)
    cx, cy = width * 0.45, height * 0.55
    # A blob with a notch, so a box or an ellipse fitted to it would not pass the IoU check.
    cv2.ellipse(mask, (round(cx), round(cy)), (round(width * 0.2), round(height * 0.16)), 15, 0, 360, 1, -1)
    cv2.rectangle(
        mask, (round(cx - width * 0.02), round(cy - height * 0.2)), (round(cx + width * 0.08), round(cy)), 1, -1
    )
    cv2.circle(mask, (round(cx + width * 0.1), round(cy + height * 0.02)), round(width * 0.03), 0, -1)
    blob = np.clip(rng.normal((200, 50, 45), 15, (height, width, 3)), 0, 255).astype(np.uint8)
    image[mask == 1] = blob[mask == 1]
    ys, xs = np.nonzero(mask)
    pad_x, pad_y = width * 0.05, height * 0.05
    box = [float(xs.min() - pad_x), float(ys.min() - pad_y), float(xs.max() + 1 + pad_x), float(ys.max() + 1 + pad_y)]
    return image, mask.astype(bool), box


def iou(points: list[float], truth: NDArray[np.bool_]) -> float:
    drawn = np.zeros(truth.shape, np.uint8)
    poly = np.array(points, np.float64).reshape(-1, 2)
    cv2.fillPoly(drawn, [np.round(poly - 0.5).astype(np.int32)], 1)
    got = drawn.astype(bool)
    return float((got & truth).sum() / (got | truth).sum())


@pytest.mark.parametrize(("width", "height"), [(320, 240), (1200, 900)], ids=["small", "downscaled"])
def test_the_outline_covers_the_object(width: int, height: int) -> None:
    image, truth, box = scene(width, height)
    out = segment(image, box)
    assert len(out.points) >= 6 and len(out.points) % 2 == 0
    assert iou(out.points, truth) > 0.8
    xs, ys = out.points[0::2], out.points[1::2]
    assert min(xs) >= box[0] and max(xs) <= box[2] and min(ys) >= box[1] and max(ys) <= box[3]
    assert out.area == pytest.approx(truth.sum(), rel=0.2)
    assert out.pairs()[0] == out.points[:2]


def test_a_box_over_plain_background_gives_back_the_box() -> None:
    image = np.full((100, 120, 3), 128, np.uint8)
    out = segment(image, [0.0, 0.0, 120.0, 100.0])
    assert out.points == [0.0, 0.0, 120.0, 0.0, 120.0, 100.0, 0.0, 100.0]


@pytest.mark.parametrize(
    "box",
    [[10.0, 10.0, 12.0, 60.0], [-20.0, 5.0, 50.0, 50.0], [10.0, 10.0, 400.0, 50.0], [50.0, 50.0, 10.0, 10.0]],
    ids=["too-small", "left-of-the-image", "past-the-right-edge", "inverted"],
)
def test_a_bad_box_names_the_field(box: list[float]) -> None:
    image, _, _ = scene(160, 120)
    with pytest.raises(ValidationError) as err:
        segment(image, box)
    assert err.value.context["field"] == "box"


def test_iterations_are_checked() -> None:
    image, _, box = scene(160, 120)
    with pytest.raises(ValidationError) as err:
        segment(image, box, iterations=0)
    assert err.value.context["field"] == "iterations"
