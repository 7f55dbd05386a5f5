"""bench_formats' work: the synthetic data (child process), the databases, and each measurement (import, export,
WebDataset read) run in a fresh child process so its peak memory is its own. See bench_formats.py."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from _util import log, proc_peak_rss_mb, proc_rss_mb, random_coco_boxes

N_CATEGORIES = 80
IMAGE_SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080), (320, 240))
MEDIA_SIZES = ((64, 48), (96, 72), (128, 96), (160, 120))
PG_SERVER_DEFAULT = "postgresql://postgres@127.0.0.1:5432"
PG_DB_PREFIX = "labelhub_bench_fmt_"
ALL_FORMATS = ("coco", "yolo", "voc", "cvat_images", "webdataset", "label_studio")
# Where each format's export goes: a file (with this suffix) or a folder (None).
EXPORT_SUFFIX: dict[str, str | None] = {"coco": ".json", "yolo": None, "voc": None, "cvat_images": ".xml",
                                        "webdataset": None, "label_studio": ".json"}  # fmt: skip
# Formats whose importer reads the images (so they cannot be imported metadata-only).
NEEDS_MEDIA = frozenset({"yolo"})


# --- 1. data (child process) --------------------------------------------------------------------------------
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
    anns = random_coco_boxes(rng, dims, n_boxes, N_CATEGORIES)
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
    manns = random_coco_boxes(rng, mdims, n_media_boxes, N_CATEGORIES)
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
