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
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from _util import Table, code_version, machine_info, machine_load, proc_peak_rss_mb, proc_rss_mb

N_CATEGORIES = 80
IMAGE_SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080), (320, 240))
MEDIA_SIZES = ((64, 48), (96, 72), (128, 96), (160, 120))
PG_SERVER_DEFAULT = "postgresql://postgres@127.0.0.1:5432"
PG_DB_PREFIX = "labelhub_bench_fmt_"
ALL_FORMATS = ("coco", "yolo", "voc", "cvat_images", "webdataset")
# Where each format's export goes: a file (with this suffix) or a folder (None).
EXPORT_SUFFIX: dict[str, str | None] = {"coco": ".json", "yolo": None, "voc": None, "cvat_images": ".xml",
                                        "webdataset": None}  # fmt: skip
# Formats whose importer reads the images (so they cannot be imported metadata-only).
NEEDS_MEDIA = frozenset({"yolo"})

# The target: "1M boxes imported in under 2 GB of RSS" (2 GB = 2e9 bytes = 1907 MiB).
TARGET_IMPORT_RSS_BYTES = 2e9
TARGET_RSS_TEXT = "< 2 GB at 1M boxes"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- 1. data (child process) --------------------------------------------------------------------------------
def _boxes(rng: random.Random, dims: list[tuple[int, int]], n_boxes: int) -> list[dict[str, Any]]:
    annotations: list[dict[str, Any]] = []
    n_items = len(dims)
    for a in range(n_boxes):
        img = rng.randrange(n_items)
        w, h = dims[img]
        bw, bh = rng.uniform(4.0, w / 2), rng.uniform(4.0, h / 2)
        x, y = rng.uniform(0.0, w - bw), rng.uniform(0.0, h - bh)
        bbox = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
        annotations.append({"id": a + 1, "image_id": img + 1, "category_id": rng.randrange(N_CATEGORIES) + 1,
                            "bbox": bbox, "area": round(bbox[2] * bbox[3], 2), "iscrowd": 0})  # fmt: skip
    return annotations


def _write_coco(path: Path, dims: list[tuple[int, int]], annotations: list[dict[str, Any]], seed: int) -> int:
    images = [{"id": i + 1, "file_name": f"{i + 1:07d}.jpg", "width": w, "height": h} for i, (w, h) in enumerate(dims)]
    categories = [{"id": c + 1, "name": f"class_{c:02d}", "supercategory": f"group_{c // 10}"}
                  for c in range(N_CATEGORIES)]  # fmt: skip
    doc = {"info": {"description": f"labelhub format bench, seed {seed}"}, "licenses": [], "images": images,
           "annotations": annotations, "categories": categories}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc))
    return path.stat().st_size


def generate(work: str, n_items: int, n_boxes: int, n_media: int, seed: int) -> dict[str, Any]:
    """Write ``full/annotations/instances_train.json`` and ``media/`` (COCO file + JPEGs); return their counts.

    Both files are named ``instances_train.json``, so every item gets the split ``train`` (as from COCO's
    ``instances_train2017.json``). Another name gives another split, which YOLO's exporter then writes under its
    own key with ``val: images/train`` pointing at a folder that does not exist, which its importer refuses.
    """
    import cv2
    import numpy as np

    root = Path(work)
    rng = random.Random(seed)
    dims = [IMAGE_SIZES[rng.randrange(len(IMAGE_SIZES))] for _ in range(n_items)]
    anns = _boxes(rng, dims, n_boxes)
    full_bytes = _write_coco(root / "full" / "annotations" / "instances_train.json", dims, anns, seed)
    del anns
    out: dict[str, Any] = {"full": {"images": n_items, "boxes": n_boxes, "bytes": full_bytes}}
    # The media set: crops of one smooth random texture with a little noise, so the JPEGs are realistic in size.
    n_media_boxes = round(n_media * n_boxes / n_items) if n_items else 0
    mdims = [MEDIA_SIZES[rng.randrange(len(MEDIA_SIZES))] for _ in range(n_media)]
    gen = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(gen.integers(0, 256, (512, 512, 3), dtype=np.uint8), (0, 0), 6)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    images = root / "media" / "images"
    images.mkdir(parents=True)
    media_bytes = 0
    for i, (w, h) in enumerate(mdims):
        y, x = int(gen.integers(0, 512 - h)), int(gen.integers(0, 512 - w))
        crop = texture[y : y + h, x : x + w].astype(np.int16) + gen.integers(-8, 9, (h, w, 3), dtype=np.int16)
        ok, buf = cv2.imencode(".jpg", np.clip(crop, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:
            raise RuntimeError("cv2.imencode failed")
        (images / f"{i + 1:07d}.jpg").write_bytes(buf.tobytes())
        media_bytes += len(buf)
    manns = _boxes(rng, mdims, n_media_boxes)
    coco_bytes = _write_coco(root / "media" / "annotations" / "instances_train.json", mdims, manns, seed)
    out["media"] = {"images": n_media, "boxes": n_media_boxes, "bytes": coco_bytes, "image_bytes": media_bytes}
    return out


# --- 2. databases (this process) ----------------------------------------------------------------------------
def new_store(kind: str, work: Path, name: str, pg_server: str) -> dict[str, Any]:
    """Create a fresh database and home folder with an admin and an empty image project; return how to open it."""
    from labelhub.config import Settings
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.hub import Hub
    from labelhub.services.access import Actor
    from labelhub.services.projects import create_project
    from labelhub.services.users import actor_for, create_user

    folder = work / "stores" / name
    folder.mkdir(parents=True)
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'labelhub.db'}"
    else:
        import psycopg

        with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB_PREFIX}{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{PG_DB_PREFIX}{name}"')
        url = f"{pg_server.replace('postgresql://', 'postgresql+psycopg://')}/{PG_DB_PREFIX}{name}"
    home = folder / "home"
    hub = Hub.open(Settings(home=home, database_url=url, dev=True))
    try:
        with hub.db.session(write=True) as s:
            user = create_user(s, Actor.system(), "bench-admin", "bench-admin-password", is_admin=True)
            actor = actor_for(user)
            project = create_project(s, actor, name, item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names([]))
            pid = project.id
    finally:
        hub.close()
    return {"name": name, "url": url, "home": str(home), "actor": actor, "project_id": pid}


def drop_stores(pg_server: str, names: list[str]) -> None:
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True, connect_timeout=5) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB_PREFIX}{name}" WITH (FORCE)')


# --- 3. measurements (each in a fresh child process) --------------------------------------------------------
def _open_hub(store: dict[str, Any]) -> Any:
    from labelhub.config import Settings
    from labelhub.hub import Hub

    return Hub.open(Settings(home=Path(store["home"]), database_url=store["url"], dev=True), migrate=False)


def _tree_bytes(path: Path) -> tuple[int, int]:
    """Return (bytes, files) of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size, 1
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            total += os.stat(os.path.join(dirpath, n)).st_size
            files += 1
    return total, files


def _project_counts(hub: Any, project_id: int) -> tuple[int, int]:
    from sqlalchemy import func, select

    from labelhub.storage.models import Annotation, Item

    with hub.db.session() as s:
        items = s.scalar(select(func.count()).select_from(Item).where(Item.project_id == project_id)) or 0
        boxes = s.scalar(select(func.count()).select_from(Annotation).where(
            Annotation.project_id == project_id, Annotation.kind == "box")) or 0  # fmt: skip
    return int(items), int(boxes)


def _do_import(task: dict[str, Any]) -> dict[str, Any]:
    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source

    store = task["store"]
    hub = _open_hub(store)
    try:
        images_dir = Path(task["images_dir"]) if task.get("images_dir") else None
        opts = ImportOptions(media=task["media"], images_dir=images_dir)
        t0 = time.perf_counter()
        rep = import_source(hub, store["actor"], store["project_id"], Path(task["source"]), fmt=task["fmt"],
                            options=opts)  # fmt: skip
        seconds = time.perf_counter() - t0
        items, boxes = _project_counts(hub, store["project_id"])
    finally:
        hub.close()
    return {"seconds": seconds, "items_added": rep.items_added, "annotations_added": rep.annotations_added,
            "items": items, "boxes": boxes, "skipped": len(rep.skipped)}  # fmt: skip


def _do_export(task: dict[str, Any]) -> dict[str, Any]:
    from labelhub.formats import ExportOptions
    from labelhub.services.exports import export_project

    store = task["store"]
    hub = _open_hub(store)
    dest = Path(task["dest"])
    try:
        t0 = time.perf_counter()
        rep = export_project(hub, store["actor"], store["project_id"], dest, fmt=task["fmt"],
                             options=ExportOptions(copy_media=task["copy_media"]))  # fmt: skip
        seconds = time.perf_counter() - t0
    finally:
        hub.close()
    size, files = _tree_bytes(dest)
    return {"seconds": seconds, "items": rep.items, "annotations": rep.annotations, "bytes": size, "files": files}


def _do_wds_read(task: dict[str, Any]) -> dict[str, Any]:
    """Iterate the shards with ``webdataset.WebDataset``: raw samples (bytes) or decoded (PIL image + JSON)."""
    import webdataset as wds

    dest = Path(task["dest"])
    index = orjson.loads(next(dest.glob("*-index.json")).read_bytes())
    url = str(dest / index["pattern"])
    t0 = time.perf_counter()
    samples = boxes = 0
    data_bytes = 0
    if task["decode"]:
        ds = wds.WebDataset(url, shardshuffle=False, empty_check=False).decode("pil").to_tuple("jpg;png", "json")
        for image, doc in ds:
            image.load()
            samples += 1
            boxes += len(doc["annotations"])
    else:
        for sample in wds.WebDataset(url, shardshuffle=False, empty_check=False):
            samples += 1
            data_bytes += sum(len(v) for k, v in sample.items() if not k.startswith("__"))
    return {"seconds": time.perf_counter() - t0, "samples": samples, "boxes": boxes, "data_bytes": data_bytes,
            "shard_bytes": sum(s["bytes"] for s in index["shards"])}  # fmt: skip


_TASKS = {"import": _do_import, "export": _do_export, "wds_read": _do_wds_read}


def child_main(kind: str, task: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in this (fresh) process; add its peak and base RSS, and a profile when asked."""
    import importlib

    for module in ("labelhub.formats", "labelhub.services.exports", "labelhub.services.imports"):
        importlib.import_module(module)  # counted in the base RSS, like the rest of what any run needs

    base = proc_rss_mb(os.getpid())
    fn = _TASKS[kind]
    if task.get("profile"):
        import cProfile

        prof = cProfile.Profile()
        res = prof.runcall(fn, task)
        prof.dump_stats(task["profile"])
    else:
        res = fn(task)
    res["peak_rss_mb"] = proc_peak_rss_mb(os.getpid())
    res["base_rss_mb"] = base
    return res


def in_child(kind: str, task: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a new process; a failure becomes ``{"error": ...}`` (and a failed check)."""
    try:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            return pool.submit(child_main, kind, task).result()
    except Exception as exc:  # noqa: BLE001 - any failure of the measured code is a result to report
        log(f"  !! {kind} failed: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}", "seconds": float("nan"), "peak_rss_mb": float("nan"),
                "base_rss_mb": float("nan")}  # fmt: skip


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
