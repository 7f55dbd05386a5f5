"""``serve --forwarded-allow-ips``: behind a reverse proxy on another host, the client's address comes from the
proxy's ``X-Forwarded-For``, so the login throttle and the audit log see each client, not the proxy."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import orjson
import pytest
import uvicorn
from sqlalchemy import select
from tests.cli._serve import free_port, start_serve, stop
from tests.cli._support import Env, ok

from labelhub.cli.serve import uvicorn_options
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.storage.models import AuditEvent


def _config(forwarded_allow_ips: str | None) -> uvicorn.Config:
    """uvicorn's Config as ``serve`` builds it (one process or several: both pass the same options)."""
    return uvicorn.Config("labelhub.api.app:app_from_env", factory=True,
                          **uvicorn_options("127.0.0.1", 8080, False, forwarded_allow_ips))  # fmt: skip


def test_the_option_reaches_uvicorn_and_without_it_uvicorn_keeps_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert _config("10.0.0.5,10.0.1.0/24").forwarded_allow_ips == "10.0.0.5,10.0.1.0/24"
    assert _config(None).forwarded_allow_ips == "127.0.0.1,::1"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.9")
    assert _config(None).forwarded_allow_ips == "10.0.0.9"
    assert _config("*").forwarded_allow_ips == "*"  # the option wins over the environment
    assert _config("*").proxy_headers is True


def test_the_help_says_what_it_is_and_what_star_risks(cli_env: Env) -> None:
    out = " ".join(ok(cli_env, "serve", "--help").output.split())
    assert "--forwarded-allow-ips" in out
    assert "'*' trusts every client and lets anyone forge their address" in out.replace("│ ", "")


def _fail_login(port: int, forwarded_for: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = orjson.dumps({"username": "nobody", "password": "wrong password"})
    conn.request("POST", "/api/v1/auth/login", body=body,
                 headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for})  # fmt: skip
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_real_server_audits_the_forwarded_client_of_a_throttled_login(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    # The environment alone would not trust this machine (the test's "proxy"): the option must win over it.
    proc = start_serve(home, port, tmp_path / "serve.log", "--no-worker", "--forwarded-allow-ips", "127.0.0.1",
                       env={"FORWARDED_ALLOW_IPS": "10.9.9.9"})  # fmt: skip
    try:
        statuses = [_fail_login(port, "203.0.113.7") for _ in range(11)]
        # A connection left idle longer than httpx keeps one (5 s, uvicorn's old default) is still open: a
        # client that reuses it gets an answer, not "connection reset".
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/v1/health")
        first = conn.getresponse()
        first.read()
        time.sleep(6)
        conn.request("GET", "/api/v1/health")
        again = conn.getresponse().status
        conn.close()
    finally:
        stop(proc)
    assert statuses == [401] * 10 + [429], statuses
    assert (first.status, again) == (200, 200)
    hub = Hub.open(Settings(home=home, dev=True), migrate=False)
    try:
        with hub.db.session() as s:
            events = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.throttled")).all()
    finally:
        hub.close()
    assert [(e.detail["client"], e.detail["by"]) for e in events] == [("203.0.113.7", "user_address")], [
        e.detail for e in events
    ]
