"""A video file linked out of the import folders is refused before anything opens it.

The video formats read a file's size and frames to build its record, before the import service checks where the
record's media lie; so they ask the import's check first, as the image formats do with a header. The outside file
here is no video: had OpenCV been asked, the problem would say it cannot be decoded. A spy on ``cv2.VideoCapture``
(third-party) lists the files OpenCV was asked to open. The test server's roots are ``tmp_path`` and the shared
data; ``tmp_path_factory.mktemp`` folders lie outside them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._cvat_support import cvat_xml

from labelhub.domain.enums import ItemKind
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

SYSTEM = Actor.system()
REFUSED = "is not inside an allowed import folder (it is a link to"


def _video(path: Path, frames: int = 4) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (32, 24))
    for n in range(frames):
        writer.write(np.full((24, 32, 3), n * 40, np.uint8))
    writer.release()
    return path


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A file with a video's name outside every import root; its bytes are no video."""
    secret = tmp_path_factory.mktemp("outside") / "secret.avi"
    secret.write_bytes(b"not a video, and not to be read\n" * 64)
    assert not secret.is_relative_to(tmp_path)
    return secret


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The real paths of the files OpenCV is asked to open during the test (it still opens them)."""
    seen: list[Path] = []
    real = cv2.VideoCapture

    def spy(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):
            seen.append(Path(args[0]).resolve())
        return real(*args, **kwargs)

    monkeypatch.setattr(cv2, "VideoCapture", spy)
    return seen


def _names(hub: Hub, pid: int) -> list[str]:
    with hub.db.session() as s:
        return sorted(s.scalars(select(Item.name).where(Item.project_id == pid)))


def _refused_unread(report_skipped: list[dict[str, Any]], link: Path, outside: Path, opened: list[Path]) -> None:
    [problem] = report_skipped
    assert REFUSED in problem["message"] and str(outside) in problem["message"], problem
    assert str(link) in problem["message"]
    assert "decode" not in problem["message"] and "OpenCV" not in problem["message"]
    assert outside.resolve() not in opened


@pytest.mark.parametrize("media", ["link", "copy"])
def test_a_video_folder_s_file_linked_out_is_refused_unopened(
    hub: Hub, tmp_path: Path, outside: Path, opened: list[Path], media: str
) -> None:
    clips = tmp_path / "clips"
    ok = _video(clips / "ok.avi")
    link = clips / "secret.avi"
    link.symlink_to(outside)
    pid = new_project(hub, "videos", ItemKind.VIDEO)
    options = ImportOptions(media=media, skip_invalid=True)  # type: ignore[arg-type]
    report = import_source(hub, SYSTEM, pid, clips, fmt="video", options=options)
    assert report.items_added == 1 and _names(hub, pid) == ["ok.avi"]
    _refused_unread(report.skipped, link, outside, opened)
    assert ok.resolve() in opened  # the spy sees what OpenCV opens


def test_a_cvat_video_file_linked_out_is_refused_unopened(
    hub: Hub, tmp_path: Path, outside: Path, opened: list[Path]
) -> None:
    task = cvat_xml(tmp_path / "task" / "annotations.xml", "", size=4, mode="interpolation")
    link = tmp_path / "task" / "clip.avi"
    link.symlink_to(outside)
    pid = new_project(hub, "cvat", ItemKind.VIDEO)
    options = ImportOptions(media="link", skip_invalid=True, extra={"video": str(link)})
    report = import_source(hub, SYSTEM, pid, task, fmt="cvat_video", options=options)
    assert report.items_added == 0 and _names(hub, pid) == []
    _refused_unread(report.skipped, link, outside, opened)


def test_a_label_studio_video_linked_out_is_refused_unopened(
    hub: Hub, tmp_path: Path, outside: Path, opened: list[Path]
) -> None:
    ds = tmp_path / "ls"
    ok = _video(ds / "ok.avi")
    link = ds / "secret.avi"
    link.symlink_to(outside)
    tasks = [{"id": i, "data": {"video": f"/data/upload/3/{name}"}} for i, name in ((1, "ok.avi"), (2, "secret.avi"))]
    (ds / "tasks.json").write_text(json.dumps(tasks))
    pid = new_project(hub, "ls", ItemKind.VIDEO)
    options = ImportOptions(media="link", skip_invalid=True, images_dir=ds)
    report = import_source(hub, SYSTEM, pid, ds / "tasks.json", fmt="label_studio", options=options)
    assert _names(hub, pid) == ["ok.avi"]
    _refused_unread(report.skipped, link, outside, opened)
    assert ok.resolve() in opened
