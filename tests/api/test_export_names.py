"""An export's ``filename`` must be a plain file name (QA security finding 8): ``.``, ``..``, hidden names and
paths are a 422 on ``filename`` when the request comes, and no job is queued for them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, run_jobs

from labelhub.hub import Hub

BAD = [".", "..", "...", ".hidden.json", "../x.json", "a/b.json", "", "x" * 101, "caf\u00e9.json"]


@pytest.mark.parametrize("fmt", ["coco", "yolo"])
def test_a_filename_that_is_not_a_plain_file_name_is_refused_on_filename(
    client: TestClient, admin_headers: dict[str, str], fmt: str
) -> None:
    pid = create_project(client, admin_headers, "names", item_kind="image")["id"]
    for name in BAD:
        for copy_media in (False, True):
            body = {"format": fmt, "filename": name, "copy_media": copy_media}
            r = client.post(f"{API}/projects/{pid}/exports", json=body, headers=admin_headers)
            assert_problem(r, 422, field="filename")
    assert client.get(f"{API}/jobs", headers=admin_headers).json() == []


def test_plain_file_names_still_export(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "plain", item_kind="image")["id"]
    for name in ("coco.json", "my..export.json", "a_b-c"):
        r = client.post(f"{API}/projects/{pid}/exports", json={"format": "coco", "filename": name},
                        headers=admin_headers)  # fmt: skip
        assert r.status_code == 202, r.text
    run_jobs(hub)
    jobs = client.get(f"{API}/jobs", headers=admin_headers).json()
    assert len(jobs) == 3 and all(j["status"] == "succeeded" for j in jobs), jobs
