"""Helpers the API tests share: tiny COCO files, imports, jobs, and problem+json checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from fastapi.testclient import TestClient

from labelhub.cli.serve import KEEP_ALIVE_S
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.services.access import Actor
from labelhub.services.imports import ImportReport, import_source
from labelhub.services.users import issue_token
from labelhub.storage.models import User

API = "/api/v1"
# One image entry: (file name, width, height, [(label, [x, y, w, h]), ...]); boxes in COCO's xywh.
CocoImage = tuple[str, int, int, Sequence[tuple[str, Sequence[float]]]]


def write_coco(path: Path, images: Sequence[CocoImage], labels: Sequence[str] = ("cat", "dog")) -> Path:
    """Write a COCO detection file for ``images`` at ``path`` and return the path."""
    cats = {name: i + 1 for i, name in enumerate(labels)}
    doc: dict[str, Any] = {"images": [], "annotations": [], "categories": [
        {"id": cid, "name": name} for name, cid in cats.items()]}  # fmt: skip
    for image_id, (name, width, height, boxes) in enumerate(images, 1):
        doc["images"].append({"id": image_id, "file_name": name, "width": width, "height": height})
        for label, bbox in boxes:
            doc["annotations"].append({"id": len(doc["annotations"]) + 1, "image_id": image_id,
                                       "category_id": cats[label], "bbox": list(bbox), "iscrowd": 0})  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc))
    return path


def import_coco(hub: Hub, project_id: int, path: Path, *, media: str = "none") -> ImportReport:
    """Import a COCO file into the project through the import service, as the system."""
    options = ImportOptions(media=media)  # type: ignore[arg-type]
    return import_source(hub, Actor.system(), project_id, path, fmt="coco", options=options)


def run_jobs(hub: Hub) -> None:
    """Run every queued job in this thread."""
    ex = LocalExecutor(hub)
    while ex.run_once():
        pass


def quick_user(hub: Hub, name: str, *, admin: bool = False) -> tuple[int, dict[str, str]]:
    """Create a user who cannot log in (no password hash) and return their id and bearer headers.

    Hashing a real password costs ~0.1 s; tests that never log in and create many users skip it.
    """
    with hub.db.session(write=True) as s:
        user = User(username=name, password_hash="!", is_admin=admin, is_active=True)
        s.add(user)
        s.flush()
        token = issue_token(s, user, "test").token
        return user.id, {"Authorization": f"Bearer {token}"}


def user_id(client: TestClient, headers: dict[str, str]) -> int:
    """Return the id of the user the headers authenticate."""
    r = client.get(f"{API}/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    uid: int = r.json()["id"]
    return uid


def create_project(client: TestClient, headers: dict[str, str], name: str, **body: Any) -> dict[str, Any]:
    """Create a project through the API and return it."""
    r = client.post(f"{API}/projects", json={"name": name, **body}, headers=headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def item_ids(client: TestClient, headers: dict[str, str], project_id: int, **query: Any) -> list[int]:
    """Return the ids of every item of the project matching ``query``, in id order."""
    r = client.get(f"{API}/projects/{project_id}/items", params={"limit": 1000, **query}, headers=headers)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def assert_problem(r: httpx.Response, status: int, *, field: str | None = None) -> dict[str, Any]:
    """Check that ``r`` is a problem+json response with ``status`` (and ``field``); return its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"], body
    if field is not None:
        assert body.get("field") == field, body
    if status == 401:
        assert r.headers["www-authenticate"].startswith("Bearer"), r.headers
    return body


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free local port, in a thread, for the block; yield its base URL. Idle
    connections are kept as ``labelhub serve`` keeps them (longer than httpx's 5 s: no "connection reset")."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           timeout_graceful_shutdown=1, timeout_keep_alive=KEEP_ALIVE_S))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
