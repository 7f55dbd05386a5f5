"""A YOLO pose dataset exported as CVAT for images and imported again: the same objects, and no warnings.

The YOLO and COCO importers tie a box to its keypoints with ``attributes.coco_group``; the CVAT export writes it on
both shapes (so a later COCO or YOLO export pairs them again), and the CVAT import must take it back silently, as it
takes back the ``needs_review`` flag of labelhub's own video export.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.formats._keypoint_support import image_project, pose_dataset, shapes

from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source


def test_a_pose_dataset_through_cvat_comes_back_without_warnings(
    hub: Hub, tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    system = Actor.system()
    first = image_project(hub, "pose-to-cvat")
    import_source(hub, system, first, pose_dataset(tmp_path / "ds", make_image), fmt="yolo")
    out = tmp_path / "cvat"
    export_project(hub, system, first, out, fmt="cvat_images", options=ExportOptions(copy_media=True))
    assert "coco_group" in (out / "annotations.xml").read_text()

    second = image_project(hub, "pose-from-cvat")
    report = import_source(hub, system, second, out, fmt="cvat_images")
    assert report.warnings == []
    assert report.annotations_added == 3
    want = [(kind, label, pytest.approx(values)) for kind, label, values in shapes(hub, first)]
    assert shapes(hub, second) == want

    # The pairs survive: a YOLO pose export of the re-imported project writes one line per object.
    again = tmp_path / "yolo"
    export_project(hub, system, second, again, fmt="yolo", options=ExportOptions(extra={"task": "pose"}))
    assert sorted((again / "labels" / "train" / "a.txt").read_text().splitlines()) == [
        "0 0.500000 0.500000 0.400000 0.600000 0.500000 0.300000 2 0.400000 0.400000 1 0 0 0",
        "1 0.200000 0.200000 0.200000 0.200000 0 0 0 0 0 0 0 0 0",
    ]
