"""POST /projects/{pid}/items/{iid}/volume/fill: interpolated masks as proposals, who may ask, and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, item_ids, quick_user

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.formats import ImportOptions
from labelhub.formats._volume_masks import mask_array, mask_geometry
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_records

WIDTH, HEIGHT, SLICES = 64, 48, 12


def disk(cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[:HEIGHT, :WIDTH]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= r**2).astype(np.uint8)


def mask(label: str, frame: int, plane: np.ndarray) -> AnnotationRecord:
    return AnnotationRecord(kind=AnnotationKind.MASK, label=label, geometry=mask_geometry(plane), frame=frame)


@dataclass
class World:
    project_id: int
    volume: int
    image: int
    headers: dict[str, dict[str, str]]

    def url(self, item_id: int | None = None) -> str:
        return f"{API}/projects/{self.project_id}/items/{item_id or self.volume}/volume/fill"


@pytest.fixture
def world(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> World:
    """A volume project: one 64x48x12 volume with liver disks on slices 2 and 9 (two on 9), a spleen mask on
    slice 5, a liver polygon on slice 11; an annotator, a viewer."""
    labels = [{"name": "liver"}, {"name": "spleen"}]
    pid = create_project(client, admin_headers, "ct", item_kind="volume", labels=labels)["id"]
    polygon = AnnotationRecord(kind=AnnotationKind.POLYGON, label="liver", frame=11,
                               geometry={"points": [10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0]})  # fmt: skip
    volume = ItemRecord(
        kind=ItemKind.VOLUME, name="ct.nii.gz", width=WIDTH, height=HEIGHT, frame_count=SLICES,
        annotations=[mask("liver", 2, disk(24, 32, 5)), mask("liver", 9, disk(24, 32, 15)),
                     mask("liver", 9, disk(5, 5, 2)), mask("spleen", 5, disk(10, 50, 4)), polygon],
    )  # fmt: skip
    flat = ItemRecord(kind=ItemKind.VOLUME, name="flat.nii.gz", width=WIDTH, height=HEIGHT, frame_count=1)
    import_records(hub, Actor.system(), pid, [volume, flat], labels=["liver", "spleen"], format_name="test",
                   options=ImportOptions(media="none"))  # fmt: skip
    headers: dict[str, dict[str, str]] = {"admin": admin_headers}
    for role in ("annotator", "viewer"):
        uid, headers[role] = quick_user(hub, role)
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin_headers)
        assert r.status_code == 200, r.text
    vid, fid = item_ids(client, admin_headers, pid)
    return World(pid, vid, fid, headers)


def annotations(client: TestClient, w: World) -> tuple[int, list[dict[str, Any]]]:
    r = client.get(f"{API}/projects/{w.project_id}/items/{w.volume}/annotations", headers=w.headers["admin"])
    assert r.status_code == 200, r.text
    body = r.json()
    return body["version"], body["annotations"]


def fill(client: TestClient, w: World, role: str = "annotator", **body: Any) -> Any:
    version = body.pop("version", None)
    if version is None:
        version = annotations(client, w)[0]
    payload = {"label": "liver", "from_slice": 2, "to_slice": 9, "version": version, **body}
    return client.post(w.url(), json=payload, headers=w.headers[role])


def test_an_annotator_fills_the_slices_between_with_growing_proposals(client: TestClient, world: World) -> None:
    before, _ = annotations(client, world)
    r = fill(client, world)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {"version": before + 1, "filled": [3, 4, 5, 6, 7, 8]}
    version, anns = annotations(client, world)
    assert version == body["version"]
    new = sorted((a for a in anns if a["model_version"] == "interpolation"), key=lambda a: a["frame"])
    assert [a["frame"] for a in new] == [3, 4, 5, 6, 7, 8]
    assert {(a["kind"], a["label"], a["source"], a["state"]) for a in new} == {("mask", "liver", "model", "proposed")}
    areas = [int(mask_array(a["geometry"]).sum()) for a in new]
    assert areas == sorted(areas) and disk(24, 32, 5).sum() < areas[0] and areas[-1] < disk(24, 32, 15).sum()
    # The small second liver mask on slice 9 has no partner on slice 2: it shrinks away towards slice 2.
    corner = [int(mask_array(a["geometry"])[:10, :10].sum()) for a in new]
    assert corner == sorted(corner) and corner[0] < corner[-1] <= disk(5, 5, 2).sum()
    r = client.get(f"{API}/projects/{world.project_id}/audit", params={"action": "annotations.fill_between"},
                   headers=world.headers["admin"])  # fmt: skip
    [event] = r.json()["events"]
    assert event["object_id"] == str(world.volume)
    assert event["detail"]["filled"] == [3, 4, 5, 6, 7, 8] and event["detail"]["actor"] == "annotator"


def test_slices_that_already_hold_the_class_are_left_alone(client: TestClient, world: World) -> None:
    assert fill(client, world).json()["filled"] == [3, 4, 5, 6, 7, 8]
    _, first = annotations(client, world)
    r = fill(client, world)  # everything between is filled now: nothing to add, the version stays
    assert r.status_code == 200 and r.json()["filled"] == []
    # A polygon of the class counts as a drawn end, in either order of the two slices.
    r = fill(client, world, from_slice=11, to_slice=8)
    assert r.status_code == 200, r.text
    assert r.json()["filled"] == [10]  # 9 holds liver masks already
    assert len(annotations(client, world)[1]) == len(first) + 1


def test_another_class_on_a_slice_between_does_not_stop_the_fill(client: TestClient, world: World) -> None:
    r = fill(client, world, label="spleen", from_slice=5, to_slice=0)
    assert_problem(r, 422, field="to_slice")
    r = fill(client, world)
    assert 5 in r.json()["filled"]  # slice 5 holds a spleen mask only


def test_a_stale_version_is_refused_and_writes_nothing(client: TestClient, world: World) -> None:
    version, anns = annotations(client, world)
    body = assert_problem(
        fill(client, world, version=version - 1 if version > 1 else version + 7), 409, field="version"
    )
    assert body["current_version"] == version
    assert annotations(client, world) == (version, anns)


def test_a_viewer_may_not_fill(client: TestClient, world: World) -> None:
    version, anns = annotations(client, world)
    assert_problem(fill(client, world, role="viewer"), 403, field="role")
    assert annotations(client, world) == (version, anns)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from_slice": 3}, "from_slice"),  # no liver mask on slice 3
        ({"to_slice": 8}, "to_slice"),
        ({"to_slice": 3}, "to_slice"),  # nothing between 2 and 3
        ({"from_slice": 2, "to_slice": 2}, "to_slice"),
        ({"to_slice": SLICES}, "to_slice"),  # outside the volume
        ({"label": "kidney"}, "label"),
        ({"label": "spleen"}, "from_slice"),
        ({"from_slice": -1}, "from_slice"),
        ({"slices": [2, 9]}, "slices"),
    ],
    ids=[
        "no-mask-on-from",
        "no-mask-on-to",
        "adjacent",
        "same",
        "outside",
        "unknown-class",
        "other-class",
        "negative",
        "unknown-field",
    ],
)
def test_bad_requests_name_the_field(client: TestClient, world: World, body: dict[str, Any], field: str) -> None:
    version, anns = annotations(client, world)
    assert_problem(fill(client, world, **body), 422, field=field)
    assert annotations(client, world) == (version, anns)


def test_only_volumes_are_filled(client: TestClient, world: World, admin_headers: dict[str, str]) -> None:
    body = {"label": "liver", "from_slice": 0, "to_slice": 2, "version": 1}
    r = client.post(world.url(world.image), json=body, headers=world.headers["annotator"])
    assert_problem(r, 422, field="to_slice")  # a one-slice volume: slice 2 is outside it
    other = create_project(client, admin_headers, "photos", item_kind="image", labels=[{"name": "liver"}])["id"]
    import_records(client.app.state.hub, Actor.system(), other,  # type: ignore[attr-defined]
                   [ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=WIDTH, height=HEIGHT)],
                   labels=["liver"], format_name="test", options=ImportOptions(media="none"))  # fmt: skip
    (iid,) = item_ids(client, admin_headers, other)
    r = client.post(f"{API}/projects/{other}/items/{iid}/volume/fill", json=body, headers=admin_headers)
    problem = assert_problem(r, 422, field="kind")
    assert "not a volume" in problem["detail"]
