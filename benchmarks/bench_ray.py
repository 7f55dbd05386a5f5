"""Jobs on Ray against the local executor: a batch of exports, and the cost of sending one small job to Ray.

Usage::

    .venv/bin/python benchmarks/bench_ray.py [--items 20000] [--boxes-per-item 3] [--jobs 6] [--db sqlite]
        [--small 20] [--ray-cpus 2] [--json OUT]

Steps (one process; the database, the project and the Ray cluster are made here):

1. Data: bench_store's synthetic COCO (``--items`` images, ``--boxes-per-item`` boxes each), imported, metadata
   only, into one project of a fresh ``--db`` database.
2. Warm-up: start the executor and run ``--ray-cpus`` small jobs (below), timed apart: Ray starts its worker
   processes, and each imports labelhub for its first job.
3. Batch: ``--jobs`` COCO exports of the whole project queued at once and run to the end by each executor in
   turn: ``LocalExecutor`` with 1 thread (the baseline), with 2 threads, and ``RayExecutor`` on a local Ray
   cluster started here with ``--ray-cpus`` CPUs (one job per CPU). Wall seconds from the first queued job to
   the last finished one, jobs per minute, and the ratio against the baseline in the same run; beside it the
   machine's ceiling, the speed-up ``--ray-cpus`` processes of pure Python get over one. An export is
   mostly Python (reading rows, building JSON), so threads share one core through the GIL while Ray's worker
   processes use one core each.
4. Small jobs: ``--small`` exports of a 10-item project, queued and run one after another (each queued when the
   previous one finished): seconds from queued to finished, per executor (p50 / p95): what dispatching through
   the database and Ray costs a job, beside the local thread's poll.

On one machine Ray can at best use its cores; across machines it adds theirs (the database and the media then
have to be shared: docs/operations.md, "Jobs on Ray"). Figures: benchmarks/README.md, "Jobs on Ray".
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _store_setup import fresh_database, generate_in_child, setup_hub
from _util import PG_SERVER_DEFAULT, Table, log, machine_info, machine_load, percentile, report

FINISHED = ("succeeded", "failed", "cancelled")


def queue_exports(hub: Any, actor: Any, pid: int, n: int) -> list[int]:
    """Queue ``n`` COCO exports of the project's accepted annotations, as ``POST .../exports`` does."""
    from labelhub.services.jobs import enqueue

    params = {"format": "coco", "filename": "coco.json", "states": ["accepted"], "copy_media": False}
    with hub.db.session(write=True) as s:
        return [enqueue(s, actor, "export", params, project_id=pid).id for _ in range(n)]


def wait_done(hub: Any, ids: list[int], timeout: float = 3600.0) -> list[str]:
    from sqlalchemy import select

    from labelhub.storage.models import Job

    deadline = time.monotonic() + timeout
    while True:
        with hub.db.session() as s:
            statuses = list(s.scalars(select(Job.status).where(Job.id.in_(ids))))
        if all(st in FINISHED for st in statuses):
            return statuses
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs {ids} not finished after {timeout} s")
        time.sleep(0.02)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def cpu_ceiling(processes: int, n: int = 10_000_000) -> float:
    """The speed-up ``processes`` processes of pure Python get over one on this machine (a 2-vCPU VM may give
    far less than 2x): the most any executor can reach here."""
    import multiprocessing as mp

    t0 = time.perf_counter()
    for _ in range(processes):
        _spin(n)
    serial = time.perf_counter() - t0
    with mp.get_context("spawn").Pool(processes) as pool:
        pool.map(_spin, [n] * processes)  # start-up first: the pool's processes exist before the timed run
        t1 = time.perf_counter()
        pool.map(_spin, [n] * processes)
        parallel = time.perf_counter() - t1
    return serial / parallel


def executors(hub: Any, ray_cpus: int) -> list[tuple[str, Any]]:
    from labelhub.jobs.executor import LocalExecutor
    from labelhub.jobs.ray_executor import RayExecutor

    ray_options = {"num_cpus": ray_cpus, "include_dashboard": False, "object_store_memory": 80 * 1024**2}
    return [
        ("local, 1 thread", LocalExecutor(hub, threads=1, poll_seconds=0.02)),
        ("local, 2 threads", LocalExecutor(hub, threads=2, poll_seconds=0.02)),
        (f"ray, {ray_cpus} CPUs", RayExecutor(hub, address="local", poll_seconds=0.02, init_options=ray_options)),
    ]


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source
    from labelhub.services.projects import create_project

    out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()}, "args": vars(args)}
    coco = work / "bench.json"
    out["dataset"] = generate_in_child(coco, args.items, args.boxes_per_item, 0)
    st = setup_hub(work / "home", fresh_database(args.db, work, args.pg_server))
    log(f"importing {args.items:,} items")
    import_source(st.hub, st.actor, st.project_id, coco, fmt="coco", options=ImportOptions(media="none"))
    small = work / "small.json"
    generate_in_child(small, 10, args.boxes_per_item, 1)
    with st.hub.db.session(write=True) as s:
        small_pid = create_project(s, st.actor, "small", item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names([])).id
    import_source(st.hub, st.actor, small_pid, small, fmt="coco", options=ImportOptions(media="none"))

    out["cpu_ceiling"] = cpu_ceiling(args.ray_cpus)
    log(f"{args.ray_cpus} processes of pure Python run {out['cpu_ceiling']:.2f}x as fast as one here")
    out["batch"], out["small"] = {}, {}
    for name, executor in executors(st.hub, args.ray_cpus):
        t0 = time.perf_counter()
        executor.start()
        try:
            # Warm-up, timed apart: a Ray worker process imports labelhub for its first job (seconds).
            wait_done(st.hub, queue_exports(st.hub, st.actor, small_pid, args.ray_cpus))
            out["warmup"] = {**out.get("warmup", {}), name: time.perf_counter() - t0}
            log(f"{name}: {args.jobs} exports of {args.items:,} items")
            t0 = time.perf_counter()
            ids = queue_exports(st.hub, st.actor, st.project_id, args.jobs)
            executor.notify()
            statuses = wait_done(st.hub, ids)
            wall = time.perf_counter() - t0
            out["batch"][name] = {"seconds": wall, "jobs_per_min": args.jobs / wall * 60, "statuses": statuses}
            latencies = []
            for _ in range(args.small):
                t1 = time.perf_counter()
                ids = queue_exports(st.hub, st.actor, small_pid, 1)
                executor.notify()
                wait_done(st.hub, ids)
                latencies.append(time.perf_counter() - t1)
            out["small"][name] = {"p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95)}
        finally:
            executor.stop()
        log(f"{name}: {wall:.1f} s for the batch, small job p50 {out['small'][name]['p50_s'] * 1000:.0f} ms")
    out["load"]["end"] = machine_load()
    st.hub.close()
    return out


def table(out: dict[str, Any], args: argparse.Namespace) -> Table:
    t = Table(f"Jobs on Ray: {args.jobs} COCO exports of {args.items:,} items / {out['dataset']['annotations']:,} "
              f"boxes ({args.db}), then {args.small} small exports one by one")  # fmt: skip
    base = out["batch"]["local, 1 thread"]["seconds"]
    for name, b in out["batch"].items():
        ok = all(s == "succeeded" for s in b["statuses"])
        t.add(f"{name}: batch wall", f"{b['seconds']:.1f} s ({b['jobs_per_min']:.1f} jobs/min, "
              f"{base / b['seconds']:.2f}x the 1-thread rate)", "every job succeeded", ok)  # fmt: skip
    t.add(f"ceiling: {args.ray_cpus} processes of pure Python against 1", f"{out['cpu_ceiling']:.2f}x")
    for name, sm in out["small"].items():
        t.add(f"{name}: small job, queued -> finished", f"p50 {sm['p50_s'] * 1000:.0f} ms, p95 "
              f"{sm['p95_s'] * 1000:.0f} ms")  # fmt: skip
    for name, seconds in out["warmup"].items():
        t.add(f"{name}: start + first {args.ray_cpus} small jobs", f"{seconds:.1f} s")
    t.add_load(out)
    return t


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--items", type=int, default=20_000, help="images in the exported project")
    p.add_argument("--boxes-per-item", type=int, default=3, help="boxes per image")
    p.add_argument("--jobs", type=int, default=6, help="exports in the batch")
    p.add_argument("--small", type=int, default=20, help="small exports timed one by one")
    p.add_argument("--ray-cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--pg-server", default=PG_SERVER_DEFAULT)
    p.add_argument("--json", type=Path)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        out = run(args, Path(tmp))
    return report(out, table(out, args), args.json, fail_on_miss=False)


if __name__ == "__main__":
    raise SystemExit(main())
