"""Video frames over HTTP: single frames (ETag, 304), ranges decoded ahead of the playhead, bad frame numbers."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, quick_user, run_jobs
from tests.api._video import grey_video, otb_frames, video_file_item, video_of_frames

from labelhub.hub import Hub


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return np.asarray(image)


def test_a_video_files_frames_are_decoded_once_and_served_as_jpeg(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "clips", item_kind="video", labels=[{"name": "car"}])["id"]
    iid = video_file_item(hub, pid, grey_video(tmp_path / "in" / "grey.avi", frames=48))
    url = f"{API}/projects/{pid}/items/{iid}"

    r = client.get(f"{url}/frames/10", headers=admin_headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    image = _decode(r.content)
    assert image.shape == (48, 64, 3) and abs(float(image.mean()) - 50) < 4  # frame 10 is grey level 50
    etag = r.headers["etag"]
    again = client.get(f"{url}/frames/10", headers={**admin_headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""

    r = client.get(f"{url}/frames", params={"start": 40, "count": 30}, headers=admin_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["frame_count"], body["start"], body["count"]) == (48, 40, 8)  # clipped to the video's end
    assert body["urls"][0] == f"{url}/frames/40" and body["urls"][-1] == f"{url}/frames/47"
    cached = sorted(p.name for p in hub.settings.frames_dir.rglob("*.jpg"))
    assert cached == ["000010.jpg"] + [f"{i:06d}.jpg" for i in range(40, 48)]  # only what was asked for
    last = _decode(client.get(body["urls"][-1], headers=admin_headers).content)
    assert abs(float(last.mean()) - 235) < 4

    # The grid's thumbnail of a video file is its first frame (grey level 0 here), as WebP.
    thumb = client.get(f"{url}/thumbnail", params={"size": 128}, headers=admin_headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp", thumb.text
    assert _decode(thumb.content).mean() < 8
    again = client.get(f"{url}/thumbnail", params={"size": 128}, headers=admin_headers)  # from the cache
    assert again.status_code == 200 and again.content == thumb.content
    assert_problem(client.get(f"{url}/thumbnail", params={"size": 100}, headers=admin_headers), 422, field="size")

    assert_problem(client.get(f"{url}/frames/48", headers=admin_headers), 404, field="frame")
    assert_problem(client.get(f"{url}/frames", params={"start": 0, "count": 500}, headers=admin_headers), 422)
    _, stranger = quick_user(hub, "stranger")
    assert_problem(client.get(f"{url}/frames/0", headers=stranger), 404, field="project_id")


def test_an_image_sequence_serves_its_stored_frames(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "walk", item_kind="video", labels=[{"name": "person"}])["id"]
    frames = otb_frames(5)
    iid = video_of_frames(hub, pid, frames, tmp_path)
    r = client.get(f"{API}/projects/{pid}/items/{iid}/frames/3", headers=admin_headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == frames[3].read_bytes()  # the stored file itself, not a re-encoded copy
    r = client.get(f"{API}/projects/{pid}/items/{iid}/frames", params={"start": 2, "count": 10}, headers=admin_headers)
    assert r.json()["count"] == 3
    assert not any(hub.settings.frames_dir.rglob("*.jpg"))  # nothing to decode for a sequence


def test_a_missing_frame_file_is_named_where_that_frame_is_needed_and_nowhere_else(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """A sequence's frame files are looked up one at a time (a 10,000-frame sequence's every request checked them
    all): frame 3's file gone, frame 3 and the tracker name it, other frames and the track edits carry on."""
    pid = create_project(client, admin_headers, "walk", item_kind="video", labels=[{"name": "person"}])["id"]
    frames = [tmp_path / "seq" / f.name for f in otb_frames(6)]
    frames[0].parent.mkdir()
    for src, dst in zip(otb_frames(6), frames, strict=True):
        dst.write_bytes(src.read_bytes())
    iid = video_of_frames(hub, pid, frames, tmp_path)
    frames[3].unlink()
    base = f"{API}/projects/{pid}/items/{iid}"
    body = assert_problem(client.get(f"{base}/frames/3", headers=admin_headers), 404)
    assert (body["detail"], body["file"]) == (f"media file not found: {frames[3]}", str(frames[3]))  # to put back
    assert client.get(f"{base}/frames/4", headers=admin_headers).content == frames[4].read_bytes()
    r = client.post(f"{base}/tracks", json={"version": 1, "label": "person", "frame": 0, "box": [100, 50, 120, 100]},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 201, r.text
    run_jobs(hub)
    [job] = client.get(f"{API}/jobs", params={"project_id": pid}, headers=admin_headers).json()
    assert job["status"] == "failed" and job["error"]["file"] == str(frames[3])
