"""A user's file never runs as a page of labelhub: a PNG named ``cat.html`` with a script appended (QA security
finding 1) is served as an image, with nosniff and a sandboxing CSP; a stored type that is not an image, video or
audio type goes out as a download."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import update
from tests.api._support import API, create_project, item_ids, run_jobs, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import Media

SCRIPT = b"<script>fetch('/api/v1/users',{method:'POST'})</script>"


def _png_with_script() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue() + SCRIPT


def test_a_png_named_html_is_served_as_an_image_that_cannot_run(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    ds = tmp_path / "ds"
    (ds / "images").mkdir(parents=True)
    (ds / "images" / "cat.html").write_bytes(_png_with_script())
    coco = write_coco(ds / "annotations" / "instances.json", [("cat.html", 16, 16, [("cat", (1, 1, 5, 5))])])
    pid = create_project(client, admin_headers, "polyglot")["id"]
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": str(coco), "media": "copy"}, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    assert client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()["status"] == "succeeded"
    (iid,) = item_ids(client, admin_headers, pid)

    media = client.get(f"{API}/projects/{pid}/items/{iid}/media", headers=admin_headers)
    assert media.status_code == 200 and media.content.endswith(SCRIPT)
    assert media.headers["content-type"] == "image/png"
    assert media.headers["x-content-type-options"] == "nosniff"
    assert media.headers["content-security-policy"] == "sandbox"
    assert media.headers["content-disposition"].startswith("inline")
    thumb = client.get(f"{API}/projects/{pid}/items/{iid}/thumbnail", headers=admin_headers)
    assert thumb.headers["content-type"] == "image/webp" and thumb.headers["x-content-type-options"] == "nosniff"

    # A row stored as text/html before this fix (or any type that is not an image, video or audio): a download.
    with hub.db.session(write=True) as s:
        s.execute(update(Media).values(mime="text/html; charset=utf-8"))
    media = client.get(f"{API}/projects/{pid}/items/{iid}/media", headers=admin_headers)
    assert media.headers["content-type"] == "application/octet-stream"
    assert media.headers["content-disposition"].startswith("attachment")
    assert media.headers["content-security-policy"] == "sandbox"
    with hub.db.session(write=True) as s:
        s.execute(update(Media).values(mime="image/svg+xml"))  # an SVG may hold script: never inline
    media = client.get(f"{API}/projects/{pid}/items/{iid}/media", headers=admin_headers)
    assert media.headers["content-type"] == "application/octet-stream"
