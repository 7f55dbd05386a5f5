"""Store benchmark: COCO import, item listing over HTTP, concurrent annotation saves, COCO export, memory.

    python benchmarks/bench_store.py --db sqlite|postgres [--items 100000 --boxes-per-item 3] [--json OUT]

Steps (every figure is printed next to its ROADMAP target, with PASS/MISS):

1. Generate a synthetic COCO file (metadata only: width/height, no pixels) with ``items`` images and
   ``items * boxes_per_item`` boxes over 80 categories; boxes go to images uniformly at random, so the
   count per image varies (mean ``boxes_per_item``). Deterministic for a given ``--seed``. The file is
   generated in a child process so that this process' peak memory is the import's.
2. Create a fresh database (SQLite file in the work dir, or PostgreSQL database ``labelhub_bench`` dropped
   and created), open the hub, create an admin user, an API token and a project.
3. Import the file with ``import_source(..., ImportOptions(media="none"))``.
4. Start the real server (``labelhub serve --no-worker``) in a subprocess, so that the clients do not share
   its GIL, and wait for /api/v1/health.
5. List items over HTTP: the first page and a deep page (``after`` = the id of item 90,000), 2 warm-ups and
   20 timed requests each; a filtered listing (``label=``) for information.
6. Save annotations (PUT .../annotations with 3 boxes) from 1 and from 8 concurrent clients, each on its own
   items. ``open+save`` (the target figure): per item read its version (GET .../annotations), then PUT;
   on 409 read again. ``autosave`` (information): PUT the same few items again and again with the version
   the previous PUT returned, so every request is a save. The clients are threads of this process, each
   with one keep-alive ``http.client`` connection: they need ~0.3 ms of CPU per request, against ~0.9 ms
   for ``httpx.Client``, and one process per client was no faster (``--client-mode``, ``--client-lib``).
   The server's CPU time per request (from /proc) is reported with each run.
7. Stop the server (reading its peak RSS first) and export the project to COCO with ``export_project``;
   check that the file holds exactly the project's accepted boxes.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import queue
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

import orjson

from _util import (
    CpuMeter,
    Table,
    free_port,
    log,
    machine_info,
    machine_load,
    proc_peak_rss_mb,
    proc_rss_mb,
    report,
    self_peak_rss_mb,
    stopwatch,
    summarize_ms,
)

API = "/api/v1"
N_CATEGORIES = 80
PG_SERVER_DEFAULT = "postgresql://postgres@127.0.0.1:5432"
PG_BENCH_DB = "labelhub_bench"
DEEP_POSITION = 90_000  # the item whose id is the deep page's ``after`` (1-based position in the import)
IMAGE_SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080), (320, 240))
MAX_CLIENT_ERRORS = 50  # a save client gives up after this many failed requests (they are reported)

# The ROADMAP targets this benchmark checks.
TARGET_IMPORT_S = 10.0
TARGET_PAGE_MS = 20.0
TARGET_SAVES_PER_S = 300.0
TARGET_EXPORT_S = 10.0

ClientMode = Literal["thread", "process"]
ClientLib = Literal["stdlib", "httpx"]
SaveMode = Literal["open+save", "autosave"]


# --- 1. synthetic COCO -------------------------------------------------------------------------------------
def generate_coco(path: str, n_items: int, boxes_per_item: int, seed: int) -> dict[str, int]:
    """Write a COCO detection file with metadata-only images; return its counts.

    Runs in a child process (see ``_generate_in_child``), so its Python objects never count towards the
    benchmark process' peak memory.
    """
    rng = random.Random(seed)
    dims = [IMAGE_SIZES[rng.randrange(len(IMAGE_SIZES))] for _ in range(n_items)]
    images = [{"id": i + 1, "file_name": f"images/{i + 1:07d}.jpg", "width": w, "height": h}
              for i, (w, h) in enumerate(dims)]  # fmt: skip
    categories = [{"id": c + 1, "name": f"class_{c:02d}", "supercategory": f"group_{c // 10}"}
                  for c in range(N_CATEGORIES)]  # fmt: skip
    annotations: list[dict[str, Any]] = []
    for a in range(n_items * boxes_per_item):
        img = rng.randrange(n_items)
        w, h = dims[img]
        bw, bh = rng.uniform(4.0, w / 2), rng.uniform(4.0, h / 2)
        x, y = rng.uniform(0.0, w - bw), rng.uniform(0.0, h - bh)
        bbox = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
        annotations.append({"id": a + 1, "image_id": img + 1, "category_id": rng.randrange(N_CATEGORIES) + 1,
                            "bbox": bbox, "area": round(bbox[2] * bbox[3], 2), "iscrowd": 0})  # fmt: skip
    doc = {"info": {"description": f"labelhub bench, seed {seed}"}, "licenses": [], "images": images,
           "annotations": annotations, "categories": categories}  # fmt: skip
    Path(path).write_bytes(orjson.dumps(doc))
    return {"images": len(images), "annotations": len(annotations), "categories": len(categories),
            "bytes": Path(path).stat().st_size}  # fmt: skip


def _generate_in_child(path: Path, n_items: int, boxes_per_item: int, seed: int) -> dict[str, int]:
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(generate_coco, str(path), n_items, boxes_per_item, seed).result()


# --- 2. database ------------------------------------------------------------------------------------------
def fresh_database(kind: str, work: Path, pg_server: str) -> str:
    """Return the SQLAlchemy URL of a new, empty database of ``kind``."""
    if kind == "sqlite":
        return f"sqlite:///{work / 'labelhub.db'}"
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_BENCH_DB}"')
    return f"{pg_server.replace('postgresql://', 'postgresql+psycopg://')}/{PG_BENCH_DB}"


def drop_database(pg_server: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')


# --- 4. the server ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def server_env(home: Path, db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"LABELHUB_HOME": str(home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1"})
    return env


def start_server(
    home: Path, db_url: str, log: Path, timeout: float = 60.0, workers: int = 1, *, job_worker: bool = False
) -> Server:
    """Run ``labelhub serve --workers N`` (``--no-worker`` unless ``job_worker``) on a free port and wait until
    /api/v1/health answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "labelhub", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--worker" if job_worker else "--no-worker", "--workers", str(workers)]  # fmt: skip
    # For profiling: e.g. LABELHUB_BENCH_SERVER_PREFIX="py-spy record -f raw -o /tmp/server.txt --"
    cmd = shlex.split(os.environ.get("LABELHUB_BENCH_SERVER_PREFIX", "")) + cmd
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, env=server_env(home, db_url), stdout=fh, stderr=subprocess.STDOUT,
                                cwd=home)  # fmt: skip
    server = Server(proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"{API}/health")
            if conn.getresponse().status == 200:
                conn.close()
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


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


# --- the benchmark ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class Setup:
    hub: Any
    actor: Any
    project_id: int
    token: str


def setup_hub(home: Path, db_url: str) -> Setup:
    from labelhub.config import Settings
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.hub import Hub
    from labelhub.services.access import Actor
    from labelhub.services.projects import create_project
    from labelhub.services.users import actor_for, create_user, issue_token

    hub = Hub.open(Settings(home=home, database_url=db_url, dev=True))
    with hub.db.session(write=True) as s:
        user = create_user(s, Actor.system(), "bench-admin", "bench-admin-password", is_admin=True)
        token = issue_token(s, user, "bench").token
        actor = actor_for(user)
        project = create_project(s, actor, "bench", item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names([]))
        pid = project.id
    return Setup(hub=hub, actor=actor, project_id=pid, token=token)


def item_ids(hub: Any, project_id: int) -> list[int]:
    from sqlalchemy import select

    from labelhub.storage.models import Item

    with hub.db.session() as s:
        return list(s.scalars(select(Item.id).where(Item.project_id == project_id).order_by(Item.id)))


def accepted_boxes(hub: Any, project_id: int) -> int:
    from sqlalchemy import func, select

    from labelhub.storage.models import Annotation

    with hub.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Annotation).where(
            Annotation.project_id == project_id, Annotation.state == "accepted",
            Annotation.kind == "box")) or 0)  # fmt: skip


def code_version() -> dict[str, Any]:
    """The labelhub that was measured: its path, and the git commit and changed files when in a checkout."""
    import labelhub

    src = Path(labelhub.__file__).resolve().parent
    info: dict[str, Any] = {"labelhub": str(src)}
    try:
        git = ["git", "-C", str(src)]
        info["commit"] = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                                        check=True, timeout=10).stdout.strip()  # fmt: skip
        changed = subprocess.run([*git, "status", "--porcelain", "--", "."], capture_output=True, text=True,
                                 check=True, timeout=10).stdout.splitlines()  # fmt: skip
        info["uncommitted"] = [line[3:] for line in changed]
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from labelhub.formats import ImportOptions
    from labelhub.services.exports import export_project
    from labelhub.services.imports import import_source

    out: dict[str, Any] = {"machine": machine_info(), "config": {k: v for k, v in vars(args).items() if k != "json"}}
    out["load"] = {"start": machine_load()}
    out["code"] = code_version()
    coco = work / "annotations" / "instances_bench.json"
    coco.parent.mkdir(parents=True)
    log(f"generating {args.items:,} images and {args.items * args.boxes_per_item:,} boxes (seed {args.seed})")
    with stopwatch() as t:
        out["dataset"] = _generate_in_child(coco, args.items, args.boxes_per_item, args.seed)
    out["dataset"]["generate_s"] = round(t[0], 2)

    db_url = fresh_database(args.db, work, args.pg_server)
    home = work / "home"
    st = setup_hub(home, db_url)
    hub, pid = st.hub, st.project_id
    out["database"] = hub.db.dialect
    try:
        # 3. import
        phases: dict[str, float] = {}
        t_start = time.perf_counter()

        def progress(frac: float, _msg: str) -> None:
            if frac >= 0.8 and "staged_s" not in phases:
                phases["staged_s"] = time.perf_counter() - t_start

        rss_before = self_peak_rss_mb()
        log("importing")
        with stopwatch() as t:
            report = import_source(hub, st.actor, pid, coco, fmt="coco", options=ImportOptions(media="none"),
                                   progress=progress)  # fmt: skip
        staged = phases.get("staged_s", float("nan"))
        out["import"] = {
            "seconds": round(t[0], 3), "read_validate_s": round(staged, 3), "write_s": round(t[0] - staged, 3),
            "items": report.items_added, "boxes": report.annotations_added,
            "items_per_s": round(report.items_added / t[0]), "boxes_per_s": round(report.annotations_added / t[0]),
            "peak_rss_mb_before": round(rss_before, 1), "peak_rss_mb_after": round(self_peak_rss_mb(), 1),
        }  # fmt: skip
        log(f"import: {out['import']}")
        ids = item_ids(hub, pid)
        if len(ids) != args.items or report.annotations_added != args.items * args.boxes_per_item:
            raise RuntimeError(f"import wrote {len(ids)} items / {report.annotations_added} boxes")
        labels = [f"class_{c:02d}" for c in range(N_CATEGORIES)]

        # 4. server
        log("starting the server")
        server = start_server(home, db_url, work / "server.log", workers=args.server_workers)
        out["server"] = {"pid": server.proc.pid, "rss_mb_start": proc_rss_mb(server.proc.pid)}
        try:
            client = make_client(args.client_lib, server.port, st.token)
            # 5. listing
            base = f"{API}/projects/{pid}/items"
            deep_position = max(1, min(DEEP_POSITION, len(ids) - 100))
            deep_after = ids[deep_position - 1]
            label = labels[7]
            listing: dict[str, Any] = {"deep_position": deep_position, "deep_after": deep_after}
            cases = {
                "first": f"{base}?limit=100",
                "deep": f"{base}?{urlencode({'limit': 100, 'after': deep_after})}",
                "label_first": f"{base}?{urlencode({'limit': 100, 'label': label})}",
                "label_deep": f"{base}?{urlencode({'limit': 100, 'label': label, 'after': deep_after})}",
            }
            for name, path in cases.items():
                samples, size = time_listing(client, path, args.tries)
                listing[name] = {**summarize_ms(samples), "page_size": size, "path": path}
                log(f"listing {name}: {listing[name]}")
            client.close()
            out["listing"] = listing

            # 6. saves: each run gets fresh items, each client its own share of them
            out["saves"] = []
            pool_start = 10_000 if len(ids) > 60_000 else 0
            per_run = max(1, (len(ids) - pool_start) // 4)
            runs: list[tuple[SaveMode, int]] = [("open+save", 1), ("open+save", args.clients),
                                                ("autosave", 1), ("autosave", args.clients)]  # fmt: skip
            for k, (save_mode, n_clients) in enumerate(runs):
                pool = ids[pool_start + k * per_run : pool_start + (k + 1) * per_run]
                shares = [pool[c::n_clients] for c in range(n_clients)]
                if save_mode == "autosave":
                    shares = [s[: args.autosave_items] for s in shares]
                start_at = time.time() + (3.0 if args.client_mode == "process" else 0.2)
                jobs = [SaveJob(port=server.port, token=st.token, project_id=pid, items=share, labels=labels,
                                mode=save_mode, lib=args.client_lib, start_at=start_at, seconds=args.save_seconds,
                                max_saves=args.saves_per_client) for share in shares]  # fmt: skip
                log(f"saves: {save_mode}, {n_clients} client(s), {args.client_mode}s")
                res = run_saves(jobs, args.client_mode, server.proc.pid)
                res["load_after"] = machine_load()
                log(f"  -> {res['saves_per_s']} saves/s, put p50 {res['put']['p50_ms']} ms, "
                    f"p95 {res['put']['p95_ms']} ms, conflicts {res['conflicts']}, errors {res['errors']}, "
                    f"cpu {res['cpu']}, server {res['server_cpu_ms_per_request']} ms/request")  # fmt: skip
                out["saves"].append(res)
            out["server"]["rss_mb_end"] = proc_rss_mb(server.proc.pid)
            out["server"]["peak_rss_mb"] = proc_peak_rss_mb(server.proc.pid)
        finally:
            server.stop()

        # 7. export
        dest = work / "export" / "bench.json"
        dest.parent.mkdir()
        log("exporting")
        with stopwatch() as t:
            rep = export_project(hub, st.actor, pid, dest, fmt="coco")
        expected = accepted_boxes(hub, pid)
        exported = orjson.loads(dest.read_bytes())
        n_img, n_ann = len(exported["images"]), len(exported["annotations"])
        del exported
        out["export"] = {"seconds": round(t[0], 3), "items": rep.items, "boxes": rep.annotations,
                         "file_images": n_img, "file_boxes": n_ann, "expected_boxes": expected,
                         "boxes_per_s": round(n_ann / t[0]), "bytes": dest.stat().st_size,
                         "complete": n_img == args.items and n_ann == expected}  # fmt: skip
        log(f"export: {out['export']}")
        out["bench_peak_rss_mb"] = round(self_peak_rss_mb(), 1)
        out["load"]["end"] = machine_load()
    finally:
        hub.close()
        if args.db == "postgres" and not args.keep:
            drop_database(args.pg_server)
    return out


def verdicts(out: dict[str, Any]) -> Table:
    """The results table, with the ROADMAP targets and PASS/MISS where a target applies."""
    db = out["database"]
    imp, lst, exp = out["import"], out["listing"], out["export"]
    cfg = out["config"]
    m = out["machine"]
    table = Table(f"labelhub store benchmark: {db}, {imp['items']:,} items, {imp['boxes']:,} boxes, "
                  f"{m['cpus']} CPUs ({m['cpu_model']}), {m['date']}")  # fmt: skip
    table.add("import COCO", f"{imp['seconds']:.2f} s", f"< {TARGET_IMPORT_S:.0f} s", imp["seconds"] < TARGET_IMPORT_S)
    table.add("  read+validate / write", f"{imp['read_validate_s']:.2f} / {imp['write_s']:.2f} s")
    table.add("  items/s, boxes/s", f"{imp['items_per_s']:,} / {imp['boxes_per_s']:,}")
    table.add("  peak RSS after import", f"{imp['peak_rss_mb_after']:.0f} MiB", "< 2 GiB at 1M boxes")
    deep = f"page of 100, after item {lst['deep_position']:,}"
    for name, what in (("first", "page of 100, first"), ("deep", deep)):
        r = lst[name]
        table.add(f"{what} p50", f"{r['p50_ms']:.1f} ms")
        table.add(f"{what} p95", f"{r['p95_ms']:.1f} ms", f"< {TARGET_PAGE_MS:.0f} ms", r["p95_ms"] < TARGET_PAGE_MS)
    table.add("page, label filter, first p50", f"{lst['label_first']['p50_ms']:.1f} ms")
    table.add("page, label filter, deep p50", f"{lst['label_deep']['p50_ms']:.1f} ms")
    for r in out["saves"]:
        what = f"saves, {r['save_mode']}, {r['clients']} client{'s' if r['clients'] > 1 else ''}"
        target, ok = "", None
        if r["save_mode"] == "open+save" and r["clients"] == cfg["clients"] == 8:
            target = f">= {TARGET_SAVES_PER_S:.0f}/s" + (" (more than SQLite)" if db == "postgresql" else "")
            ok = r["saves_per_s"] >= TARGET_SAVES_PER_S
        table.add(what, f"{r['saves_per_s']:.0f}/s", target, ok)
        table.add("  PUT p50 / p95", f"{r['put']['p50_ms']:.1f} / {r['put']['p95_ms']:.1f} ms")
        cpu = r["cpu"]
        table.add("  server CPU per request, cores used",
                  f"{r['server_cpu_ms_per_request']:.2f} ms, {cpu['server_cores']:.2f}")  # fmt: skip
        if r["conflicts"] or r["errors"]:
            table.add("  conflicts / errors", f"{r['conflicts']} / {r['errors']}", "0 errors", r["errors"] == 0)
    table.add("export COCO", f"{exp['seconds']:.2f} s", f"< {TARGET_EXPORT_S:.0f} s", exp["seconds"] < TARGET_EXPORT_S)
    table.add("  boxes in file / expected", f"{exp['file_boxes']:,} / {exp['expected_boxes']:,}", "equal",
              exp["complete"])  # fmt: skip
    table.add("peak RSS, benchmark process", f"{out['bench_peak_rss_mb']:.0f} MiB")
    peak = out["server"].get("peak_rss_mb")
    table.add("peak RSS, server process", f"{peak:.0f} MiB" if peak is not None else "n/a")
    table.add_load(out)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the backend to measure")
    p.add_argument("--items", type=int, default=100_000, help="images in the generated COCO file")
    p.add_argument("--boxes-per-item", type=int, default=3, help="boxes per image, on average")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--tries", type=int, default=20, help="timed requests per listing case")
    p.add_argument("--server-workers", type=int, default=1, help="server processes (labelhub serve --workers)")
    p.add_argument("--clients", type=int, default=8, help="concurrent save clients (the target uses 8)")
    p.add_argument("--save-seconds", type=float, default=10.0, help="length of each save run")
    p.add_argument("--saves-per-client", type=int, default=0, help="stop each client after N saves instead")
    p.add_argument("--autosave-items", type=int, default=20, help="items each autosave client cycles over")
    p.add_argument("--client-mode", choices=("thread", "process"), default="thread",
                   help="save clients as threads of this process or one process each")  # fmt: skip
    p.add_argument("--client-lib", choices=("stdlib", "httpx"), default="stdlib",
                   help="http.client keep-alive connections, or httpx.Client")  # fmt: skip
    p.add_argument("--pg-server", default=os.environ.get("LABELHUB_BENCH_PG", PG_SERVER_DEFAULT),
                   help="PostgreSQL server URL without a database name (default: $LABELHUB_BENCH_PG, or "
                        f"{PG_SERVER_DEFAULT})")  # fmt: skip
    p.add_argument("--workdir", type=Path, help="keep the data here instead of a temporary folder")
    p.add_argument("--keep", action="store_true", help="keep the work folder and the PostgreSQL database")
    p.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when a target is missed")
    args = p.parse_args(argv)
    if args.items < DEEP_POSITION + 100:
        log(f"note: fewer than {DEEP_POSITION + 100:,} items; the deep page starts 100 items before the end")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        out = run(args, args.workdir)
    elif args.keep:
        out = run(args, Path(tempfile.mkdtemp(prefix="labelhub-bench-")))
    else:
        with tempfile.TemporaryDirectory(prefix="labelhub-bench-") as tmp:
            out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=args.fail_on_miss)


if __name__ == "__main__":
    sys.exit(main())
