"""Label Studio video results (``videorectangle``): keyframes, disappearance, and a video project's tracks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._label_studio_support import read, write

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation


def _video(path: Path, frames: int = 12, size: tuple[int, int] = (64, 48)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for n in range(frames):
        writer.write(np.full((size[1], size[0], 3), n * 20, np.uint8))
    writer.release()
    return path


def _video_task() -> dict[str, Any]:
    def kf(frame: int, x: float, enabled: bool = True) -> dict[str, Any]:
        return {"frame": frame, "x": x, "y": 25, "width": 25, "height": 50, "rotation": 0, "enabled": enabled,
                "time": (frame - 1) / 10}  # fmt: skip

    sequence = [kf(1, 0), kf(4, 25, enabled=False), kf(8, 50)]
    result = {"id": "t1", "type": "videorectangle", "from_name": "box", "to_name": "video",
              "value": {"framesCount": 12, "duration": 1.2, "sequence": sequence, "labels": ["person"]}}  # fmt: skip
    return {"id": 1, "data": {"video": "/data/upload/3/0a1b2c3d-clip.avi"}, "annotations": [{"result": [result]}]}


def test_video_track_keyframes_and_disappearance(tmp_path: Path) -> None:
    _video(tmp_path / "clip.avi")
    (item,), problems, labels = read(write(tmp_path / "ls.json", [_video_task()]))
    assert problems == [] and labels == ["person"]
    assert (item.kind, item.name, item.width, item.height, item.frame_count) == (ItemKind.VIDEO, "clip.avi", 64, 48, 12)
    assert item.fps == pytest.approx(10.0)
    boxes = [(a.kind, a.frame, a.track_id, a.attributes["keyframe"], a.attributes["outside"], a.geometry["bbox"])
             for a in item.annotations]  # fmt: skip
    assert boxes == [
        (AnnotationKind.TRACK_BOX, 0, 1, True, False, [0.0, 12.0, 16.0, 36.0]),
        (AnnotationKind.TRACK_BOX, 3, 1, True, False, [16.0, 12.0, 32.0, 36.0]),
        # enabled: false on frame 4 (1-based): from frame index 4 on the object is gone, at its last place.
        (AnnotationKind.TRACK_BOX, 4, 1, True, True, [16.0, 12.0, 32.0, 36.0]),
        (AnnotationKind.TRACK_BOX, 7, 1, True, False, [32.0, 12.0, 48.0, 36.0]),
    ]


def test_video_track_imports_into_a_video_project(hub: Hub, tmp_path: Path) -> None:
    _video(tmp_path / "clip.avi")
    pid = new_project(hub, "videos", ItemKind.VIDEO)
    src = write(tmp_path / "ls.json", [_video_task()])
    report = import_source(hub, Actor.system(), pid, src, fmt="label_studio")
    assert (report.items_added, report.annotations_added) == (1, 4)
    with hub.db.session() as s:
        rows = s.execute(
            select(Annotation.frame, Annotation.track_id, Annotation.attributes).order_by(Annotation.frame)
        )
        assert [(f, t, a["outside"]) for f, t, a in rows] == [(0, 1, False), (3, 1, False), (4, 1, True), (7, 1, False)]
