"""WebDataset streaming over HTTP: a training script's DataLoader reads a project from a real server, with
labelhub.training's URLs; who may list and read shards; bad names and ranges as problems naming the field."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import webdataset as wds
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, served, user_id
from tests.conftest import make_user
from tests.formats.test_webdataset import LABELS, make_items
from torch.utils.data import DataLoader

from labelhub.api.app import create_app
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records
from labelhub.training.webdataset import fetch_shards, image_dataset, project_shards


@pytest.fixture
def server(hub: Hub) -> Iterator[str]:
    """The API on a real uvicorn server (a training script's curl reads it over HTTP); its base URL."""
    with served(create_app(hub, run_worker=False)) as url:
        yield url


def photos(client: TestClient, hub: Hub, headers: dict[str, str], tmp_path: Path, n: int = 7) -> int:
    """A project of ``n`` images with their boxes and polygons (labels cat, dog, bird), as its owner made it."""
    pid: int = create_project(client, headers, "photos")["id"]
    items = make_items(tmp_path / "media", n)
    import_records(hub, Actor.system(), pid, items, labels=LABELS, format_name="test", options=ImportOptions())
    return pid


def keyed(sample: dict[str, Any]) -> tuple[str, str, list[int]]:
    return sample["__key__"], sample["json"]["name"], [a["label_id"] for a in sample["json"]["annotations"]]


def test_a_dataloader_with_two_workers_reads_every_sample_once_from_the_server(
    client: TestClient, hub: Hub, server: str, tmp_path: Path
) -> None:
    owner = make_user(hub, "owner")
    pid = photos(client, hub, owner, tmp_path)
    token = owner["Authorization"].removeprefix("Bearer ")
    shards = fetch_shards(server, pid, token, shard_size=2)
    assert (shards.samples, shards.labels, len(shards.urls)) == (7, LABELS, 4)
    assert all(token not in url for url in shards.urls)  # the token is in a file, never on curl's command line

    raw = wds.WebDataset(shards.urls, shardshuffle=False, workersplitter=wds.split_by_worker, empty_check=False)
    loader = DataLoader(raw.decode().map(keyed), batch_size=None, num_workers=2)
    seen = sorted(tuple(sample) for sample in loader)  # the DataLoader hands tuples over as lists
    want = [(f"{i:08d}", f"photos/img{i}.{'png' if i % 2 else 'jpg'}", [i % 3, (i + 1) % 3] + ([1] if i == 3 else []))
            for i in range(7)]  # fmt: skip
    assert seen == want

    # The ready pipeline: images resized and batched, labels as multi-hot vectors, only the val split.
    urls = project_shards(server, pid, token, split="val")
    batches = list(DataLoader(image_dataset(urls, len(LABELS), size=(24, 32)), batch_size=2, num_workers=2))
    images = torch.cat([b[0] for b in batches])
    targets = torch.cat([b[1] for b in batches])
    assert images.shape == (2, 3, 24, 32) and images.dtype == torch.float32
    # img5: cat (box) and bird (polygon); img6: dog and cat; the two workers may yield them in either order.
    assert sorted(t.tolist() for t in targets) == [[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]


def test_a_shard_over_http_is_the_same_tar_each_time(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    owner = make_user(hub, "owner")
    pid = photos(client, hub, owner, tmp_path, 3)
    listing = client.get(f"{API}/projects/{pid}/webdataset", params={"shard_size": 2}, headers=owner).json()
    assert listing["filter"] == {"status": [], "split": None, "kind": None, "states": ["accepted"], "annotated": False}
    first = listing["shards"][0]
    assert first["url"].startswith(f"{API}/projects/{pid}/webdataset/shard-000000.tar?after=0&upto=")
    r = client.get(first["url"], headers=owner)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-tar"
    assert client.get(first["url"], headers=owner).content == r.content
    with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
        assert tar.getnames() == ["00000000.jpg", "00000000.json", "00000001.png", "00000001.json"]
    second = client.get(listing["shards"][1]["url"], headers=owner)
    with tarfile.open(fileobj=io.BytesIO(second.content)) as tar:
        assert tar.getnames() == ["00000002.jpg", "00000002.json"]


def test_who_may_read_shards_and_what_a_bad_request_is_told(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    owner = make_user(hub, "owner")
    pid = photos(client, hub, owner, tmp_path, 2)
    trainer, viewer, stranger = make_user(hub, "trainer"), make_user(hub, "viewer"), make_user(hub, "other")
    other = create_project(client, owner, "other team")["id"]
    for who, project, role in ((trainer, pid, "manager"), (viewer, pid, "viewer"), (stranger, other, "manager")):
        r = client.put(f"{API}/projects/{project}/members/{user_id(client, who)}", json={"role": role},
                       headers=owner)  # fmt: skip
        assert r.status_code == 200, r.text
    listing = client.get(f"{API}/projects/{pid}/webdataset", headers=trainer).json()
    url = listing["shards"][0]["url"]
    assert client.get(url, headers=trainer).status_code == 200

    # Streaming the dataset is an export: a viewer may look at items one by one, not take them all (403).
    assert_problem(client.get(f"{API}/projects/{pid}/webdataset", headers=viewer), 403)
    assert_problem(client.get(url, headers=viewer), 403)
    # A member of another project learns nothing of this one; without a token, a 401.
    assert "photos" not in assert_problem(client.get(url, headers=stranger), 404)["detail"]
    assert_problem(client.get(f"{API}/projects/{pid}/webdataset", headers=stranger), 404)
    assert_problem(client.get(url), 401)
    assert_problem(client.get(f"{API}/projects/{pid}/webdataset"), 401)

    shard = f"{API}/projects/{pid}/webdataset"
    assert "shard-NNNNNN.tar" in assert_problem(client.get(f"{shard}/all.tar?after=0&upto=9", headers=trainer),
                                                422, field="shard")["detail"]  # fmt: skip
    assert_problem(client.get(f"{shard}/shard-000000.tar?after=9&upto=3", headers=trainer), 422, field="upto")
    assert_problem(client.get(f"{shard}/shard-000000.tar?upto=3", headers=trainer), 422, field="query.after")
    assert_problem(client.get(f"{shard}?shard_size=0", headers=trainer), 422, field="query.shard_size")
    assert_problem(client.get(f"{shard}?status=done", headers=trainer), 422, field="query.status[0]")
