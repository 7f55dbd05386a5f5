"""Helpers of the Label Studio import tests: writing a task list as Label Studio does, and reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tests.formats._support import split_records

from labelhub.domain.records import ItemRecord, Problem
from labelhub.formats.base import ImportOptions
from labelhub.formats.label_studio import LabelStudioImporter


def write(path: Path, tasks: Any, indent: int | None = 2) -> Path:
    # Python's json module, as Label Studio uses it: NaN is written as a bare NaN.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, indent=indent))
    return path


def read(src: Path, **options: Any) -> tuple[list[ItemRecord], list[Problem], list[str]]:
    with LabelStudioImporter(src, ImportOptions(**options)) as importer:
        labels = importer.labels()
        items, problems = split_records(importer)
    return items, problems, labels


def write_video(path: Path, frames: int = 12, size: tuple[int, int] = (64, 48)) -> Path:
    """Write a small MJPG video whose frames grow brighter."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for n in range(frames):
        writer.write(np.full((size[1], size[0], 3), n * 20, np.uint8))
    writer.release()
    return path


def video_task() -> dict[str, Any]:
    """A task with one videorectangle: keyframes on frames 1 and 8, the object gone from frame 4 (1-based)."""

    def kf(frame: int, x: float, enabled: bool = True) -> dict[str, Any]:
        return {"frame": frame, "x": x, "y": 25, "width": 25, "height": 50, "rotation": 0, "enabled": enabled,
                "time": (frame - 1) / 10}  # fmt: skip

    sequence = [kf(1, 0), kf(4, 25, enabled=False), kf(8, 50)]
    result = {"id": "t1", "type": "videorectangle", "from_name": "box", "to_name": "video",
              "value": {"framesCount": 12, "duration": 1.2, "sequence": sequence, "labels": ["person"]}}  # fmt: skip
    return {"id": 1, "data": {"video": "/data/upload/3/0a1b2c3d-clip.avi"}, "annotations": [{"result": [result]}]}
