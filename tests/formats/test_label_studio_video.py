"""Label Studio video results (``videorectangle``): keyframes, disappearance, and a video project's tracks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._label_studio_support import read, video_task, write, write_video

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation


def test_video_track_keyframes_and_disappearance(tmp_path: Path) -> None:
    write_video(tmp_path / "clip.avi")
    (item,), problems, labels = read(write(tmp_path / "ls.json", [video_task()]))
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
    write_video(tmp_path / "clip.avi")
    pid = new_project(hub, "videos", ItemKind.VIDEO)
    src = write(tmp_path / "ls.json", [video_task()])
    report = import_source(hub, Actor.system(), pid, src, fmt="label_studio")
    assert (report.items_added, report.annotations_added) == (1, 4)
    with hub.db.session() as s:
        rows = s.execute(
            select(Annotation.frame, Annotation.track_id, Annotation.attributes).order_by(Annotation.frame)
        )
        assert [(f, t, a["outside"]) for f, t, a in rows] == [(0, 1, False), (3, 1, False), (4, 1, True), (7, 1, False)]
