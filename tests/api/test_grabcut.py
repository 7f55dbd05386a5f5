"""POST /projects/{pid}/items/{iid}/grabcut: the polygon of the object in a box, who may ask, and bad boxes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from PIL import Image
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco
from tests.services.test_grabcut import iou, scene

from labelhub.hub import Hub

WIDTH, HEIGHT = 240, 180


@dataclass
class World:
    url: str
    truth: NDArray[np.bool_]
    box: list[float]
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> World:
    """An image project with one stored picture of a red blob, an annotator and a viewer."""
    image, truth, box = scene(WIDTH, HEIGHT, seed=3)
    (tmp_path / "images").mkdir()
    Image.fromarray(image).save(tmp_path / "images" / "blob.png")
    pid = create_project(client, admin_headers, "blobs", item_kind="image")["id"]
    import_coco(hub, pid, write_coco(tmp_path / "ann.json", [("images/blob.png", WIDTH, HEIGHT, [])]), media="copy")
    headers: dict[str, dict[str, str]] = {}
    for role in ("annotator", "viewer"):
        uid, headers[role] = quick_user(hub, role)
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin_headers)
        assert r.status_code == 200, r.text
    (iid,) = item_ids(client, admin_headers, pid)
    return World(f"{API}/projects/{pid}/items/{iid}/grabcut", truth, box, headers)


def test_an_annotator_gets_the_outline_of_the_object(client: TestClient, world: World) -> None:
    r = client.post(world.url, json={"box": world.box}, headers=world.headers["annotator"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["polygon"]) >= 3 and all(len(p) == 2 for p in body["polygon"])
    flat = [v for p in body["polygon"] for v in p]
    assert iou(flat, world.truth) > 0.8
    assert body["area"] > 0


@pytest.mark.parametrize(
    ("box", "field"),
    [([10, 10, 300, 100], "box"), ([50, 50, 52, 120], "box"), ([80, 80, 20, 20], "box"), ([1, 2, 3], "box")],
    ids=["past-the-image", "too-small", "inverted", "three-numbers"],
)
def test_a_bad_box_is_a_422_naming_the_field(client: TestClient, world: World, box: list[float], field: str) -> None:
    r = client.post(world.url, json={"box": box}, headers=world.headers["annotator"])
    assert_problem(r, 422, field=field)


def test_a_viewer_may_not_run_grabcut(client: TestClient, world: World) -> None:
    r = client.post(world.url, json={"box": world.box}, headers=world.headers["viewer"])
    assert_problem(r, 403)
