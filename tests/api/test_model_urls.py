"""Where a remote model's URL may lead (QA security finding 6): link-local (cloud metadata), unspecified and
multicast addresses are refused with 422 on ``url``, at registration and again before each request; loopback
stays allowed; a failed connection gets one message whatever the socket said, so ports cannot be told apart.
Every address here is a literal (no DNS), except ``localhost``; nothing is sent anywhere but 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem
from tests.model_servers import http_contract, serve, text_project

from labelhub.assist.predictors import ItemInput
from labelhub.assist.remote import HttpModel, RemoteConfig
from labelhub.hub import Hub

REFUSED = [
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://169.254.170.2:80", "link-local"),
    ("http://[fe80::1]:9090", "link-local"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://0.0.0.0:9090", "unspecified"),
    ("http://[::]:9090", "unspecified"),
    ("http://224.0.0.1:9090", "multicast"),
    ("http://[ff02::1]:9090", "multicast"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
@pytest.mark.parametrize("kind", ["http", "label_studio_ml"])
def test_metadata_unspecified_and_multicast_urls_are_refused_on_url(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], kind: str, url: str, why: str
) -> None:
    pid, _ = text_project(hub, "urls", ["a"])
    r = client.post(f"{API}/projects/{pid}/models/register", json={"kind": kind, "name": "m", "url": url},
                    headers=admin_headers)  # fmt: skip
    problem = assert_problem(r, 422, field="url")
    assert why in problem["detail"], problem
    assert client.get(f"{API}/projects/{pid}/models", headers=admin_headers).json() == []


def test_a_model_server_on_localhost_is_accepted(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid, _ = text_project(hub, "local", ["a"])
    with serve(http_contract) as srv:
        url = srv.url.replace("127.0.0.1", "localhost")
        r = client.post(f"{API}/projects/{pid}/models/register", json={"kind": "http", "name": "m", "url": url},
                        headers=admin_headers)  # fmt: skip
    assert r.status_code == 201, r.text


@contextmanager
def _closing_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and closes them without a word (an open non-HTTP port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_open_and_a_closed_port_get_the_same_message(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid, _ = text_project(hub, "ports", ["a"])
    details = []
    closed = _free_port()
    with _closing_port() as open_port:
        for port in (closed, open_port):
            body = {"kind": "http", "name": "m", "url": f"http://127.0.0.1:{port}", "timeout": 5}
            r = client.post(f"{API}/projects/{pid}/models/register", json=body, headers=admin_headers)
            details.append(assert_problem(r, 422, field="url")["detail"].replace(str(port), "PORT"))
    assert details[0] == details[1], details
    assert "(no model server answered there: connection failed or closed)" in details[0]
    assert "Errno" not in details[0] and "refused" not in details[0] and "disconnected" not in details[0]


def test_each_request_checks_the_url_again_and_sends_nothing_to_a_refused_one() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"predictions": []})

    model = HttpModel(RemoteConfig(url="http://169.254.169.254", retries=0), transport=httpx.MockTransport(record))
    [pred] = model.predict([ItemInput(item_id=1, kind="text", name="a", text="hello")])
    model.close()
    assert sent == [] and pred.error is not None and "link-local" in pred.error


def test_a_failed_connection_at_predict_time_says_no_more_than_that() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    model = HttpModel(RemoteConfig(url=url, retries=0, timeout=5))
    [pred] = model.predict([ItemInput(item_id=1, kind="text", name="a", text="hello")])
    model.close()
    assert (
        pred.error == f"cannot reach {url}/predict: no model server answered there (connection failed or closed) "
        "(tried 1 time)"
    )
