"""A hub whose media live in an S3-compatible bucket (moto's server over HTTP): an import through the API
uploads the images, and the item's file and thumbnail are served from the local read-through cache."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.api._support import API, create_project, run_jobs, write_coco
from tests.conftest import data_path, make_user
from tests.s3_server import new_bucket, s3_client, s3_server

from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.media.s3 import S3MediaStore

NAMES = ("000000000009.jpg", "000000000025.jpg")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


def test_imported_images_go_to_the_bucket_and_thumbnails_are_served(
    settings: Settings, endpoint: str, tmp_path: Path
) -> None:
    bucket = new_bucket(endpoint, f"hub-{tmp_path.name.lower().replace('_', '-')}"[:60])
    s3 = settings.model_copy(update={"media_url": f"s3://{bucket}/team", "s3_endpoint_url": endpoint})
    src = data_path("detection_coco128", "images", "train2017")
    (tmp_path / "ds" / "images").mkdir(parents=True)
    entries = []
    for name in NAMES:
        shutil.copyfile(src / name, tmp_path / "ds" / "images" / name)
        with Image.open(src / name) as im:
            entries.append((name, im.width, im.height, [("cat", (1, 1, 10, 10))]))
    ann = write_coco(tmp_path / "ds" / "annotations" / "instances_default.json", entries)
    hub = Hub.open(s3)
    try:
        assert isinstance(hub.media, S3MediaStore)
        headers = make_user(hub, "admin", admin=True)
        with TestClient(create_app(hub, run_worker=False)) as client:
            pid = create_project(client, headers, "photos")["id"]
            r = client.post(
                f"{API}/projects/{pid}/imports", headers=headers, json={"source": str(ann), "media": "copy"}
            )
            assert r.status_code == 202, r.text
            run_jobs(hub)
            items = client.get(f"{API}/projects/{pid}/items", headers=headers).json()["items"]
            assert sorted(i["name"] for i in items) == sorted(NAMES)
            listed = s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix="team/")
            assert listed["KeyCount"] == 2
            assert not list(s3.media_dir.glob("??/??/*"))  # nothing copied to the local folder
            hub.media.cache.discard(items[0]["media_key"])  # served after a fresh download from the bucket
            for item in items:
                thumb = client.get(f"{API}/projects/{pid}/items/{item['id']}/thumbnail?size=128", headers=headers)
                assert thumb.status_code == 200, thumb.text
                with Image.open(io.BytesIO(thumb.content)) as im:
                    assert im.format == "WEBP" and max(im.size) == 128
                original = client.get(f"{API}/projects/{pid}/items/{item['id']}/media", headers=headers)
                assert original.content == (src / item["name"]).read_bytes()
    finally:
        hub.close()


def test_a_bucket_that_stops_answering_gives_503_with_retry_after(settings: Settings, tmp_path: Path) -> None:
    photo = data_path("detection_coco128", "images", "train2017", NAMES[0])
    (tmp_path / "ds" / "images").mkdir(parents=True)
    shutil.copyfile(photo, tmp_path / "ds" / "images" / NAMES[0])
    with Image.open(photo) as im:
        ann = write_coco(tmp_path / "ds" / "ann.json", [(NAMES[0], im.width, im.height, [("cat", (1, 1, 9, 9))])])
    with s3_server() as url:  # a server of its own, stopped halfway through the test
        bucket = new_bucket(url, "goes-away")
        hub = Hub.open(settings.model_copy(update={"media_url": f"s3://{bucket}", "s3_endpoint_url": url}))
        headers = make_user(hub, "admin", admin=True)
        client = TestClient(create_app(hub, run_worker=False))
        pid = create_project(client, headers, "photos")["id"]
        r = client.post(f"{API}/projects/{pid}/imports", headers=headers, json={"source": str(ann), "media": "copy"})
        assert r.status_code == 202, r.text
        run_jobs(hub)
        item = client.get(f"{API}/projects/{pid}/items", headers=headers).json()["items"][0]
        hub.media.cache.discard(item["media_key"])
    try:
        r = client.get(f"{API}/projects/{pid}/items/{item['id']}/media", headers=headers)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "10"
        problem = r.json()
        assert problem["title"] == "Service unavailable"
        assert f"bucket '{bucket}' at {url} did not answer the download" in problem["detail"]
        assert "try again shortly" in problem["detail"]
        assert problem["field"] == "LABELHUB_MEDIA_URL"
    finally:
        client.close()
        hub.close()
