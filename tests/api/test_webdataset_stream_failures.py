"""WebDataset streaming over a real server when things go wrong or nothing changed: media missing before the
200 is a 409 naming the items, media lost after it breaks the connection (never a shorter well-formed tar), and
the listing and each shard answer 304 to an If-None-Match naming their ETag."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, served
from tests.conftest import make_user
from tests.formats.test_webdataset import LABELS, make_items

from labelhub.api.app import create_app
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.media.store import LocalMediaStore
from labelhub.services import webdataset_stream
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.storage.models import Item


@pytest.fixture
def server(hub: Hub) -> Iterator[str]:
    with served(create_app(hub, run_worker=False)) as url:
        yield url


def photos(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path, n: int, big: int = 0) -> int:
    """A project of ``n`` images; with ``big``, the first one's file is a JPEG followed by ``big`` MiB of zeros."""
    pid: int = create_project(client, headers, "photos")["id"]
    items = make_items(tmp_path / "media", n)
    if big:
        path = tmp_path / "media" / "img0.jpg"
        Image.new("RGB", (64, 48)).save(path)
        with path.open("ab") as fh:
            fh.write(bytes(big << 20))
    import_records(hub, Actor.system(), pid, items, labels=LABELS, format_name="test", options=ImportOptions())
    return pid


def lose_media(hub: Hub, name: str) -> tuple[int, str]:
    """Delete the stored file of item ``name``; return the item's id and media key."""
    with hub.db.session() as s:
        item_id, key = s.execute(select(Item.id, Item.media_key).where(Item.name == name)).one()
    assert isinstance(hub.media, LocalMediaStore) and key is not None
    hub.media.path_for(key).unlink()
    return item_id, key


def test_media_missing_before_the_stream_starts_is_a_409_naming_the_items(
    client: TestClient, hub: Hub, server: str, tmp_path: Path
) -> None:
    owner = make_user(hub, "owner")
    pid = photos(client, hub, owner, tmp_path, 4)
    listing = client.get(f"{API}/projects/{pid}/webdataset", params={"shard_size": 2}, headers=owner).json()
    item_id, key = lose_media(hub, "photos/img1.png")
    r = httpx.get(server + listing["shards"][0]["url"], headers=owner)
    body = assert_problem(r, 409)
    assert body["type"].endswith("/media-missing") and body["missing"] == 1
    assert body["items"] == [{"id": item_id, "name": "photos/img1.png", "media_key": key}]
    assert httpx.get(server + listing["shards"][1]["url"], headers=owner).status_code == 200


def test_media_lost_after_the_headers_breaks_the_connection(
    client: TestClient, hub: Hub, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    owner = make_user(hub, "owner")
    # The first item's 48 MiB fill the socket buffers, so the server is still on it when the third one's file goes.
    pid = photos(client, hub, owner, tmp_path, 3, big=48)
    monkeypatch.setattr(webdataset_stream, "_DB_CHUNK", 1)  # each item read in a transaction of its own
    listing = client.get(f"{API}/projects/{pid}/webdataset", headers=owner).json()
    caplog.set_level(logging.ERROR, logger="labelhub.services.webdataset_stream")
    with httpx.stream("GET", server + listing["shards"][0]["url"], headers=owner, timeout=30) as r:
        assert r.status_code == 200
        lose_media(hub, "photos/img2.jpg")
        got = 0
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for chunk in r.iter_bytes():
                got += len(chunk)
    assert 48 << 20 < got < 49 << 20  # the first sample, then nothing: no end of archive
    assert any("photos/img2.jpg" in m and "aborted" in m for m in caplog.messages), caplog.messages


def test_the_listing_and_each_shard_answer_304_while_unchanged(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    owner = make_user(hub, "owner")
    pid = photos(client, hub, owner, tmp_path, 3)
    url = f"{API}/projects/{pid}/webdataset"
    first = client.get(url, params={"shard_size": 2}, headers=owner)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get(url, params={"shard_size": 2}, headers={**owner, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, params={"shard_size": 3}, headers={**owner, "If-None-Match": etag}).status_code == 200

    shard_url = first.json()["shards"][0]["url"]
    assert "label_order=" in shard_url
    r = client.get(shard_url, headers=owner)
    shard_etag = r.headers["etag"]
    assert r.status_code == 200 and client.get(shard_url, headers=owner).headers["etag"] == shard_etag
    cached = client.get(shard_url, headers={**owner, "If-None-Match": shard_etag})
    assert cached.status_code == 304 and cached.content == b""
    # An annotation saved on an item of the shard: the next request gets the new tar, with a new ETag.
    item = client.get(f"{API}/projects/{pid}/items", headers=owner).json()["items"][0]
    box = {"kind": "box", "label": "dog", "geometry": {"bbox": [1, 2, 30, 40]}}
    saved = client.put(f"{API}/projects/{pid}/items/{item['id']}/annotations",
                       json={"version": item["version"], "annotations": [box]}, headers=owner)  # fmt: skip
    assert saved.status_code == 200, saved.text
    fresh = client.get(shard_url, headers={**owner, "If-None-Match": shard_etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != shard_etag and fresh.content != r.content
