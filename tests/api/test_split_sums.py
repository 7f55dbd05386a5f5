"""A ratio split whose ratios do not sum to 1 (or 100) is refused by the API as by the CLI, before a job starts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project


def test_ratios_that_do_not_add_up_are_refused(client: TestClient, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "sums", item_kind="text")["id"]
    body = assert_problem(
        client.post(
            f"{API}/projects/{pid}/exports", json={"format": "text", "split": "0.5/0.6"}, headers=admin_headers
        ),
        422,
        field="split",
    )
    assert "the ratios sum to 1.1" in body["detail"]
    files = {"file": ("a.jsonl", b'{"text": "hi"}\n', "application/octet-stream")}
    r = client.post(f"{API}/projects/{pid}/uploads", files=files, data={"split": "70/20"}, headers=admin_headers)
    assert "the ratios sum to 90" in assert_problem(r, 422, field="split")["detail"]
    assert client.get(f"{API}/jobs", headers=admin_headers).json() == []
