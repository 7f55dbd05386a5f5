"""Helpers of the keypoint format tests (CVAT skeletons, YOLO pose): projects with declared classes, their
classes, a small YOLO pose dataset and the project's shapes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelClass, LabelSchema
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.projects import create_project
from labelhub.storage.models import Annotation, Item, Project

# a.png is 100x50: a person with a visible, an occluded and an absent point, and a dog whose points are all absent.
A_LINES = "0 0.5 0.5 0.4 0.6 0.5 0.3 2 0.4 0.4 1 0 0 0\n1 0.2 0.2 0.2 0.2 0 0 0 0 0 0 0 0 0\n"


def classes_of(hub: Hub, pid: int) -> dict[str, LabelClass]:
    """The project's classes by name."""
    with hub.db.session() as s:
        return {c.name: c for c in LabelSchema.from_json(s.get_one(Project, pid).label_schema).classes}


def image_project(hub: Hub, name: str, *classes: LabelClass) -> int:
    """Create an image project declaring ``classes`` (none: an empty schema); return its id."""
    with hub.db.session(write=True) as s:
        schema = LabelSchema(classes=classes) if classes else LabelSchema.from_names([])
        return create_project(s, Actor.system(), name, item_kind=ItemKind.IMAGE, schema=schema).id


def pose_dataset(
    root: Path, make_image: Callable[..., Path], lines: str = A_LINES, kpt_shape: Any = (3, 3), **more: Any
) -> Path:
    """Write images/train/a.png (100x50) with labels/train/a.txt holding ``lines``, and data.yaml."""
    make_image(root / "images" / "train" / "a.png", 100, 50)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "train" / "a.txt").write_text(lines)
    data = {"path": "", "train": "images/train", "val": "images/train", "names": {0: "person", 1: "dog"}}
    if kpt_shape is not None:
        data["kpt_shape"] = list(kpt_shape)
    (root / "data.yaml").write_text(yaml.safe_dump({**data, **more}, sort_keys=False))
    return root


def shapes(hub: Hub, pid: int) -> list[tuple[str, str, list[float]]]:
    """(kind, label, bbox or points) of the project's annotations, by item, kind and label."""
    with hub.db.session() as s:
        rows = s.execute(
            select(Item.name, Annotation.kind, Annotation.label, Annotation.geometry)
            .join(Annotation, Annotation.item_id == Item.id)
            .where(Item.project_id == pid)
        ).all()
    out = [(kind, label, geometry.get("bbox") or geometry["points"]) for _n, kind, label, geometry in rows]
    return sorted(out, key=lambda r: (r[0], r[1]))
