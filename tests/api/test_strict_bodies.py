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
