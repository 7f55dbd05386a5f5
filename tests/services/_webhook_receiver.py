"""A real HTTP receiver for webhook tests: a local server in a thread that records each request and answers
with the status the test sets (and, when asked, waits for the test to let it answer); and the webhook tests'
small helpers: a hook on a project, an event in its audit log, a clock the test moves."""

from __future__ import annotations

import hashlib
import hmac
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from labelhub.hub import Hub
from labelhub.services import audit, webhooks
from labelhub.services.access import Actor
from labelhub.services.webhook_urls import HostPolicy

SYSTEM = Actor.system()
LOOPBACK = HostPolicy.parse("loopback")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    url: str
    status: int = 200
    answer: bytes = b"thanks"
    hold: threading.Event | None = None  # set: requests wait until the test sets it
    arrived: threading.Event = field(default_factory=threading.Event)
    requests: list[Received] = field(default_factory=list)

    def events(self) -> list[str]:
        return [r.headers["x-labelhub-event"] for r in self.requests]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """A receiver's check, as docs/teams.md shows it."""
    signed = headers["x-labelhub-timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-labelhub-signature-256"])


@contextmanager
def receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """Serve on 127.0.0.1 (over TLS with ``tls``, a server context) until the block ends."""
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            me = box["r"]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            me.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            me.arrived.set()
            if me.hold is not None:
                me.hold.wait(10)
            self.send_response(me.status)
            self.send_header("Content-Length", str(len(me.answer)))
            self.end_headers()
            self.wfile.write(me.answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    box["r"] = Receiver(url=f"{scheme}://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()


class Clock:
    """A clock for the dispatcher that moves only when the test says."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def add_hook(hub: Hub, pid: int, url: str, events: list[str] | None = None) -> tuple[int, str]:
    """A webhook on project ``pid`` for ``events`` (default every event), loopback allowed; its id and secret."""
    with hub.db.session(write=True) as s:
        view, secret = webhooks.create_hook(s, SYSTEM, pid, url=url, events=events or ["*"], policy=LOOPBACK)
    return view.id, secret


def record_event(hub: Hub, pid: int, action: str, item_id: int = 7, **detail: object) -> None:
    """Record ``action`` on an item of project ``pid`` in the audit log, as a service does."""
    with hub.db.session(write=True) as s:
        audit.record(s, SYSTEM, action, "item", item_id, project_id=pid, detail=dict(detail))
