"""bench_store's set-up: the synthetic COCO file, a fresh database, the hub with a user, token and project, and
the real server in a subprocess (``bench_video`` uses the same). See bench_store.py for the steps."""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from _util import free_port, log, random_coco_boxes

API = "/api/v1"
N_CATEGORIES = 80
PG_BENCH_DB = "labelhub_bench"
IMAGE_SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080), (320, 240))


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
    annotations = random_coco_boxes(rng, dims, n_items * boxes_per_item, N_CATEGORIES)
    doc = {"info": {"description": f"labelhub bench, seed {seed}"}, "licenses": [], "images": images,
           "annotations": annotations, "categories": categories}  # fmt: skip
    Path(path).write_bytes(orjson.dumps(doc))
    return {"images": len(images), "annotations": len(annotations), "categories": len(categories),
            "bytes": Path(path).stat().st_size}  # fmt: skip


def generate_in_child(path: Path, n_items: int, boxes_per_item: int, seed: int) -> dict[str, int]:
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(generate_coco, str(path), n_items, boxes_per_item, seed).result()


# --- 2. database ------------------------------------------------------------------------------------------
def fresh_database(kind: str, work: Path, pg_server: str, pg_db: str = PG_BENCH_DB) -> str:
    """Return the SQLAlchemy URL of a new, empty database of ``kind`` (PostgreSQL: ``pg_db``, dropped first; give
    two benchmarks that run at the same time different names)."""
    if kind == "sqlite":
        return f"sqlite:///{work / 'labelhub.db'}"
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{pg_db}"')
    return f"{pg_server.replace('postgresql://', 'postgresql+psycopg://')}/{pg_db}"


def drop_database(pg_server: str, pg_db: str = PG_BENCH_DB) -> None:
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')


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


def imported_store(args: Any, work: Path, out: dict[str, Any]) -> Setup:
    """Generate bench_store's COCO file (``args.items``, ``args.boxes_per_item``, ``args.seed``; its figures go to
    ``out["dataset"]``), open a hub on a fresh ``args.db`` database and import the file, metadata only, into its
    project: the common start of the benchmarks on a big project (``store_arguments`` gives their options)."""
    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source

    coco = work / "annotations" / "instances_bench.json"
    coco.parent.mkdir(parents=True)
    log(f"generating {args.items:,} images and {args.items * args.boxes_per_item:,} boxes")
    out["dataset"] = generate_in_child(coco, args.items, args.boxes_per_item, args.seed)
    st = setup_hub(work / "home", fresh_database(args.db, work, args.pg_server))
    log("importing")
    import_source(st.hub, st.actor, st.project_id, coco, fmt="coco", options=ImportOptions(media="none"))
    return st


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
