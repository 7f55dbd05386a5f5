"""Synthetic demo data for ``labelhub demo``: drawn shape images with boxes, and support-request texts.

labelhub ships no third-party media (several public datasets are research-only), so the demo makes its
own. Everything is drawn from one seeded random generator: the same seed gives byte-identical files.
Boxes follow the convention in :mod:`labelhub.domain.geometry` (absolute pixel ``x1, y1, x2, y2``). On the
human-labelled images each circle also has its mask (COCO RLE, encoded by pycocotools) and each triangle its
three corners as keypoints (:data:`TRIANGLE_KEYPOINTS`), so the editor's brush and keypoint tools have
something to show.
"""

from __future__ import annotations

import colorsys
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import ValidationError

__all__ = [
    "DEMO_LABELS",
    "DEMO_MODEL_VERSION",
    "DEMO_TEXT_LABELS",
    "TRIANGLE_KEYPOINTS",
    "TRIANGLE_SKELETON",
    "generate_demo_images",
    "generate_demo_texts",
]

DEMO_LABELS = ["square", "circle", "triangle", "star"]
DEMO_TEXT_LABELS = ["billing", "login", "shipping", "refund"]
DEMO_MODEL_VERSION = "demo-0"
# The triangle class's declared keypoints (its corners, in drawing order) and the edges that join them.
TRIANGLE_KEYPOINTS = ("corner 1", "corner 2", "corner 3")
TRIANGLE_SKELETON = ((0, 1), (1, 2), (2, 0))
WIDTH, HEIGHT = 640, 480
JPEG_QUALITY = 90
_MIN_RADIUS, _MAX_RADIUS = 22, 80
# Share of images whose boxes are human ground truth; the rest carry model proposals to review.
_HUMAN_SHARE = 2 / 3


@dataclass(slots=True)
class Shape:
    label: str
    cx: float
    cy: float
    r: float
    angle: float

    def vertices(self) -> list[tuple[float, float]]:
        """Return the polygon corners (empty for a circle) around the centre."""
        if self.label == "square":
            corners = [(self.r, self.angle + math.pi / 4 + k * math.pi / 2) for k in range(4)]
        elif self.label == "triangle":
            corners = [(self.r, self.angle + k * 2 * math.pi / 3) for k in range(3)]
        elif self.label == "star":
            # Alternate outer and inner points; 0.45 gives the usual five-pointed star.
            corners = [(self.r if k % 2 == 0 else 0.45 * self.r, self.angle + k * math.pi / 5) for k in range(10)]
        else:
            return []
        return [(self.cx + d * math.cos(a), self.cy + d * math.sin(a)) for d, a in corners]

    def box(self) -> list[float]:
        """Return the exact ``[x1, y1, x2, y2]`` of the drawn shape."""
        points = self.vertices()
        if not points:
            return [self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return [min(xs), min(ys), max(xs), max(ys)]


def _colour(rng: random.Random, saturation: tuple[float, float], value: tuple[float, float]) -> tuple[int, ...]:
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*saturation), rng.uniform(*value))
    return (round(r * 255), round(g * 255), round(b * 255))


def draw_background(rng: random.Random) -> Image.Image:
    """Return a muted two-colour gradient with blotchy texture and fine grain."""
    size = (WIDTH, HEIGHT)
    first = Image.new("RGB", size, _colour(rng, (0.05, 0.35), (0.35, 0.85)))
    second = Image.new("RGB", size, _colour(rng, (0.05, 0.35), (0.35, 0.85)))
    if rng.random() < 0.3:
        mask = Image.radial_gradient("L")
    else:
        mask = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270]))
    image = Image.composite(first, second, mask.resize(size, Image.Resampling.BICUBIC))
    # Noise comes from our seeded generator, not Image.effect_noise, whose C rand() is not seeded by us.
    coarse = Image.frombytes("L", (40, 30), rng.randbytes(40 * 30)).resize(size, Image.Resampling.BICUBIC)
    fine = Image.frombytes("L", size, rng.randbytes(WIDTH * HEIGHT))
    image = Image.blend(image, coarse.convert("RGB"), 0.18)
    return Image.blend(image, fine.convert("RGB"), 0.08)


def _contains(outer: list[float], inner: list[float]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def _place_shapes(rng: random.Random) -> list[Shape]:
    """Return 1-6 shapes inside the image; some overlap, none hides another completely."""
    shapes: list[Shape] = []
    for _ in range(rng.randint(1, 6)):
        for _attempt in range(20):
            r = rng.uniform(_MIN_RADIUS, _MAX_RADIUS)
            if shapes and rng.random() < 0.35:
                # Put it against an earlier shape, so that overlaps are common rather than lucky.
                other = rng.choice(shapes)
                direction = rng.uniform(0, 2 * math.pi)
                reach = 0.75 * (other.r + r)
                cx, cy = other.cx + reach * math.cos(direction), other.cy + reach * math.sin(direction)
            else:
                cx, cy = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
            # Every vertex lies within r of the centre, so this keeps the whole shape in the image.
            cx, cy = min(max(cx, r + 1), WIDTH - r - 1), min(max(cy, r + 1), HEIGHT - r - 1)
            shape = Shape(rng.choice(DEMO_LABELS), cx, cy, r, rng.uniform(0, 2 * math.pi))
            box = shape.box()
            if not any(_contains(s.box(), box) or _contains(box, s.box()) for s in shapes):
                shapes.append(shape)
                break
    return shapes


def draw_shapes(image: Image.Image, shapes: list[Shape], rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        fill = _colour(rng, (0.6, 1.0), (0.7, 1.0))
        outline = tuple(c // 2 for c in fill)
        points = shape.vertices()
        if points:
            draw.polygon(points, fill=fill, outline=outline, width=2)
        else:
            draw.ellipse(shape.box(), fill=fill, outline=outline, width=2)


def _round_box(box: list[float]) -> list[float]:
    return [round(v, 2) for v in box]


def _jitter(box: list[float], rng: random.Random) -> list[float]:
    """Return ``box`` moved a little, as a detector would give it, still inside the image and non-empty."""
    spread = 0.05 * max(box[2] - box[0], box[3] - box[1])
    x1, y1, x2, y2 = (v + rng.uniform(-spread, spread) for v in box)
    x1, y1 = max(0.0, x1), max(0.0, y1)
    x2, y2 = min(float(WIDTH), max(x2, x1 + 2)), min(float(HEIGHT), max(y2, y1 + 2))
    return _round_box([x1, y1, x2, y2])


def _annotations(shapes: list[Shape], human: bool, rng: random.Random) -> list[AnnotationRecord]:
    out: list[AnnotationRecord] = []
    for shape in shapes:
        if human:
            out.append(AnnotationRecord(AnnotationKind.BOX, shape.label, {"bbox": _round_box(shape.box())}))
            if shape.label == "circle":
                out.append(AnnotationRecord(AnnotationKind.MASK, shape.label, _disc(shape)))
            elif shape.label == "triangle":
                points = [v for x, y in shape.vertices() for v in (round(x, 2), round(y, 2), 2.0)]
                out.append(AnnotationRecord(AnnotationKind.KEYPOINTS, shape.label, {"points": points}))
            continue
        out.append(
            AnnotationRecord(
                AnnotationKind.BOX,
                shape.label,
                {"bbox": _jitter(shape.box(), rng)},
                source=Source.MODEL,
                state=AnnotationState.PROPOSED,
                score=round(rng.uniform(0.3, 0.99), 3),
                model_version=DEMO_MODEL_VERSION,
            )
        )
    return out


def _disc(shape: Shape) -> dict[str, object]:
    """Return the circle's pixels as a compressed COCO RLE mask of the whole image."""
    ys, xs = np.ogrid[:HEIGHT, :WIDTH]
    inside = (xs + 0.5 - shape.cx) ** 2 + (ys + 0.5 - shape.cy) ** 2 <= shape.r**2
    rle = mask_utils.encode(np.asfortranarray(inside.astype(np.uint8)))
    return {"size": [HEIGHT, WIDTH], "counts": rle["counts"].decode("ascii")}


def _check_count(count: int) -> None:
    if count < 0:
        raise ValidationError(f"count must be zero or more, got {count}", field="count")


def generate_demo_images(dest: Path, count: int = 24, seed: int = 0) -> list[ItemRecord]:
    """Return image items for ``count`` drawn 640x480 JPEGs written to ``dest``, with their boxes.

    Each image shows 1-6 shapes (:data:`DEMO_LABELS`) on a textured background. About the first two thirds
    carry the exact boxes as accepted human annotations; the rest carry slightly shifted boxes as proposals
    of model ``demo-0`` with scores between 0.3 and 0.99, ready for review. Files are named
    ``demo_000.jpg`` and so on and overwritten when present.
    """
    _check_count(count)
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    human_count = round(count * _HUMAN_SHARE)
    items: list[ItemRecord] = []
    for index in range(count):
        image = draw_background(rng)
        shapes = _place_shapes(rng)
        draw_shapes(image, shapes, rng)
        name = f"demo_{index:03d}.jpg"
        path = dest / name
        image.save(path, format="JPEG", quality=JPEG_QUALITY)
        items.append(
            ItemRecord(
                kind=ItemKind.IMAGE,
                name=name,
                media_path=path,
                width=WIDTH,
                height=HEIGHT,
                annotations=_annotations(shapes, index < human_count, rng),
            )
        )
    return items


_TEMPLATES: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for my {plan} subscription this month.",
        "Why is there an extra fee of {amount} on my latest invoice?",
        "Could you send me a copy of the invoice for {month}?",
        "My card was billed {amount} even though I cancelled in {month}.",
    ],
    "login": [
        "I can't log in to my account since {day}.",
        "The password reset email never arrives, I've tried {n} times.",
        "My account got locked after too many attempts on my {device}.",
        "The two-factor code is not accepted on my {device}.",
    ],
    "shipping": [
        "My order {order} still hasn't shipped after {n} days.",
        "The tracking number for order {order} doesn't show anything.",
        "Can you deliver order {order} to a different address?",
        "The courier left my parcel at the wrong door on {day}.",
    ],
    "refund": [
        "I'd like a refund for order {order}, the {item} arrived broken.",
        "When will I get my money back for the {item} I returned?",
        "I sent the {item} back {n} days ago and still have no refund.",
        "Please refund the {amount} I paid for the {plan} plan.",
    ],
}
_FILLERS: dict[str, list[str]] = {
    "plan": ["basic", "pro", "family", "premium"],
    "amount": ["$4.99", "$12.00", "$19.90", "$49.00"],
    "month": ["January", "March", "June", "September", "November"],
    "day": ["Monday", "Tuesday", "Thursday", "Saturday"],
    "device": ["phone", "laptop", "tablet"],
    "item": ["headphones", "jacket", "blender", "desk lamp"],
}


def _sentence(label: str, rng: random.Random) -> str:
    template = rng.choice(_TEMPLATES[label])
    values = {key: rng.choice(options) for key, options in _FILLERS.items()}
    return template.format(order=f"#{rng.randint(10000, 99999)}", n=rng.randint(2, 21), **values)


def generate_demo_texts(count: int = 40, seed: int = 0) -> list[ItemRecord]:
    """Return ``count`` short support-request text items; every other one carries a ``class`` label.

    Requests cycle through :data:`DEMO_TEXT_LABELS` topics; the annotated half holds accepted human labels
    and the other half is left for annotators. Items are named ``request_000.txt`` and so on.
    """
    _check_count(count)
    rng = random.Random(seed)
    items: list[ItemRecord] = []
    for index in range(count):
        label = DEMO_TEXT_LABELS[(index // 2) % len(DEMO_TEXT_LABELS)]
        text = _sentence(label, rng)
        annotations = [AnnotationRecord(AnnotationKind.CLASS, label)] if index % 2 == 0 else []
        items.append(
            ItemRecord(kind=ItemKind.TEXT, name=f"request_{index:03d}.txt", text=text, annotations=annotations)
        )
    return items
