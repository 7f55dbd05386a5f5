"""Helpers for the video format tests: the OTB Crossing sequence as a record, and tracks read back from a project."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from tests.builders import new_project

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.storage.models import Annotation, Item

SYSTEM = Actor.system()
# (track id, 0-based frame) -> [x1, y1, x2, y2]
Track = dict[tuple[int, int], list[float]]


def otb_boxes(root: Path) -> list[list[float]]:
    """Return the 120 ground-truth boxes of OTB Crossing as 0-based ``[x1, y1, x2, y2]``.

    ``groundtruth_rect.txt`` holds ``x, y, w, h`` per frame with OTB's 1-based pixel convention.
    """
    boxes = []
    for line in (root / "groundtruth_rect.txt").read_text().splitlines():
        x, y, w, h = (float(v) for v in line.replace(",", " ").split())
        boxes.append([x - 1, y - 1, x - 1 + w, y - 1 + h])
    return boxes


def otb_record(root: Path, label: str = "person") -> ItemRecord:
    """Return OTB Crossing as an image-sequence video item with one track of 120 keyframe boxes."""
    frames = sorted((root / "img").glob("*.jpg"))
    annotations = [
        AnnotationRecord(
            AnnotationKind.TRACK_BOX,
            label,
            {"bbox": box},
            frame=i,
            track_id=1,
            attributes={"keyframe": True, "outside": False},
        )
        for i, box in enumerate(otb_boxes(root))
    ]
    return ItemRecord(
        kind=ItemKind.VIDEO,
        name="crossing",
        media_path=frames[0],
        frame_files=frames,
        frame_count=len(frames),
        width=360,
        height=240,
        annotations=annotations,
    )


def otb_project(hub: Hub, root: Path, name: str = "otb") -> int:
    """Create a video project holding OTB Crossing (frames linked in place) and return its id."""
    pid = new_project(hub, name, ItemKind.VIDEO)
    report = import_records(
        hub, SYSTEM, pid, [otb_record(root)], labels=["person"], format_name="otb", options=ImportOptions(media="link")
    )
    assert (report.items_added, report.annotations_added) == (1, 120)
    return pid


def project_tracks(hub: Hub, pid: int) -> tuple[list[tuple[str, int | None, int]], dict[str, Track]]:
    """Return the project's items as (name, frame count, number of stored frames) and, per label, its track
    boxes that are not ``outside``."""
    with hub.db.session() as s:
        found = s.execute(select(Item.name, Item.frame_count, Item.meta).where(Item.project_id == pid))
        items = [(name, count, len(meta.get("frames", []))) for name, count, meta in found]
        rows = s.execute(
            select(Annotation.label, Annotation.track_id, Annotation.frame, Annotation.geometry, Annotation.attributes)
            .join(Item, Item.id == Annotation.item_id)
            .where(Item.project_id == pid, Annotation.kind == AnnotationKind.TRACK_BOX.value)
        ).all()
    tracks: dict[str, Track] = {}
    for label, tid, frame, geometry, attributes in rows:
        if not attributes.get("outside"):
            tracks.setdefault(label, {})[(tid, frame)] = geometry["bbox"]
    return items, tracks


def within_a_pixel(a: list[float], b: list[float]) -> bool:
    return all(abs(x - y) <= 1.0 for x, y in zip(a, b, strict=True))
