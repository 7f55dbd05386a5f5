"""Test data built on the fly: projects, small COCO datasets with real images, large metadata-only ones.

Boxes here are COCO ``[x, y, width, height]`` in absolute pixels, as a COCO file holds them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from PIL import Image

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.domain.schema import LabelSchema
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.services.projects import create_project

CATEGORIES = [{"id": 1, "name": "cat", "supercategory": "animal"}, {"id": 7, "name": "dog", "supercategory": "animal"}]
IMAGE_SIZE = (64, 48)


def new_project(hub: Hub, name: str, kind: ItemKind = ItemKind.IMAGE) -> int:
    """Create an empty project as the system actor and return its id."""
    with hub.db.session(write=True) as s:
        return create_project(s, Actor.system(), name, item_kind=kind, schema=LabelSchema.from_names([])).id


def coco_dict(names: list[str], *, first_id: int = 1) -> dict[str, Any]:
    """Return a valid COCO dict: one image per name (64x48), two boxes on each, categories cat (1) and dog (7)."""
    w, h = IMAGE_SIZE
    images = [{"id": first_id + i, "file_name": n, "width": w, "height": h} for i, n in enumerate(names)]
    annotations: list[dict[str, Any]] = []
    for img in images:
        for k, cid in enumerate((1, 7)):
            annotations.append({"id": len(annotations) + 1, "image_id": img["id"], "category_id": cid,
                                "bbox": [2.5 + 10 * k, 3.0, 20.0, 15.25], "area": 305.0, "iscrowd": 0})  # fmt: skip
    return {"images": images, "annotations": annotations, "categories": [dict(c) for c in CATEGORIES]}


def write_dataset(root: Path, data: dict[str, Any], *, images: bool = True) -> Path:
    """Write ``data`` to ``root/ann.json`` (indented) and, unless ``images=False``, a PNG per image entry into
    ``root/images``; return the JSON file."""
    if images:
        (root / "images").mkdir(parents=True, exist_ok=True)
        for n, img in enumerate(data["images"]):
            # A different colour per image, so each file has its own content hash.
            Image.new("RGB", IMAGE_SIZE, (n * 37 % 256, n * 91 % 256, 120)).save(root / "images" / img["file_name"])
    path = root / "ann.json"
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return path


def synthetic_coco(path: Path, *, images: int, boxes_per_image: int) -> Path:
    """Write a metadata-only COCO file (no image files) with ``images`` entries of 640x480 and a few boxes each."""
    cats = [{"id": i + 1, "name": f"class{i}", "supercategory": ""} for i in range(5)]
    imgs = [{"id": i + 1, "file_name": f"img_{i:07d}.jpg", "width": 640, "height": 480} for i in range(images)]
    anns = [
        {"id": i * boxes_per_image + k + 1, "image_id": i + 1, "category_id": (i + k) % 5 + 1,
         "bbox": [float(10 + k * 50), float(20 + k * 30), 40.0, 30.0], "area": 1200.0, "iscrowd": 0}
        for i in range(images)
        for k in range(boxes_per_image)
    ]  # fmt: skip
    path.write_bytes(orjson.dumps({"images": imgs, "annotations": anns, "categories": cats}))
    return path


def write_frames(folder: Path, n: int, size: tuple[int, int]) -> list[Path]:
    """Write ``n`` PNG frames of ``size``, frame i red level 40 * i (so each has its own hash), named 000.png ...;
    return them in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        paths.append(folder / f"{i:03d}.png")
        Image.new("RGB", size, (40 * i, 0, 0)).save(paths[-1])
    return paths


def shuffled_texts(hub: Hub, project: str, names: list[str], *, seed: int, label: str = "cat") -> int:
    """A text project of ``names`` imported in a shuffled order (so id order is not name order), every other item
    (by import order) with the class ``label``; returns the project's id."""
    pid = new_project(hub, project, ItemKind.TEXT)
    order = names[:]
    random.Random(seed).shuffle(order)
    records = [
        ItemRecord(kind=ItemKind.TEXT, name=n, text=f"text {n}",
                   annotations=[AnnotationRecord(kind=AnnotationKind.CLASS, label=label)] if i % 2 == 0 else [])
        for i, n in enumerate(order)
    ]  # fmt: skip
    import_records(hub, Actor.system(), pid, records, labels=[label], format_name="test",
                   options=ImportOptions(media="none"))  # fmt: skip
    return pid


class ManualClock:
    """A UTC clock a test moves by hand (``advance``); call it for the time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Seconds:
    """A monotonic clock (seconds) a test moves by hand: set ``now``; call it for the time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
