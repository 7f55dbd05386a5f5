"""A text export to CSV through the API: cells exact by default, ``options.csv_safe`` prefixes formula-like ones."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from tests.api._support import API, create_project, run_jobs

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source


def _export(client: TestClient, hub: Hub, headers: dict[str, str], pid: int, options: dict[str, str]) -> list[str]:
    body = {"format": "text", "filename": "notes.csv", "options": options}
    job = client.post(f"{API}/projects/{pid}/exports", json=body, headers=headers)
    assert job.status_code == 202, job.text
    run_jobs(hub)
    r = client.get(f"{API}/jobs/{job.json()['id']}/download", headers=headers)
    assert r.status_code == 200, r.text
    return [row[1] for row in csv.reader(io.StringIO(r.text))][1:]


def test_csv_safe_through_the_api(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> None:
    pid = create_project(client, admin_headers, "notes", item_kind="text")["id"]
    src = tmp_path / "in.csv"
    src.write_text("id,text\nt1,=1+2\nt2,-3\n", encoding="utf-8")
    import_source(hub, Actor.system(), pid, src, fmt="text")
    assert sorted(_export(client, hub, admin_headers, pid, {})) == ["-3", "=1+2"]
    assert sorted(_export(client, hub, admin_headers, pid, {"csv_safe": "true"})) == ["'-3", "'=1+2"]
