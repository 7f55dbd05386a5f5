"""Request size limits (413 before parsing or authentication) and the security headers on every response."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send
from tests._async import run_async
from tests.api._support import API, assert_problem, create_project

from labelhub.api.app import create_app
from labelhub.api.limits import RequestLimits
from labelhub.config import Settings
from labelhub.errors import ConfigurationError
from labelhub.hub import Hub

MB = 1 << 20
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits, so the tests send a few MB: 1 MB for requests, 2 MB for uploads."""
    return settings.model_copy(update={"max_request_mb": 1, "max_upload_mb": 2})


def _project_body(size: int) -> bytes:
    """A valid project body of exactly ``size`` bytes (JSON allows trailing white space)."""
    body = b'{"name": "padded", "item_kind": "text"}'
    return body + b" " * (size - len(body))


def _chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    body = _project_body(total)
    for start in range(0, total, chunk):
        yield body[start : start + chunk]


def test_an_oversized_body_gets_413_before_authentication(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    body = _project_body(MB + 1)
    for headers in ({}, admin_headers):
        r = client.post(f"{API}/projects", content=body, headers={**JSON, **headers})
        problem = assert_problem(r, 413)
        assert problem["title"] == "Too large"
        assert "1 MB" in problem["detail"] and "LABELHUB_MAX_REQUEST_MB" in problem["detail"]
        assert (problem["setting"], problem["limit_mb"]) == ("LABELHUB_MAX_REQUEST_MB", 1)
        assert problem["instance"] == f"{API}/projects"
    assert client.get(f"{API}/projects", headers=admin_headers).json() == []  # nothing was created


def test_a_body_at_the_limit_passes(client: TestClient, admin_headers: dict[str, str]) -> None:
    r = client.post(f"{API}/projects", content=_project_body(MB), headers={**JSON, **admin_headers})
    assert r.status_code == 201, r.text
    # Without credentials a body under the limit gets as far as authentication.
    assert_problem(client.post(f"{API}/projects", content=_project_body(MB), headers=JSON), 401)


def test_a_chunked_body_is_counted_while_it_streams(client: TestClient, admin_headers: dict[str, str]) -> None:
    headers = {**JSON, **admin_headers}
    r = client.post(f"{API}/projects", content=_chunks(MB + 1), headers=headers)  # no Content-Length
    assert "LABELHUB_MAX_REQUEST_MB" in assert_problem(r, 413)["detail"]
    assert_problem(client.post(f"{API}/projects", content=_chunks(2 * MB), headers=JSON), 413)  # anonymous too
    r = client.post(f"{API}/projects", content=_chunks(MB - 10), headers=headers)
    assert r.status_code == 201, r.text


def test_the_upload_route_has_the_upload_limit_instead(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid = create_project(client, admin_headers, "texts", item_kind="text")["id"]
    url = f"{API}/projects/{pid}/uploads"
    line = b'{"text": "' + b"x" * 1000 + b'"}\n'

    def upload(mb: float) -> Any:
        data = line * int(mb * MB / len(line))
        return client.post(url, files={"file": ("t.jsonl", data, "application/json")}, headers=admin_headers)

    r = upload(1.5)  # over LABELHUB_MAX_REQUEST_MB, under LABELHUB_MAX_UPLOAD_MB
    assert r.status_code == 202, r.text
    # Between the upload limit and the room left for the form's fields: the route's own check answers (as before).
    assert "2 MB upload limit" in assert_problem(upload(2.5), 422)["detail"]
    problem = assert_problem(upload(3.5), 413)
    assert (problem["setting"], problem["limit_mb"]) == ("LABELHUB_MAX_UPLOAD_MB", 2)
    assert "upload" in problem["detail"]
    assert len(list(hub.settings.uploads_dir.iterdir())) == 1  # only the accepted upload was stored
    # Only POST to the upload route itself gets the larger limit.
    assert_problem(client.post(f"{API}/projects/{pid}/imports", content=_project_body(MB + 1), headers=JSON), 413)


def test_every_response_carries_the_security_headers(
    client: TestClient, admin_headers: dict[str, str], hub: Hub, tmp_path: Path
) -> None:
    responses = [
        client.get(f"{API}/health"),
        client.get(f"{API}/projects", headers=admin_headers),
        client.get(f"{API}/projects"),  # 401
        client.get(f"{API}/projects/999", headers=admin_headers),  # 404
        client.post(f"{API}/projects", json={"name": ""}, headers=admin_headers),  # 422
        client.post(f"{API}/projects", content=_project_body(2 * MB), headers=JSON),  # 413
        client.get("/openapi.json"),
        client.get("/assets/missing.js"),
    ]
    for r in responses:
        assert r.headers["x-content-type-options"] == "nosniff", (r.url, r.headers)
        assert r.headers["referrer-policy"] == "same-origin", r.url
        assert r.headers["x-frame-options"] == "DENY", r.url
        assert "content-security-policy" not in r.headers, r.url  # only the built index page has a CSP

    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>labelhub</title>")
    app = create_app(hub, run_worker=False, web_dist=dist)

    def crash() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/crash", crash)
    with TestClient(app, raise_server_exceptions=False) as web:
        page = web.get("/")
        crashed = web.get("/crash")  # answered by the error middleware, which the headers' middleware wraps
    assert crashed.status_code == 500 and crashed.headers["x-content-type-options"] == "nosniff"
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]  # the index page keeps its CSP
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert page.headers.get_list("x-content-type-options") == ["nosniff"]  # set once, not twice


async def _run(app: RequestLimits, scope: Scope, chunks: list[bytes]) -> tuple[int, list[Message]]:
    """Run ``app`` on a request whose body arrives in ``chunks``; return how many were read and what was sent."""
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": pulled < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return pulled, sent


def _scope(headers: list[tuple[bytes, bytes]]) -> Scope:
    return {"type": "http", "method": "POST", "path": "/api/v1/x", "root_path": "", "headers": headers,
            "query_string": b""}  # fmt: skip


def test_the_middleware_stops_reading_at_the_limit() -> None:
    called = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal called
        called += 1
        await Request(scope, receive).body()
        raise AssertionError("the body should have been refused")

    limits = RequestLimits(app, max_request_mb=1, max_upload_mb=5)
    chunks = [b"x" * (100 * 1024)] * 100  # 10 MB, chunked
    pulled, sent = run_async(lambda: _run(limits, _scope([]), chunks))
    assert (called, pulled) == (1, 11)  # the 11th chunk passed 1 MB: nothing more was read
    assert sent[0]["status"] == 413 and (b"x-content-type-options", b"nosniff") in sent[0]["headers"]

    called = 0
    pulled, sent = run_async(lambda: _run(limits, _scope([(b"content-length", str(10 * MB).encode())]), chunks))
    assert (called, pulled, sent[0]["status"]) == (0, 0, 413)  # Content-Length says it: the app never runs


def test_the_request_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.model_fields["max_request_mb"].default == 32
    monkeypatch.setenv("LABELHUB_MAX_REQUEST_MB", "64")
    assert Settings.from_env().max_request_mb == 64
    monkeypatch.setenv("LABELHUB_MAX_REQUEST_MB", "0")
    with pytest.raises(ConfigurationError, match="LABELHUB_MAX_REQUEST_MB must be at least 1"):
        Settings.from_env()


def test_an_upload_is_refused_before_its_file_is_read_when_the_caller_may_not_import(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    """QA security: FastAPI spools a route's form to disk before its dependencies run, so anyone could send
    LABELHUB_MAX_UPLOAD_MB of file before the 401."""
    from tests.api._support import quick_user

    pid = create_project(client, admin_headers, "texts", item_kind="text")["id"]
    viewer_id, viewer = quick_user(hub, "vic")
    _, outsider = quick_user(hub, "out")
    assert client.put(f"{API}/projects/{pid}/members/{viewer_id}", json={"role": "viewer"},
                      headers=admin_headers).status_code == 200  # fmt: skip
    app = create_app(hub, run_worker=False)
    form = [(b"content-type", b"multipart/form-data; boundary=xyz")]

    def post(headers: dict[str, str], project: object = pid) -> tuple[int, int]:
        scope = {**_scope(form + [(k.lower().encode(), v.encode()) for k, v in headers.items()]),
                 "path": f"{API}/projects/{project}/uploads"}  # fmt: skip
        pulled, sent = run_async(lambda: _run(app, scope, [b"--xyz\r\n" + b"x" * 1000] * 3))  # type: ignore[arg-type]
        return pulled, sent[0]["status"]

    assert post({}) == (0, 401)
    assert post({"Authorization": "Bearer lh_not-a-token"}) == (0, 401)
    assert post(outsider) == (0, 404)
    assert post(viewer) == (0, 403)
    pulled, status = post(admin_headers)
    assert pulled > 0 and status == 400  # a manager's request is read (and this one is no valid form)
    assert post(admin_headers, project="abc")[0] > 0  # no number: the route reads and answers it
