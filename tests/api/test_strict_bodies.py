"""Request bodies refuse fields they do not know: a typo is a 422 naming it, not a silent default."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, write_coco

from labelhub.hub import Hub


def test_a_misspelt_field_is_refused_with_the_closest_known_name(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    r = client.post(f"{API}/projects", json={"name": "texts", "item_knd": "text"}, headers=admin_headers)
    body = assert_problem(r, 422, field="item_knd")
    assert body["detail"].startswith("item_knd: unknown field 'item_knd'; did you mean 'item_kind'?"), body
    assert "name" in body["detail"] and "labels" in body["detail"]
    r = client.post(f"{API}/projects", json={"name": "texts", "kind": "text"}, headers=admin_headers)
    assert "did you mean 'item_kind'?" in assert_problem(r, 422, field="kind")["detail"]
    # Nothing was created under a default kind.
    assert client.get(f"{API}/projects", headers=admin_headers).json() == []


def test_an_unknown_field_inside_a_list_is_named_with_its_place(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    r = client.post(
        f"{API}/projects", json={"name": "pets", "labels": [{"name": "cat"}, {"name": "dog", "colour": "#00FF00"}]},
        headers=admin_headers,
    )  # fmt: skip
    body = assert_problem(r, 422, field="labels[1].colour")
    assert "did you mean 'color'?" in body["detail"], body


def test_annotations_read_and_written_back_unchanged_are_accepted(
    client: TestClient, admin_headers: dict[str, str], hub: Hub, tmp_path: Path
) -> None:
    """A client may PUT back what it read (ids, versions, timestamps included); only unknown names are refused."""
    project = create_project(client, admin_headers, "pets", labels=[{"name": "cat"}, {"name": "dog"}])
    import_coco(hub, project["id"], write_coco(tmp_path / "c.json", [("a.jpg", 64, 48, [("cat", [1, 2, 10, 10])])]))
    item = item_ids(client, admin_headers, project["id"])[0]
    url = f"{API}/projects/{project['id']}/items/{item}/annotations"
    read = client.get(url, headers=admin_headers).json()
    anns = read["annotations"]
    assert {"item_id", "created_at", "version"} <= set(anns[0])
    anns[0]["label"] = "dog"
    r = client.put(url, json={"version": read["version"], "annotations": anns}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert [a["label"] for a in r.json()["annotations"]] == ["dog"]

    anns = r.json()["annotations"]
    anns[0]["lable"] = "cat"
    r = client.put(url, json={"version": r.json()["version"], "annotations": anns}, headers=admin_headers)
    body = assert_problem(r, 422, field="annotations[0].lable")
    assert "did you mean 'label'?" in body["detail"]
    assert [a["label"] for a in client.get(url, headers=admin_headers).json()["annotations"]] == ["dog"]


def test_a_query_parameter_the_route_does_not_read_is_refused(
    client: TestClient, admin_headers: dict[str, str], hub: Hub, tmp_path: Path
) -> None:
    """``?offset=`` on a route that pages with ``after`` would silently give the first page again."""
    project = create_project(client, admin_headers, "pets", labels=[{"name": "cat"}])
    import_coco(hub, project["id"], write_coco(tmp_path / "c.json", [("a.jpg", 64, 48, [("cat", [1, 2, 10, 10])])]))
    items = f"{API}/projects/{project['id']}/items"
    body = assert_problem(client.get(f"{items}?offset=24&limit=10", headers=admin_headers), 422, field="offset")
    assert body["detail"].startswith("unknown query parameter 'offset'"), body
    assert "after" in body["detail"] and "limit" in body["detail"], body
    typo = assert_problem(client.get(f"{items}?limt=10", headers=admin_headers), 422, field="limt")
    assert "did you mean 'limit'?" in typo["detail"], typo
    # The route's own parameters pass; a route that reads none says so.
    assert client.get(f"{items}?limit=10&with_total=true", headers=admin_headers).json()["total"] == 1
    assert "takes none" in assert_problem(client.get(f"{API}/health?v=2"), 422, field="v")["detail"]
    # The web app's page itself is not an API route: any query string opens it.
    assert client.get("/?utm_source=mail").status_code == 200
