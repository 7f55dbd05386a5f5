"""Format benchmark: import and export time and peak memory per format, at 100k images and 1M boxes.

    python benchmarks/bench_formats.py [--db sqlite|postgres] [--items 100000 --boxes 1000000]
                                       [--media-items 10000] [--formats coco,yolo,...] [--json OUT]

Steps (every figure is printed in one table; the issue's target and the count checks get PASS/MISS):

1. Generate, in a child process, two COCO datasets (deterministic for ``--seed``):
   - **full**: ``--items`` images with width and height but no pixels, ``--boxes`` boxes over 80 categories,
     each on a random image (so boxes per image vary);
   - **media**: ``--media-items`` small real JPEG files (64x48 to 160x120 px, crops of one smooth random
     texture) with as many boxes per image, on average, as the full set. Formats that need pixels (YOLO reads
     the image headers; WebDataset shards carry the images) are measured on this one.
2. Import each COCO file into a project of its own fresh database (SQLite file, or a PostgreSQL database
   ``labelhub_bench_fmt_<name>``) with ``import_source``: the full one metadata-only
   (``ImportOptions(media="none")``), the media one with its files copied into the media store.
3. Export the full project to ``coco``, ``yolo`` (labels only), ``voc``, ``cvat_images`` and ``webdataset``
   (JSON-only samples), and the media project to ``yolo`` and ``webdataset`` with the images.
4. Import every export back into a fresh database and check that every item and box came back
   (metadata-only where the format allows it; YOLO, which needs the images, from the media export).
5. Read the media shards back through ``webdataset.WebDataset``: raw samples, then decoded (PIL + JSON).

Every import, export and read runs in a fresh child process (``spawn``), so each figure's peak memory is that
process' own: its ``VmHWM`` from ``/proc/self/status``, read by the child at the end. (``ru_maxrss`` is no good
here: Linux carries the parent's high-water mark across ``exec`` into it.) The child's RSS once labelhub is
imported, before any work, is reported alongside ("base").
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from _formats_work import (
    ALL_FORMATS,
    EXPORT_SUFFIX,
    NEEDS_MEDIA,
    PG_SERVER_DEFAULT,
    drop_stores,
    generate,
    in_child,
    new_store,
)
from _util import Table, code_version, log, machine_info, machine_load

# The target: "1M boxes imported in under 2 GB of RSS" (2 GB = 2e9 bytes = 1907 MiB).
TARGET_IMPORT_RSS_BYTES = 2e9
TARGET_RSS_TEXT = "< 2 GB at 1M boxes"


# --- the benchmark ------------------------------------------------------------------------------------------
class Run:
    """One benchmark run: the stores it made, the expected counts, and every measurement."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.stores: list[str] = []
        self.expected: dict[str, dict[str, int]] = {}
        self.out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()},
                                    "config": {k: str(v) if isinstance(v, Path) else v
                                               for k, v in vars(args).items() if k != "json"},
                                    "imports": [], "exports": [], "reads": []}  # fmt: skip

    def store(self, name: str) -> dict[str, Any]:
        st = new_store(self.args.db, self.work, name, self.args.pg_server)
        self.stores.append(name)
        return st

    def _task(self, name: str, **task: Any) -> dict[str, Any]:
        if self.args.profile is not None:
            self.args.profile.mkdir(parents=True, exist_ok=True)
            task["profile"] = str(self.args.profile / f"{name}.prof")
        return task

    def import_(self, name: str, fmt: str, source: Path, dataset: str, media: str, images_dir: Path | None = None,
                via: str = "") -> dict[str, Any]:  # fmt: skip
        st = self.store(name)
        log(f"import {name}: {fmt} from {source.relative_to(self.work)} (media {media})")
        res = in_child("import", self._task(name, store=st, fmt=fmt, source=str(source), media=media,
                                            images_dir=str(images_dir) if images_dir else None))  # fmt: skip
        exp = self.expected[dataset]
        res.update(name=name, fmt=fmt, dataset=dataset, media=media, via=via, expected_items=exp["images"],
                   expected_boxes=exp["boxes"])  # fmt: skip
        res["complete"] = "error" not in res and (
            res["items"] == exp["images"] and res["boxes"] == exp["boxes"]
            and res["annotations_added"] == exp["boxes"] and res["skipped"] == 0)  # fmt: skip
        if "error" not in res:
            log(f"  -> {res['seconds']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MiB, {res['items']:,} items, "
                f"{res['boxes']:,} boxes, complete: {res['complete']}")  # fmt: skip
        self.out["imports"].append(res)
        return st

    def export(self, st: dict[str, Any], fmt: str, dataset: str, copy_media: bool) -> Path | None:
        suffix = EXPORT_SUFFIX[fmt]
        dest = self.work / "exports" / f"{dataset}-{fmt}" / (f"{dataset}{suffix}" if suffix else "out")
        dest.parent.mkdir(parents=True)
        log(f"export {dataset} -> {fmt}{' with media' if copy_media else ''}")
        res = in_child("export", self._task(f"export-{dataset}-{fmt}", store=st, fmt=fmt, dest=str(dest),
                                            copy_media=copy_media))  # fmt: skip
        exp = self.expected[dataset]
        res.update(fmt=fmt, dataset=dataset, copy_media=copy_media, expected_items=exp["images"],
                   expected_boxes=exp["boxes"])  # fmt: skip
        if "error" in res:
            res["complete"] = False
            self.out["exports"].append(res)
            return None
        res["complete"] = res["items"] == exp["images"] and res["annotations"] == exp["boxes"]
        if fmt == "webdataset":
            index = orjson.loads(next(dest.glob("*-index.json")).read_bytes())
            res["samples"] = index["samples"]
            res["shards"] = len(index["shards"])
            res["shard_bytes"] = sum(s["bytes"] for s in index["shards"])
            res["complete"] = res["complete"] and index["samples"] == exp["images"]
        log(f"  -> {res['seconds']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MiB, {res['bytes'] / 1e6:.0f} MB in "
            f"{res['files']:,} files, complete: {res['complete']}")  # fmt: skip
        self.out["exports"].append(res)
        return dest

    def wds_read(self, dest: Path, dataset: str, decode: bool) -> None:
        log(f"read {dataset} shards with webdataset.WebDataset ({'decoded' if decode else 'raw'})")
        res = in_child("wds_read", self._task(f"read-{dataset}-{'decoded' if decode else 'raw'}", dest=str(dest),
                                              decode=decode))  # fmt: skip
        exp = self.expected[dataset]
        res.update(dataset=dataset, decode=decode, expected_samples=exp["images"])
        res["complete"] = "error" not in res and (
            res["samples"] == exp["images"] and (not decode or res["boxes"] == exp["boxes"]))  # fmt: skip
        if "error" not in res:
            log(f"  -> {res['seconds']:.1f} s, {res['samples']:,} samples, complete: {res['complete']}")
        self.out["reads"].append(res)

    def run(self) -> dict[str, Any]:
        args, work = self.args, self.work
        self.out["code"] = code_version()
        log(f"generating {args.items:,} images / {args.boxes:,} boxes and {args.media_items:,} JPEGs, seed {args.seed}")
        t0 = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            data = pool.submit(generate, str(work), args.items, args.boxes, args.media_items, args.seed).result()
        data["generate_s"] = round(time.perf_counter() - t0, 2)
        self.out["dataset"] = data
        self.expected = {"full": data["full"], "media": data["media"]}
        log(f"  -> {data}")
        formats = args.formats

        full = self.import_("full", "coco", work / "full", "full", "none")
        media = self.import_("media", "coco", work / "media", "media", "copy", images_dir=work / "media" / "images")
        exports: dict[tuple[str, str], Path] = {}
        for fmt in formats:
            dest = self.export(full, fmt, "full", copy_media=False)
            if dest is not None:
                exports[("full", fmt)] = dest
        for fmt in ("yolo", "webdataset"):
            if fmt in formats and args.media_items:
                dest = self.export(media, fmt, "media", copy_media=True)
                if dest is not None:
                    exports[("media", fmt)] = dest
        for (dataset, fmt), dest in exports.items():
            if dataset == "full" and fmt in NEEDS_MEDIA:
                continue  # its importer reads the image headers: measured on the media export below
            mode = "copy" if dataset == "media" else "none"
            self.import_(f"re-{dataset}-{fmt}", fmt, dest, dataset, mode, via=f"{fmt} export of {dataset}")
        if ("media", "webdataset") in exports:
            self.wds_read(exports[("media", "webdataset")], "media", decode=False)
            self.wds_read(exports[("media", "webdataset")], "media", decode=True)
        self.out["load"]["end"] = machine_load()
        return self.out

    def cleanup(self) -> None:
        if self.args.db == "postgres" and not self.args.keep and self.stores:
            drop_stores(self.args.pg_server, self.stores)


def _rss_ok(mib: float) -> bool:
    return mib * 1024 * 1024 < TARGET_IMPORT_RSS_BYTES


def _rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "n/a"


def verdicts(out: dict[str, Any]) -> Table:
    """The results table: the issue's memory target and the count checks get PASS/MISS, the rest is information."""
    m, cfg = out["machine"], out["config"]
    sizes = f"{cfg['items']:,} images / {cfg['boxes']:,} boxes, media set {cfg['media_items']:,} JPEGs"
    table = Table(f"labelhub format benchmark: {cfg['db']}, {sizes}; {m['cpus']} CPUs ({m['cpu_model']}), {m['date']}")
    for r in out["imports"]:
        label = f"import {r['fmt']}" + (f" ({r['via']})" if r["via"] else f" ({r['dataset']})")
        label += ", metadata-only" if r["media"] == "none" else ", media copied"
        if "error" in r:
            table.add(label, "failed", "works", False)
            continue
        table.add(label, f"{r['seconds']:.2f} s")
        table.add("  items/s, boxes/s", f"{_rate(r['items'], r['seconds'])} / {_rate(r['boxes'], r['seconds'])}")
        target, ok = "", None
        if r["expected_boxes"] >= 1_000_000:
            target, ok = TARGET_RSS_TEXT, _rss_ok(r["peak_rss_mb"])
        table.add("  peak RSS (base)", f"{r['peak_rss_mb']:.0f} MiB ({r['base_rss_mb']:.0f})", target, ok)
        table.add("  items / boxes in project", f"{r['items']:,} / {r['boxes']:,}", "all back", r["complete"])
    for r in out["exports"]:
        label = f"export {r['fmt']} ({r['dataset']}{', with media' if r['copy_media'] else ''})"
        if "error" in r:
            table.add(label, "failed", "works", False)
            continue
        table.add(label, f"{r['seconds']:.2f} s")
        table.add("  items/s, boxes/s",
                  f"{_rate(r['items'], r['seconds'])} / {_rate(r['annotations'], r['seconds'])}")  # fmt: skip
        table.add("  peak RSS (base)", f"{r['peak_rss_mb']:.0f} MiB ({r['base_rss_mb']:.0f})")
        table.add("  written", f"{r['bytes'] / 1e6:,.1f} MB, {r['files']:,} files")
        table.add("  items / boxes written", f"{r['items']:,} / {r['annotations']:,}", "all", r["complete"])
        if r["fmt"] == "webdataset":
            table.add("  shards: MB/s, samples/s",
                      f"{r['shard_bytes'] / 1e6 / r['seconds']:.1f} / {_rate(r['samples'], r['seconds'])}")  # fmt: skip
    for r in out["reads"]:
        what = "decoded (PIL + JSON)" if r["decode"] else "raw samples"
        label = f"webdataset.WebDataset read, {r['dataset']}, {what}"
        if "error" in r:
            table.add(label, "failed", "works", False)
            continue
        table.add(label, f"{r['seconds']:.2f} s")
        table.add("  MB/s (shards), samples/s",
                  f"{r['shard_bytes'] / 1e6 / r['seconds']:.1f} / {_rate(r['samples'], r['seconds'])}")  # fmt: skip
        table.add("  peak RSS (base)", f"{r['peak_rss_mb']:.0f} MiB ({r['base_rss_mb']:.0f})")
        table.add("  samples read", f"{r['samples']:,}", "all", r["complete"])
    table.add_load(out)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the backend to measure")
    p.add_argument("--items", type=int, default=100_000, help="images in the generated (metadata-only) COCO file")
    p.add_argument("--boxes", type=int, default=1_000_000, help="boxes in it, each on a random image")
    p.add_argument("--media-items", type=int, default=10_000,
                   help="real JPEGs in the media set (same boxes per image); 0 skips it")  # fmt: skip
    p.add_argument("--formats", default=",".join(ALL_FORMATS), help=f"formats to measure (of {','.join(ALL_FORMATS)})")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--profile", type=Path, help="write a cProfile file per measurement into this folder (slower)")
    p.add_argument("--pg-server", default=os.environ.get("LABELHUB_BENCH_PG", PG_SERVER_DEFAULT),
                   help="PostgreSQL server URL without a database name (default: $LABELHUB_BENCH_PG, or "
                        f"{PG_SERVER_DEFAULT})")  # fmt: skip
    p.add_argument("--workdir", type=Path, help="keep the data here (a new folder) instead of a temporary one")
    p.add_argument("--keep", action="store_true", help="keep the work folder and the PostgreSQL databases")
    p.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when the memory target is missed")
    args = p.parse_args(argv)
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(args.formats) - set(ALL_FORMATS))
    if unknown:
        p.error(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(ALL_FORMATS)}")
    if args.items < 1 or args.boxes < 0 or args.media_items < 0:
        p.error("--items must be at least 1, --boxes and --media-items at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        work, tmp = args.workdir, None
    elif args.keep:
        work, tmp = Path(tempfile.mkdtemp(prefix="labelhub-bench-fmt-")), None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="labelhub-bench-fmt-")
        work = Path(tmp.name)
    bench = Run(args, work)
    try:
        out = bench.run()
    finally:
        bench.cleanup()
        if tmp is not None:
            tmp.cleanup()
    table = verdicts(out)
    out["table"] = [asdict(r) for r in table.rows]
    print(table.render())
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2, default=str))
        log(f"wrote {args.json}")
    failed = [r.what.strip() for r in table.rows if r.ok is False and r.target != TARGET_RSS_TEXT]
    missed = [r.what.strip() for r in table.rows if r.ok is False and r.target == TARGET_RSS_TEXT]
    if failed:
        log(f"FAILED (a step failed or a count did not come back): {failed}")
        return 1
    if missed:
        log(f"missed the memory target: {missed}")
    return 1 if missed and args.fail_on_miss else 0


if __name__ == "__main__":
    sys.exit(main())
