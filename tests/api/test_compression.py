"""Answers are gzip-compressed for clients that accept it (LABELHUB_GZIP_LEVEL): JSON yes, JPEG frames and small
answers no, and nothing at all with the level at 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.api._support import API
from tests.api._video import car_and_person_video
from tests.conftest import make_user

from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.hub import Hub

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def _video_with_a_track(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path) -> str:
    """A 40-frame video with one track boxed on every frame; return the item's URL."""
    pid, iid = car_and_person_video(client, hub, headers, tmp_path, "clips", [])
    url = f"{API}/projects/{pid}/items/{iid}"
    version = client.get(f"{url}/tracks", headers=headers).json()["version"]
    body = {"version": version, "label": "car", "frame": 0, "box": [10.0, 20.0, 60.0, 90.0], "propagate": False}
    made = client.post(f"{url}/tracks", json=body, headers=headers)
    assert made.status_code == 201, made.text
    version, tid = made.json()["version"], made.json()["track"]["track_id"]
    for frame in range(1, 40):
        box = [10.0 + frame * 1.37, 20.0, 60.0 + frame * 1.37, 90.0]
        r = client.put(f"{url}/tracks/{tid}/keyframes/{frame}", json={"version": version, "box": box}, headers=headers)
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    return url


def _wire(r: httpx.Response) -> int:
    """The bytes that came over the wire (httpx decodes gzip before ``content``)."""
    return r.num_bytes_downloaded


def test_json_is_gzipped_for_a_client_that_accepts_it_and_reads_the_same(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    url = _video_with_a_track(client, hub, admin_headers, tmp_path)

    zipped = client.get(f"{url}/tracks", headers={**admin_headers, **GZIP})
    plain = client.get(f"{url}/tracks", headers={**admin_headers, **PLAIN})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip" and "accept-encoding" in zipped.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()
    assert len(zipped.json()["tracks"][0]["keyframes"]) == 40
    assert _wire(zipped) * 2 < _wire(plain) == len(plain.content)

    # A frame is a JPEG, compressed already: sent as it is, whatever the client accepts.
    frame = client.get(f"{url}/frames/3", headers={**admin_headers, **GZIP})
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert "content-encoding" not in frame.headers and _wire(frame) == len(frame.content)

    # An answer under 1 KB is not worth the gzip header.
    small = client.get(f"{API}/auth/me", headers={**admin_headers, **GZIP})
    assert small.status_code == 200 and len(small.content) < 1024
    assert "content-encoding" not in small.headers


@pytest.fixture
def uncompressed(settings: Settings) -> Iterator[tuple[Hub, TestClient]]:
    """A server with LABELHUB_GZIP_LEVEL=0, as behind a reverse proxy that compresses."""
    hub = Hub.open(settings.model_copy(update={"gzip_level": 0}))
    with TestClient(create_app(hub, run_worker=False)) as client:
        yield hub, client
    hub.close()


def test_level_zero_sends_everything_uncompressed(uncompressed: tuple[Hub, TestClient], tmp_path: Path) -> None:
    hub, client = uncompressed
    headers = make_user(hub, "root", admin=True)
    url = _video_with_a_track(client, hub, headers, tmp_path)
    r = client.get(f"{url}/tracks", headers={**headers, **GZIP})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert _wire(r) == len(r.content) > 1024
    assert r.json()["tracks"][0]["label"] == "car"
