"""Media on S3-compatible storage: puts and reads of COCO128-sized images, against the local folder store.

    python benchmarks/bench_media_s3.py [--files 500] [--coco ../shared/data/detection_coco128] [--json OUT]

1. **Data.** ``--files`` distinct JPEG files made from the COCO128 images (image ``i % 128`` with the counter
   ``i`` appended after its end marker: every file has new bytes, so a new key, at a real image's size), written
   to a source folder first.
2. **Server.** moto's S3 server (``moto.server.ThreadedMotoServer``) in a thread of this process, on a free
   local port: a real S3 API over HTTP, but Python answering in the same process, sharing its two cores. So the
   figures bound labelhub's own overhead (hashing, HEAD, upload, download, cache), not S3's or MinIO's.
3. **Puts.** ``put_file`` of every file (copied, as an import does) into the local store
   (``LocalMediaStore``, fsync on, as ``Hub.open`` makes it) and into the S3 store (hash, HEAD, upload; the file
   stays in the cache); files/s and MB/s.
4. **Reads.** ``local_path`` then reading the whole file, as thumbnails and serving do: the local store (the OS
   page cache is warm: its only state); the S3 store with an empty cache (a fresh store on a new cache folder:
   every file is downloaded and checked against its key); the same store again (every file a cache hit).

Each phase gives files/s and MB/s (wall time) and CPU ms per file (this process: with the server in it, the
client's and the server's work; steadier than wall time on a busy machine).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import Table, log, machine_load, report, run_record

DEFAULT_COCO = Path(__file__).resolve().parents[2] / "shared" / "data" / "detection_coco128"
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_DEFAULT_REGION": "us-east-1"}


def make_files(coco: Path, count: int, out: Path) -> list[Path]:
    """Write ``count`` distinct JPEG files of COCO128's sizes under ``out``; return their paths."""
    images = sorted((coco / "images" / "train2017").glob("*.jpg"))
    if not images:
        raise SystemExit(f"no COCO128 images under {coco}/images/train2017 (give --coco)")
    out.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = out / f"{i:05d}.jpg"
        path.write_bytes(images[i % len(images)].read_bytes() + f"labelhub-bench-{i}".encode())
        paths.append(path)
    return paths


def timed(what: str, files: list[Path], work: Callable[[Path], Any]) -> dict[str, float]:
    """Run ``work`` on every file; return seconds, files/s and MB/s (of the files' bytes)."""
    total = sum(p.stat().st_size for p in files)
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        work(path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    log(f"{what}: {seconds:.2f} s, {cpu:.2f} CPU s")
    return {"seconds": round(seconds, 3), "cpu_s": round(cpu, 3), "files_s": round(len(files) / seconds, 1),
            "mb_s": round(total / 1e6 / seconds, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--coco", type=Path, default=DEFAULT_COCO)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ.update(ENV)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the server would log every request
    from moto.server import ThreadedMotoServer

    from labelhub.media.disk_cache import DiskCache
    from labelhub.media.s3 import BucketLocation, S3MediaStore
    from labelhub.media.store import LocalMediaStore, hash_file

    out = run_record(args)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp:
        work = Path(tmp)
        files = make_files(args.coco, args.files, work / "source")
        out["mb"] = round(sum(p.stat().st_size for p in files) / 1e6, 1)
        keys = {p: hash_file(p) for p in files}
        location = BucketLocation("bench", "media", endpoint, "us-east-1")

        def s3_store(home: Path) -> S3MediaStore:
            return S3MediaStore(location, cache=DiskCache(home / "media-cache", 4096 << 20),
                                notes=LocalMediaStore(home / "media"))  # fmt: skip

        local = LocalMediaStore(work / "local" / "media")
        s3 = s3_store(work / "s3")
        s3.client.create_bucket(Bucket="bench")

        def read(store: LocalMediaStore | S3MediaStore) -> Callable[[Path], Any]:
            return lambda p: Path(str(store.local_path(keys[p]))).read_bytes()

        res = {
            "local_put": timed("local put_file", files, local.put_file),
            "s3_put": timed("s3 put_file", files, s3.put_file),
            "local_read": timed("local read", files, read(local)),
        }
        cold = s3_store(work / "s3-cold")
        res["s3_read_cold"] = timed("s3 read, cold cache", files, read(cold))
        res["s3_read_warm"] = timed("s3 read, warm cache", files, read(cold))
    server.stop()
    out["results"] = res
    out["load"]["end"] = machine_load()
    table = Table(f"media stores: {args.files} COCO128-sized JPEGs ({out['mb']} MB), moto S3 server in-process")
    for name, label in (("local_put", "put, local folder"), ("s3_put", "put, S3"),
                        ("local_read", "read, local folder"), ("s3_read_cold", "read, S3 cold cache"),
                        ("s3_read_warm", "read, S3 warm cache")):  # fmt: skip
        r = res[name]
        table.add(
            label, f"{r['files_s']:.0f} files/s, {r['mb_s']:.1f} MB/s, {r['cpu_s'] / args.files * 1e3:.2f} CPU ms/file"
        )
    for s3_name, local_name in (
        ("s3_put", "local_put"),
        ("s3_read_cold", "local_read"),
        ("s3_read_warm", "local_read"),
    ):
        ratio = res[s3_name]["files_s"] / res[local_name]["files_s"]
        out.setdefault("ratios", {})[f"{s3_name}/{local_name}"] = round(ratio, 3)
        table.add(f"{s3_name} / {local_name} (files/s)", f"{ratio:.2f}")
    table.add_load(out)
    return report(out, table, args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
