"""Video items for the API tests: frames of OTB Crossing as an image sequence, or a small video file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, create_project
from tests.conftest import DATA, data_path

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records, import_source
from labelhub.storage.models import Item

OTB = DATA / "tracking_otb_crossing"


def otb_frames(n: int) -> list[Path]:
    """Return the first ``n`` frames of OTB Crossing (the test is skipped where the shared data is missing)."""
    return sorted(data_path("tracking_otb_crossing", "img").glob("*.jpg"))[:n]


def otb_truth() -> list[list[float]]:
    """Return OTB Crossing's ground truth as 0-based ``[x1, y1, x2, y2]`` (the file is 1-based x, y, w, h)."""
    out = []
    for line in data_path("tracking_otb_crossing", "groundtruth_rect.txt").read_text().splitlines():
        x, y, w, h = (float(v) for v in line.replace(",", " ").split())
        out.append([x - 1, y - 1, x - 1 + w, y - 1 + h])
    return out


def _only_item(hub: Hub, pid: int) -> int:
    with hub.db.session() as s:
        (iid,) = s.scalars(select(Item.id).where(Item.project_id == pid)).all()
    return iid


def video_of_frames(hub: Hub, pid: int, frames: list[Path], tmp_path: Path) -> int:
    """Import ``frames`` (files kept in place) as one image-sequence video item and return its id."""
    h, w = cv2.imread(str(frames[0])).shape[:2]
    record = ItemRecord(kind=ItemKind.VIDEO, name="clip", media_path=frames[0], frame_files=frames,
                        frame_count=len(frames), width=w, height=h, fps=25.0)  # fmt: skip
    import_records(hub, Actor.system(), pid, [record], labels=[], format_name="test",
                   options=ImportOptions(media="link"))  # fmt: skip
    return _only_item(hub, pid)


def grey_video(path: Path, frames: int = 48, size: tuple[int, int] = (64, 48)) -> Path:
    """Write an MJPG AVI whose frame i is a flat grey of level 5 * i, and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 24.0, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 5 * i, np.uint8))
    writer.release()
    return path


def video_file_item(hub: Hub, pid: int, path: Path) -> int:
    """Import one video file through the ``video`` importer (copied into the store) and return its item id."""
    import_source(hub, Actor.system(), pid, path, fmt="video", options=ImportOptions(media="copy"))
    return _only_item(hub, pid)


def car_and_person_video(
    client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path, name: str, attributes: list[dict[str, Any]]
) -> tuple[int, int]:
    """Create a video project (classes car and person, ``attributes`` declared) with one 40-frame item from the
    Crossing sequence; return the project's and the item's ids."""
    labels = [{"name": "car"}, {"name": "person"}]
    pid = create_project(client, headers, name, item_kind="video", labels=labels, attributes=attributes)["id"]
    return pid, video_of_frames(hub, pid, otb_frames(40), tmp_path)


def item_tracks(client: TestClient, headers: dict[str, str], pid: int, iid: int) -> dict[str, Any]:
    """``GET .../tracks`` of an item (200 asserted): its tracks frame by frame, suggestions, latest job, version."""
    r = client.get(f"{API}/projects/{pid}/items/{iid}/tracks", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body
