"""A user's file opened in the browser cannot run as a page of labelhub (QA security finding 1): a PNG named
``cat.html`` with a script appended, imported through COCO, opened by an administrator from its media link."""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

SCRIPT = (
    b"<script>document.title='RAN';fetch('/api/v1/auth/tokens',{method:'POST',headers:{'content-type':"
    b"'application/json','x-requested-with':'1'},body:JSON.stringify({name:'stolen'})});alert('xss')</script>"
)


def test_a_png_named_html_opens_as_an_image_and_runs_nothing(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Polyglot", ["cat"])["id"]
    ds = server.files / "polyglot"
    (ds / "images").mkdir(parents=True)
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, format="PNG")
    (ds / "images" / "cat.html").write_bytes(buf.getvalue() + SCRIPT)
    coco = {"images": [{"id": 1, "file_name": "cat.html", "width": 32, "height": 32}],
            "annotations": [], "categories": [{"id": 1, "name": "cat"}]}  # fmt: skip
    (ds / "instances.json").write_text(json.dumps(coco))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(ds / "instances.json"), "media": "copy"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    (item,) = server.api.get(f"{API}/projects/{pid}/items").json()["items"]
    tokens_before = len(server.api.get(f"{API}/auth/tokens").json())

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    response = page.goto(f"{server.url}{API}/projects/{pid}/items/{item['id']}/media")
    assert response is not None and response.headers["content-type"] == "image/png"
    assert page.evaluate("document.contentType") == "image/png"  # Chromium shows it as an image document
    page.wait_for_timeout(500)
    shots(page, "media-as-image")
    assert dialogs == [] and page.title() != "RAN"
    assert len(server.api.get(f"{API}/auth/tokens").json()) == tokens_before
