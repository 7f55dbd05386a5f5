"""GET .../items/shapes: a page of items' labels reduced for the grid's thumbnails, with the list's access."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.api.shape_schemas import ItemShapesPagePublic
from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records

KINDS = ["box", "polygon", "mask", "keypoints", "class"]
PERSON = {"name": "person", "keypoints": ["nose", "eye"], "skeleton": [[0, 1]]}


def _project(client: TestClient, hub: Hub, headers: dict[str, str], tmp: Path, name: str) -> tuple[int, list[int]]:
    """Three 640x480 images, the first with a cat box (COCO import)."""
    pid = create_project(client, headers, name, labels=[{"name": "cat"}, {"name": "dog"}, PERSON], kinds=KINDS)["id"]
    images = [(f"{name}{i}.jpg", 640, 480, [("cat", (5, 5, 20, 20))] if i == 0 else []) for i in range(3)]
    import_coco(hub, pid, write_coco(tmp / f"{name}.json", images))
    return pid, item_ids(client, headers, pid)


def _put(client: TestClient, headers: dict[str, str], pid: int, iid: int, anns: list[Any]) -> None:
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    version = client.get(url, headers=headers).json()["version"]
    r = client.put(url, json={"version": version, "annotations": anns}, headers=headers)
    assert r.status_code == 200, r.text


def _shapes(client: TestClient, headers: dict[str, str], pid: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    r = client.get(f"{API}/projects/{pid}/items/shapes", params={"ids": ",".join(map(str, ids))}, headers=headers)
    assert r.status_code == 200, r.text
    ItemShapesPagePublic.model_validate(r.json())  # exactly the documented shape
    return {it["item_id"]: it for it in r.json()["items"]}


def test_each_kind_comes_back_reduced_for_the_thumbnail(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _project(client, hub, admin_headers, tmp_path, "kinds")
    circle = [v for k in range(500) for v in (320 + 100 * math.cos(k / 80), 240 + 100 * math.sin(k / 80))]
    m = np.zeros((480, 640), dtype=np.uint8, order="F")
    m[100:200, 300:400] = 1
    counts = mask_utils.encode(m)["counts"].decode("ascii")
    _put(client, admin_headers, pid, ids[1], [
        {"kind": "polygon", "label": "dog", "geometry": {"points": circle}},
        {"kind": "mask", "label": "cat", "geometry": {"size": [480, 640], "counts": counts}},
        {"kind": "keypoints", "label": "person", "geometry": {"points": [10, 10, 2, 20, 20, 1]}},
        {"kind": "box", "label": "dog", "geometry": {"bbox": [1, 1, 9, 9]}, "source": "model", "model_version": "m",
         "score": 0.5, "state": "proposed"},
        {"kind": "box", "label": "cat", "geometry": {"bbox": [2, 2, 8, 8]}, "source": "model", "model_version": "m",
         "state": "rejected"},
        {"kind": "class", "label": "cat"},
    ])  # fmt: skip
    got = _shapes(client, admin_headers, pid, [ids[1], ids[0], ids[2]])
    assert list(got) == [ids[1], ids[0], ids[2]]  # the order asked for
    assert (got[ids[0]]["width"], got[ids[0]]["height"]) == (640, 480)
    assert got[ids[0]]["shapes"] == [{"kind": "box", "label": "cat", "source": "human", "proposed": False,
                                      "points": [5.0, 5.0, 25.0, 25.0], "parts": []}]  # fmt: skip
    assert got[ids[2]]["shapes"] == [] and got[ids[2]]["more"] == 0
    poly, mask, kp, proposal = got[ids[1]]["shapes"]  # no rejected box, no whole-item class
    assert poly["kind"] == "polygon" and 3 <= len(poly["points"]) // 2 <= 32
    assert mask["kind"] == "mask" and mask["points"] == [300.0, 100.0, 400.0, 200.0]
    (outline,) = mask["parts"]
    assert min(outline[0::2]) == 300 and max(outline[0::2]) == 399 and min(outline[1::2]) == 100
    assert kp["points"] == [10.0, 10.0, 2.0, 20.0, 20.0, 1.0]
    assert (proposal["proposed"], proposal["source"]) == (True, "model")


def test_an_item_with_more_than_300_shapes_says_how_many_more(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _project(client, hub, admin_headers, tmp_path, "many")
    boxes = [{"kind": "box", "label": "cat", "geometry": {"bbox": [k % 600, 1, k % 600 + 5, 9]}} for k in range(305)]
    _put(client, admin_headers, pid, ids[0], boxes)
    got = _shapes(client, admin_headers, pid, [ids[0]])[ids[0]]
    assert len(got["shapes"]) == 300 and got["more"] == 5


def test_other_projects_and_other_kinds_are_left_out_and_bad_ids_name_the_field(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _project(client, hub, admin_headers, tmp_path, "mine")
    _, theirs = _project(client, hub, admin_headers, tmp_path, "theirs")
    tid = create_project(client, admin_headers, "texts", item_kind="text", labels=[{"name": "intent"}])["id"]
    import_records(hub, Actor.system(), tid, [ItemRecord(kind=ItemKind.TEXT, name="t", text="hello")], labels=[],
                   format_name="test", options=ImportOptions(media="none"))  # fmt: skip
    text_ids = item_ids(client, admin_headers, tid)
    assert list(_shapes(client, admin_headers, pid, [theirs[0], ids[0], 10**9])) == [ids[0]]
    assert _shapes(client, admin_headers, tid, text_ids) == {}
    url = f"{API}/projects/{pid}/items/shapes"
    assert_problem(client.get(url, params={"ids": ",".join(["1"] * 101)}, headers=admin_headers), 422, field="ids")
    assert_problem(client.get(url, params={"ids": "1,two"}, headers=admin_headers), 422, field="ids")
    assert client.get(url, headers=admin_headers).status_code == 422  # no ids at all


def test_a_non_member_gets_the_same_404_as_from_the_item_list(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid, ids = _project(client, hub, admin_headers, tmp_path, "private")
    _, stranger = quick_user(hub, "stranger-shapes")
    listing = client.get(f"{API}/projects/{pid}/items", headers=stranger)
    shapes = client.get(f"{API}/projects/{pid}/items/shapes", params={"ids": str(ids[0])}, headers=stranger)
    assert_problem(listing, 404, field="project_id")
    assert_problem(shapes, 404, field="project_id")
    assert client.get(f"{API}/projects/{pid}/items/shapes", params={"ids": str(ids[0])}).status_code == 401
