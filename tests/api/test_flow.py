"""A project's life through the API: create, import as a job, list, edit with version checks, export."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.conftest import data_path, make_user

from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor


def _run_jobs(hub: Hub) -> None:
    ex = LocalExecutor(hub)
    while ex.run_once():
        pass


def test_import_list_edit_export(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    src = data_path("detection_coco128")
    r = client.post("/api/v1/projects", json={"name": "coco", "item_kind": "image"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    # Boxes only (a format option): the segmentation polygons are left out.
    body = {"source": str(src), "options": {"segmentation": "false"}}
    r = client.post(f"/api/v1/projects/{pid}/imports", json=body, headers=admin_headers)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    _run_jobs(hub)
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["items_added"] == 128
    assert job["result"]["annotations_added"] == 939

    page = client.get(f"/api/v1/projects/{pid}/items?limit=50", headers=admin_headers).json()
    assert len(page["items"]) == 50 and page["next_after"] == page["items"][-1]["id"]
    rest = client.get(f"/api/v1/projects/{pid}/items?limit=500&after={page['next_after']}",
                      headers=admin_headers).json()  # fmt: skip
    assert len(rest["items"]) == 78 and rest["next_after"] is None
    assert sum(i["annotation_count"] for i in page["items"] + rest["items"]) == 939

    item = page["items"][0]
    anns = client.get(f"/api/v1/projects/{pid}/items/{item['id']}/annotations", headers=admin_headers).json()
    body = {"version": anns["version"], "annotations": [
        {"id": a["id"], "kind": a["kind"], "label": a["label"], "geometry": a["geometry"]} for a in anns["annotations"]
    ] + [{"kind": "box", "label": "person", "geometry": {"bbox": [1, 2, 30, 40]}}]}  # fmt: skip
    r = client.put(f"/api/v1/projects/{pid}/items/{item['id']}/annotations", json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert len(r.json()["annotations"]) == len(anns["annotations"]) + 1
    stale = client.put(f"/api/v1/projects/{pid}/items/{item['id']}/annotations", json=body, headers=admin_headers)
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["current_version"] == anns["version"] + 1

    r = client.post(f"/api/v1/projects/{pid}/exports", json={"format": "coco"}, headers=admin_headers)
    _run_jobs(hub)
    job = client.get(f"/api/v1/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["annotations"] == 940
    dl = client.get(f"/api/v1/jobs/{job['id']}/download", headers=admin_headers)
    assert dl.status_code == 200 and len(dl.json()["annotations"]) == 940

    viewer = make_user(hub, "viewer")
    assert client.get(f"/api/v1/projects/{pid}", headers=viewer).status_code == 404
