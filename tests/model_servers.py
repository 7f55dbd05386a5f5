"""Small real HTTP model servers for the assist tests: a Label Studio ML backend look-alike and labelhub's own
remote-model contract, each answering from a function the test gives, in a thread on a free local port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (path, request body) -> (status, answer body, seconds to wait before answering)
Answer = Callable[[str, Any], tuple[int, Any, float]]


class Server:
    """A running server: its base ``url`` and every request it received as ``(path, body)``."""

    def __init__(self, url: str, requests: list[tuple[str, Any]]) -> None:
        self.url = url
        self.requests = requests


@contextmanager
def serve(answer: Answer) -> Iterator[Server]:
    """Run a JSON server answering POSTs with ``answer`` until the block ends."""
    requests: list[tuple[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            requests.append((self.path, body))
            status, out, delay = answer(self.path, body)
            if delay:
                time.sleep(delay)
            data = out.encode() if isinstance(out, str) else json.dumps(out).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", requests)
    finally:
        httpd.shutdown()
        httpd.server_close()


def score_of(text: str) -> float:
    """The score a test item asks for: texts read ``"... p=0.97"``."""
    return float(text.rsplit("p=", 1)[1])


def http_contract(path: str, body: Any) -> tuple[int, Any, float]:
    """labelhub's contract: class ``pos`` with the score in the item's text, ``neg`` with the rest."""
    if path != "/predict":
        return 404, {"error": "unknown path"}, 0.0
    preds = []
    for it in body["items"]:
        if "fail" in it.get("text", ""):
            preds.append({"item_id": it["id"], "error": "this item makes the model fail"})
            continue
        p = score_of(it["text"])
        label = "pos" if p >= 0.5 else "neg"
        preds.append({"item_id": it["id"], "proposals": [{"kind": "class", "label": label, "score": max(p, 1 - p)}],
                      "probs": [p, 1 - p]})  # fmt: skip
    return 200, {"classes": ["pos", "neg"], "predictions": preds}, 0.0


def text_project(
    hub: Any, name: str, texts: list[str], classes: tuple[str, ...] = ("pos", "neg")
) -> tuple[int, list[int]]:
    """Create a text project with ``classes`` and one item per text; return its id and the item ids."""
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.services.access import Actor
    from labelhub.services.projects import create_project
    from labelhub.storage.models import Item

    with hub.db.session(write=True) as s:
        pid = create_project(s, Actor.system(), name, item_kind=ItemKind.TEXT,
                             schema=LabelSchema.from_names(classes)).id  # fmt: skip
        rows = [Item(project_id=pid, kind="text", name=f"t{i:03d}", text=t) for i, t in enumerate(texts)]
        s.add_all(rows)
        s.flush()
        return pid, [r.id for r in rows]


def register_http(hub: Any, project_id: int, url: str, name: str = "remote", **params: Any) -> int:
    """Register a server of labelhub's contract as the project's model; return the version's id."""
    from labelhub.services.access import Actor
    from labelhub.services.model_registration import register_model

    with hub.db.session(write=True) as s:
        return register_model(s, Actor.system(), project_id, {"kind": "http", "name": name, "url": url, **params},
                              roots=[]).id  # fmt: skip
