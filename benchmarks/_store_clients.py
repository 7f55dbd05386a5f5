"""bench_store's HTTP side: keep-alive JSON clients (``http.client`` or httpx), the timed listing, and the
concurrent save clients (threads or processes) with the server's CPU per request. See bench_store.py."""

from __future__ import annotations

import http.client
import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from _util import (
    CpuMeter,
    summarize_ms,
)

API = "/api/v1"
MAX_CLIENT_ERRORS = 50  # a save client gives up after this many failed requests (they are reported)

ClientMode = Literal["thread", "process"]
ClientLib = Literal["stdlib", "httpx"]
SaveMode = Literal["open+save", "autosave"]


# --- HTTP clients -----------------------------------------------------------------------------------------
class JsonClient(Protocol):
    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]: ...
    def close(self) -> None: ...


class StdlibClient:
    """One keep-alive HTTP/1.1 connection (http.client): the least client-side CPU per request."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}  # fmt: skip
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = orjson.dumps(body) if body is not None else None
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                return resp.status, orjson.loads(raw) if raw else None
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


class HttpxClient:
    """An ``httpx.Client`` (keep-alive pool), for comparison with the stdlib client."""

    def __init__(self, port: int, token: str) -> None:
        import httpx

        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = orjson.dumps(body) if body is not None else None
        resp = self.client.request(method, path, content=data,
                                   headers={"Content-Type": "application/json"} if data else None)  # fmt: skip
        return resp.status_code, orjson.loads(resp.content) if resp.content else None

    def close(self) -> None:
        self.client.close()


def make_client(lib: ClientLib, port: int, token: str) -> JsonClient:
    return HttpxClient(port, token) if lib == "httpx" else StdlibClient(port, token)


# --- 5. listing -------------------------------------------------------------------------------------------
def time_listing(client: JsonClient, path: str, tries: int, warmup: int = 2) -> tuple[list[float], int]:
    """Return the durations of ``tries`` GETs of ``path`` (after ``warmup`` untimed ones) and the page size."""
    size = 0
    for _ in range(warmup):
        status, body = client.call("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body}")
        size = len(body["items"])
    samples: list[float] = []
    for _ in range(tries):
        t0 = time.perf_counter()
        status, body = client.call("GET", path)
        samples.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body}")
    return samples, size


# --- 6. saves ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class SaveJob:
    port: int
    token: str
    project_id: int
    items: list[int]
    labels: list[str]
    mode: SaveMode
    lib: ClientLib
    start_at: float  # wall-clock time (time.time) at which every client starts
    seconds: float
    max_saves: int  # 0: until ``seconds`` have passed


@dataclass(slots=True)
class SaveResult:
    saves: int = 0
    conflicts: int = 0
    errors: int = 0
    put_s: list[float] = field(default_factory=list)
    get_s: list[float] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0
    first_error: str = ""


def _boxes(item_id: int, n: int, labels: Sequence[str]) -> list[dict[str, Any]]:
    # Inside the smallest generated image (320x240), so every box is valid on every item.
    off = float(item_id % 50)
    return [{"kind": "box", "label": labels[(item_id + k) % len(labels)],
             "geometry": {"bbox": [off + 40.0 * k, 10.0 + off, off + 40.0 * k + 30.0, 60.0 + off]}}
            for k in range(n)]  # fmt: skip


def run_save_client(job: SaveJob) -> SaveResult:
    """One annotator: save its own items until time is up (or ``max_saves``); see the module docstring."""
    client = make_client(job.lib, job.port, job.token)
    res = SaveResult()
    versions: dict[int, int] = {}
    base = f"{API}/projects/{job.project_id}/items"
    delay = job.start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    res.began = time.time()
    stop_at = res.began + job.seconds
    n = 0
    try:
        while res.errors < MAX_CLIENT_ERRORS and (
            (job.max_saves and res.saves < job.max_saves) or (not job.max_saves and time.time() < stop_at)
        ):
            item_id = job.items[n % len(job.items)]
            n += 1
            if job.mode == "open+save" or item_id not in versions:
                t0 = time.perf_counter()
                status, body = client.call("GET", f"{base}/{item_id}/annotations")
                res.get_s.append(time.perf_counter() - t0)
                if status != 200:
                    res.errors += 1
                    res.first_error = res.first_error or f"GET {status}: {body}"
                    continue
                versions[item_id] = body["version"]
            for _attempt in range(5):
                payload = {"version": versions[item_id], "annotations": _boxes(item_id + n, 3, job.labels)}
                t0 = time.perf_counter()
                status, body = client.call("PUT", f"{base}/{item_id}/annotations", payload)
                res.put_s.append(time.perf_counter() - t0)
                if status == 200:
                    versions[item_id] = body["version"]
                    res.saves += 1
                    break
                if status == 409:
                    res.conflicts += 1
                    status, body = client.call("GET", f"{base}/{item_id}/annotations")
                    if status == 200:
                        versions[item_id] = body["version"]
                        continue
                res.errors += 1
                res.first_error = res.first_error or f"PUT {status}: {body}"
                break
    finally:
        res.ended = time.time()
        client.close()
    return res


def _process_entry(job: SaveJob, out: mp.Queue[SaveResult]) -> None:
    out.put(run_save_client(job))


def run_saves(jobs: list[SaveJob], mode: ClientMode, server_pid: int) -> dict[str, Any]:
    """Run the clients (threads in this process, or one process each) and merge their results."""
    with CpuMeter(server_pid) as cpu:
        results = _run_clients(jobs, mode)
    saves = sum(r.saves for r in results)
    puts = [s for r in results for s in r.put_s]
    gets = [s for r in results for s in r.get_s]
    wall = max(r.ended for r in results) - min(r.began for r in results)
    requests = len(puts) + len(gets)
    return {
        "clients": len(jobs), "client_mode": mode, "save_mode": jobs[0].mode, "wall_s": round(wall, 3),
        "saves": saves, "saves_per_s": round(saves / wall, 1) if wall > 0 else 0.0,
        "requests_per_s": round(requests / wall, 1) if wall > 0 else 0.0,
        "conflicts": sum(r.conflicts for r in results), "errors": sum(r.errors for r in results),
        "first_error": next((r.first_error for r in results if r.first_error), ""),
        "put": summarize_ms(puts), "get": summarize_ms(gets), "cpu": cpu.result,
        "server_cpu_ms_per_request": round(1000 * cpu.result["server_cpu_s"] / requests, 3) if requests else None,
    }  # fmt: skip


def _run_clients(jobs: list[SaveJob], mode: ClientMode) -> list[SaveResult]:
    results: list[SaveResult] = []
    if mode == "thread":
        lock = threading.Lock()

        def target(job: SaveJob) -> None:
            r = run_save_client(job)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=target, args=(j,)) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        ctx = mp.get_context("spawn")
        out: mp.Queue[SaveResult] = ctx.Queue()
        procs = [ctx.Process(target=_process_entry, args=(j, out)) for j in jobs]
        for p in procs:
            p.start()
        deadline = time.monotonic() + max(j.seconds for j in jobs) + 300
        while len(results) < len(procs):
            try:
                results.append(out.get(timeout=max(1.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
        if len(results) < len(procs):
            raise RuntimeError(f"only {len(results)} of {len(procs)} save clients reported")
    return results
