"""bench_teams' steps against the real server: the live event stream (SSE) and webhook deliveries, measured from
the same annotation saves, then a burst of 2,000 events through one webhook. See bench_teams.py."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from _util import free_port, log, summarize_ms

API = "/api/v1"


class Received:
    """What a consumer got: (arrival time, the event body) in arrival order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, dict[str, Any]]] = []

    def add(self, body: dict[str, Any]) -> None:
        with self.lock:
            self.events.append((time.perf_counter(), body))

    def find(self, item_id: int, version: int) -> float | None:
        """When the annotation save of ``item_id`` that made ``version`` arrived (None: not yet)."""
        with self.lock:
            for at, e in self.events:
                d = e.get("detail") or {}
                if (
                    e["action"].startswith("annotations.")
                    and e["object_id"] == str(item_id)
                    and d.get("version") == version
                ):
                    return at
        return None


def start_receiver() -> tuple[ThreadingHTTPServer, Received]:
    """A webhook receiver on a free port (a thread of this process) that answers 200 to every POST."""
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if self.headers.get("X-Labelhub-Event") != "ping":
                got.add(body["data"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, name="receiver", daemon=True).start()
    return server, got


class SseReader:
    """One open ``GET /projects/{pid}/events`` (httpx, bearer token) in a thread, collecting its messages."""

    def __init__(self, base: str, token: str, project_id: int) -> None:
        import httpx

        self.got = Received()
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                   timeout=httpx.Timeout(10.0, read=None))  # fmt: skip
        self.path = f"{API}/projects/{project_id}/events"
        self.thread = threading.Thread(target=self._run, name="sse", daemon=True)
        self.thread.start()
        if not self.ready.wait(15):
            raise RuntimeError("the event stream did not open within 15 s")

    def _run(self) -> None:
        with self.client.stream("GET", self.path, headers={"Accept": "text/event-stream"}) as resp:
            if resp.status_code != 200:
                raise RuntimeError(f"GET {self.path} answered {resp.status_code}")
            data: list[str] = []
            for line in resp.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("retry:"):
                    self.ready.set()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    self.got.add(orjson.loads("\n".join(data)))
                    data = []

    def close(self) -> None:
        self.stop.set()
        self.client.close()


def _boxes(n: int) -> list[dict[str, Any]]:
    return [{"kind": "box", "label": "class_0", "geometry": {"bbox": [10.0 + 20 * k, 10.0, 25.0 + 20 * k, 40.0]}}
            for k in range(n)]  # fmt: skip


def bench_saves(server: Any, token: str, project_id: int, item_ids: list[int], saves: int, gap_s: float
                ) -> dict[str, Any]:  # fmt: skip
    """Add a webhook on ``*`` to a receiver, open the event stream, then save ``saves`` items (GET the version,
    PUT 1-3 boxes) ``gap_s`` apart; per save, the time from the PUT's answer to the SSE message and to the
    webhook delivery of that save."""
    import httpx

    receiver, hooked = start_receiver()
    http = httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    r = http.post(f"{API}/projects/{project_id}/webhooks",
                  json={"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook", "events": ["*"]})  # fmt: skip
    if r.status_code != 201:
        raise RuntimeError(f"adding the webhook answered {r.status_code}: {r.text}")
    sse = SseReader(server.base, token, project_id)
    done: list[tuple[int, int, float]] = []  # (item, new version, time of the PUT's answer)
    try:
        for k in range(saves):
            slot = time.perf_counter() + gap_s
            iid = item_ids[k % len(item_ids)]
            url = f"{API}/projects/{project_id}/items/{iid}/annotations"
            version = http.get(url).json()["version"]
            r = http.put(url, json={"version": version, "annotations": _boxes(1 + k % 3)})
            t_answer = time.perf_counter()
            if r.status_code != 200:
                raise RuntimeError(f"PUT {url} answered {r.status_code}: {r.text}")
            done.append((iid, r.json()["version"], t_answer))
            time.sleep(max(0.0, slot - time.perf_counter()))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if all(c.find(i, v) is not None for i, v, _ in done for c in (sse.got, hooked)):
                break
            time.sleep(0.05)
    finally:
        sse.close()
    out: dict[str, Any] = {"saves": saves, "gap_s": gap_s}
    for name, got in (("sse", sse.got), ("webhook", hooked)):
        lat = [at - t for i, v, t in done if (at := got.find(i, v)) is not None]
        out[name] = {**summarize_ms(lat), "missing": len(done) - len(lat)}
        log(f"{name}: latency after the PUT's answer {out[name]}")
    http.close()
    out["_receiver"] = (receiver, hooked)
    return out


def bench_hook_burst(hub: Any, project_id: int, user: tuple[int, str], receiver: Any, hooked: Received, n: int,
                     timeout_s: float = 300.0) -> dict[str, Any]:  # fmt: skip
    """Insert ``n`` audit events of the project in one transaction and time until the receiver has them all;
    check that they came in order, none missing, none twice."""
    from sqlalchemy import insert

    from labelhub.storage.models import AuditEvent

    now = datetime.now(UTC)
    rows = [{"at": now, "user_id": user[0], "project_id": project_id, "action": "annotations.replace",
             "object_type": "item", "object_id": str(1_000_000 + k),
             "detail": {"actor": user[1], "version": 2, "status": "labeled", "count": 3, "bench_seq": k}}
            for k in range(n)]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(AuditEvent), rows)
    t0 = time.perf_counter()

    def burst() -> list[tuple[float, int]]:
        with hooked.lock:
            return [(at, e["detail"]["bench_seq"]) for at, e in hooked.events if "bench_seq" in (e["detail"] or {})]

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(burst()) < n:
        time.sleep(0.02)
    got = burst()
    seqs = [q for _, q in got]
    seconds = (got[-1][0] - t0) if got else float("nan")
    out = {"events": n, "received": len(seqs), "seconds": round(seconds, 3),
           "events_per_s": round(len(seqs) / seconds) if got else 0, "in_order": seqs == sorted(seqs),
           "missing": len(set(range(n)) - set(seqs)), "repeated": len(seqs) - len(set(seqs))}  # fmt: skip
    log(f"webhook burst: {out}")
    receiver.shutdown()
    return out
