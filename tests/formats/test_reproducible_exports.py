"""Exporting the same data twice gives the same bytes, in every image format; CVAT's ``<dumped>`` is the time the
data last changed, not the clock's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select, update
from tests.builders import coco_dict, new_project, write_dataset

from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item, Project

SYSTEM = Actor.system()
LONG_AGO = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _project(hub: Hub, tmp_path: Path) -> int:
    """Three images with two boxes each, whose every row last changed at LONG_AGO."""
    pid = new_project(hub, "same")
    import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "src", coco_dict(["a.png", "b.png", "c.png"])))
    with hub.db.session(write=True) as s:
        for table in (Item, Annotation):
            s.execute(update(table).where(table.project_id == pid).values(updated_at=LONG_AGO))
        s.execute(update(Project).where(Project.id == pid).values(updated_at=LONG_AGO))
    return pid


def _contents(path: Path) -> dict[str, bytes]:
    """Every file of an export by its path inside it (one file: by its name)."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("fmt", "name", "copy_media"),
    [
        ("cvat_images", "out.xml", False),
        ("cvat_images", "out", True),
        ("coco", "out.json", False),
        ("label_studio", "out.json", False),
        ("webdataset", "out", False),
        ("yolo", "out", True),
        ("voc", "out", True),
    ],
)
def test_two_exports_of_the_same_data_are_byte_identical(
    hub: Hub, tmp_path: Path, fmt: str, name: str, copy_media: bool
) -> None:
    pid = _project(hub, tmp_path)
    first, second = tmp_path / "one" / name, tmp_path / "two" / name
    for dest in (first, second):
        export_project(hub, SYSTEM, pid, dest, fmt=fmt, options=ExportOptions(copy_media=copy_media))
    assert _contents(first) == _contents(second)
    assert _contents(first)  # something was written


def test_cvat_dumped_is_when_the_data_last_changed(hub: Hub, tmp_path: Path) -> None:
    pid = _project(hub, tmp_path)
    dest = tmp_path / "out.xml"
    export_project(hub, SYSTEM, pid, dest, fmt="cvat_images")
    assert ElementTree.parse(dest).getroot().findtext("meta/dumped") == "2024-01-02 03:04:05+00:00"
    # A later change to one annotation (or item, or the project) moves it.
    with hub.db.session(write=True) as s:
        later = datetime(2025, 6, 7, 8, 9, 10, tzinfo=UTC)
        first = s.scalar(select(func.min(Annotation.id)).where(Annotation.project_id == pid))
        s.execute(update(Annotation).where(Annotation.id == first).values(updated_at=later))
    export_project(hub, SYSTEM, pid, dest, fmt="cvat_images", overwrite=True)
    assert ElementTree.parse(dest).getroot().findtext("meta/dumped") == "2025-06-07 08:09:10+00:00"
