"""WebDataset streaming to training: a project read over HTTP by a DataLoader, against locally exported shards.

    python benchmarks/bench_wds_stream.py [--copies 4] [--shard-size 64] [--epochs 2] [--json OUT]

1. **Data.** COCO128 (``../shared/data/detection_coco128``: 128 JPEGs, 939 boxes in 80 categories) imported
   ``--copies`` times, media copied, into one project on SQLite (``import_source``, the normal import path).
2. **Baseline.** The project exported as WebDataset shards of ``--shard-size`` items (``export_project``) into
   a local folder, read by ``webdataset.WebDataset(paths)``.
3. **Server.** ``labelhub serve --no-worker`` in a subprocess; the shard list from
   ``labelhub.training.webdataset.fetch_shards`` (``pipe:curl`` URLs with the token in a header file). Every
   streamed shard is first checked to be byte-identical to the exported one.
4. **Reads.** Each source read ``--epochs`` times by a ``DataLoader`` with 0 and with 2 workers (shards split
   with ``wds.split_by_worker``), two pipelines: **raw** (samples as bytes: the transport alone) and
   **decoded** (``image_dataset``: JPEG to a 224x224 float tensor and a multi-hot label vector, batches of 32;
   one PyTorch thread in the reading process, as in each DataLoader worker).
   Local and HTTP reads take turns, epoch by epoch, after one untimed warm-up read. Samples/s and MB/s (of the
   shards' bytes) over wall time, and the server's CPU per sample (from ``/proc``; it serves only the HTTP reads).
5. **Listing at scale.** ``--list-items`` metadata-only items (default 1,000,000; splits train/train/train/val/
   test by turns, two in three reviewed) bulk-inserted into a second project on ``--list-db`` (SQLite, or
   PostgreSQL at ``--pg-server``, database ``labelhub_bench_wds``, dropped at the end); ``list_shards`` with shards of
   1,000 timed 5 times (median) without a filter, with ``split=train`` and with ``status=labeled,reviewed``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from _store_setup import setup_hub, start_server
from _util import PG_SERVER_DEFAULT, Table, log, machine_load, report, run_record, tree_cpu_s

# Its own database: bench_store and others drop and create labelhub_bench.
LIST_PG_DB = "labelhub_bench_wds"
DEFAULT_COCO = Path(__file__).resolve().parents[2] / "shared" / "data" / "detection_coco128"


def coco_copy(coco: Path, copy: int, out: Path) -> Path:
    """Return COCO128 as a new dataset under ``out``: every image renamed ``c<copy>_<name>`` (a symlink to the
    original), so each copy imports as new items (the media store keeps one file per content)."""
    data = orjson.loads((coco / "annotations" / "instances_train2017.json").read_bytes())
    images = out / "images" / "train2017"
    images.mkdir(parents=True)
    for image in data["images"]:
        name = f"c{copy}_{image['file_name']}"
        (images / name).symlink_to((coco / "images" / "train2017" / image["file_name"]).resolve())
        image["file_name"] = name
    (out / "annotations").mkdir()
    (out / "annotations" / "instances_train2017.json").write_bytes(orjson.dumps(data))
    return out


def sample_bytes(sample: dict[str, Any]) -> int:
    """Return the bytes of a raw sample's members."""
    return sum(len(v) for v in sample.values() if isinstance(v, bytes))


def read(urls: list[str], workers: int, decoded: bool, num_labels: int) -> int:
    """Read every shard once with a DataLoader; return the samples read."""
    import webdataset as wds
    from torch.utils.data import DataLoader

    from labelhub.training.webdataset import image_dataset

    if decoded:
        loader = DataLoader(image_dataset(urls, num_labels), batch_size=32, num_workers=workers)
        return sum(len(images) for images, _ in loader)
    raw = wds.WebDataset(urls, shardshuffle=False, workersplitter=wds.split_by_worker, empty_check=False)
    # Each sample's bytes are touched (summed), as a training step would read them.
    return sum(1 for _ in DataLoader(raw.map(sample_bytes), batch_size=None, num_workers=workers))


def timed_read(urls: list[str], workers: int, decoded: bool, num_labels: int, server_pid: int | None) -> list[float]:
    """Read every shard once; return [samples, seconds, server CPU seconds]."""
    cpu0 = tree_cpu_s(server_pid) if server_pid else 0.0
    start = time.perf_counter()
    samples = read(urls, workers, decoded, num_labels)
    seconds = time.perf_counter() - start
    return [samples, seconds, (tree_cpu_s(server_pid) - cpu0) if server_pid else 0.0]


def summary(runs: list[list[float]], mb_per_epoch: float) -> dict[str, float]:
    """Return samples/s, MB/s (of the shards' bytes) and server CPU ms per sample over ``runs``."""
    samples, seconds, cpu = (sum(r[i] for r in runs) for i in range(3))
    return {"samples": samples, "seconds": round(seconds, 3), "samples_s": round(samples / seconds, 1),
            "mb_s": round(mb_per_epoch * len(runs) / seconds, 1),
            "server_cpu_ms_per_sample": round(cpu * 1e3 / samples, 3)}  # fmt: skip


def listing_at_scale(n: int, db: str, pg_server: str, work: Path) -> dict[str, float]:
    """Bulk-insert ``n`` metadata-only items into a new project; return the median seconds of ``list_shards``
    (shards of 1,000) per filter."""
    import statistics

    from sqlalchemy import insert

    from labelhub.domain.enums import ItemStatus
    from labelhub.services.webdataset_stream import StreamFilter, list_shards
    from labelhub.storage.models import Item

    st = setup_hub(work / "list-home", _database(db, work / "list", pg_server))
    log(f"inserting {n:,} items ({db})")
    splits = ("train", "train", "train", "val", "test")
    for start in range(0, n, 50_000):
        rows = [{"project_id": st.project_id, "kind": "image", "name": f"img{i:07d}.jpg", "split": splits[i % 5],
                 "status": "reviewed" if i % 3 else "new", "meta": {}}
                for i in range(start, min(n, start + 50_000))]  # fmt: skip
        with st.hub.db.session(write=True) as s:
            s.execute(insert(Item), rows)
    if db == "postgres":  # what autovacuum does soon after a bulk load: index-only scans need the visibility map
        with st.hub.db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE items")
    out: dict[str, float] = {}
    done = StreamFilter(status=(ItemStatus.LABELED, ItemStatus.REVIEWED))
    for name, f in (("all", StreamFilter()), ("split=train", StreamFilter(split="train")), ("status=done", done)):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            listing = list_shards(st.hub, st.actor, st.project_id, f, shard_size=1000)
            times.append(time.perf_counter() - t0)
        out[name] = round(statistics.median(times), 3)
        log(f"list_shards {name}: {len(listing.shards)} shards, {listing.samples:,} samples, {out[name]} s")
    st.hub.close()
    if db == "postgres":
        _drop(pg_server)
    return out


def _database(db: str, work: Path, pg_server: str) -> str:
    """Return the URL of a new, empty database: a SQLite file in ``work``, or ``LIST_PG_DB`` on ``pg_server``."""
    if db == "sqlite":
        return f"sqlite:///{work / 'labelhub.db'}"
    _drop(pg_server)
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{LIST_PG_DB}"')
    return f"{pg_server.replace('postgresql://', 'postgresql+psycopg://')}/{LIST_PG_DB}"


def _drop(pg_server: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{LIST_PG_DB}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coco", type=Path, default=DEFAULT_COCO)
    parser.add_argument("--copies", type=int, default=4, help="times COCO128 is imported into the project")
    parser.add_argument("--shard-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--list-items", type=int, default=1_000_000, help="items for the listing phase (0: skip)")
    parser.add_argument("--list-db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER_DEFAULT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    import httpx
    import torch

    from labelhub.formats import ExportOptions, ImportOptions
    from labelhub.services.exports import export_project
    from labelhub.services.imports import import_source
    from labelhub.training.webdataset import fetch_shards

    out = run_record(args)
    torch.set_num_threads(1)  # DataLoader workers use one thread each; so does the reader without workers
    with tempfile.TemporaryDirectory(prefix="bench-wds-") as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'labelhub.db'}"
        st = setup_hub(work / "home", db_url)
        log(f"importing COCO128 {args.copies} times")
        for copy in range(args.copies):
            source = coco_copy(args.coco, copy, work / f"coco-{copy}")
            import_source(st.hub, st.actor, st.project_id, source, fmt="coco", options=ImportOptions())
        local = work / "local"
        t0 = time.perf_counter()
        export_project(st.hub, st.actor, st.project_id, local, fmt="webdataset",
                       options=ExportOptions(extra={"shard_size": args.shard_size}))  # fmt: skip
        out["export_s"] = round(time.perf_counter() - t0, 3)
        paths = sorted(str(p) for p in local.glob("*.tar"))
        mb = sum(Path(p).stat().st_size for p in paths) / 1e6
        st.hub.close()
        server = start_server(work / "home", db_url, work / "server.log")
        try:
            shards = fetch_shards(server.base, st.project_id, st.token, shard_size=args.shard_size)
            listing = httpx.get(f"{server.base}/api/v1/projects/{st.project_id}/webdataset",
                                params={"shard_size": args.shard_size},
                                headers={"Authorization": f"Bearer {st.token}"}).json()  # fmt: skip
            for entry, path in zip(listing["shards"], paths, strict=True):
                body = httpx.get(server.base + entry["url"], headers={"Authorization": f"Bearer {st.token}"}).content
                if body != Path(path).read_bytes():
                    raise SystemExit(f"streamed {entry['name']} differs from the exported {path}")
            log(f"{len(paths)} shards, {shards.samples} samples, {mb:.1f} MB: streamed shards equal the export")
            out["dataset"] = {"samples": shards.samples, "shards": len(paths), "mb": round(mb, 1),
                              "labels": len(shards.labels)}  # fmt: skip
            res: dict[str, dict[str, float]] = {}
            n_labels = len(shards.labels)
            read(paths[:1], 0, True, n_labels)  # warm-up: imports, decoders, the page cache
            for decoded in (False, True):
                for workers in (0, 2):
                    runs: dict[str, list[list[float]]] = {"local": [], "http": []}
                    for _ in range(args.epochs):  # local and HTTP by turns, so a load spike hits both
                        runs["local"].append(timed_read(paths, workers, decoded, n_labels, None))
                        runs["http"].append(timed_read(shards.urls, workers, decoded, n_labels, server.proc.pid))
                    for source, source_runs in runs.items():
                        name = f"{'decoded' if decoded else 'raw'}-{workers}w-{source}"
                        res[name] = summary(source_runs, mb)
                        log(f"{name}: {res[name]}")
        finally:
            server.stop()
        if args.list_items:
            (work / "list").mkdir()
            out["listing_s"] = listing_at_scale(args.list_items, args.list_db, args.pg_server, work)
    out["results"] = res
    out["load"]["end"] = machine_load()
    d = out["dataset"]
    table = Table(f"WebDataset: {d['samples']} COCO128 samples in {d['shards']} shards ({d['mb']} MB), "
                  f"{args.epochs} epochs, SQLite")  # fmt: skip
    for pipeline in ("raw", "decoded"):
        for workers in (0, 2):
            local_r, http_r = res[f"{pipeline}-{workers}w-local"], res[f"{pipeline}-{workers}w-http"]
            ratio = http_r["samples_s"] / local_r["samples_s"]
            out.setdefault("ratios", {})[f"{pipeline}-{workers}w http/local"] = round(ratio, 3)
            table.add(f"{pipeline}, {workers} workers: local shards",
                      f"{local_r['samples_s']:.0f} samples/s, {local_r['mb_s']:.1f} MB/s")  # fmt: skip
            table.add(f"{pipeline}, {workers} workers: HTTP stream",
                      f"{http_r['samples_s']:.0f} samples/s, {http_r['mb_s']:.1f} MB/s, "
                      f"server {http_r['server_cpu_ms_per_sample']:.2f} CPU ms/sample")  # fmt: skip
            table.add(f"{pipeline}, {workers} workers: HTTP / local (samples/s)", f"{ratio:.2f}")
    table.add("local export (information)", f"{out['export_s']:.2f} s")
    for name, seconds in out.get("listing_s", {}).items():
        table.add(f"shard list, {args.list_items:,} items, {args.list_db}, {name}", f"{seconds * 1e3:.0f} ms")
    table.add_load(out)
    return report(out, table, args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
