"""bench_scale's set-up: the big project built from COCO files of ``--chunk`` items each, imported one after the
other into the same project (an import appends: items are matched by name, new names are added), its own
PostgreSQL database, the database's size on disk, and the state a ``--reuse`` run reads back. See bench_scale.py.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from _store_setup import IMAGE_SIZES, N_CATEGORIES, fresh_database, setup_hub
from _util import log, machine_load, self_peak_rss_mb

PG_SCALE_DB = "labelhub_scale"  # not bench_store's database: a bench_store run elsewhere drops that one
UNLABELLED_EVERY = 10  # every 10th item gets no box, so the labelling queue has items at every depth


def generate_chunk(path: str, offset: int, n_items: int, seed: int) -> dict[str, int]:
    """Write a COCO file of items ``offset+1 .. offset+n_items`` (names ``images/00000001.jpg``...), one box on each
    but every 10th; return its counts. Runs in a child process (:func:`chunk_in_child`)."""
    rng = random.Random(seed * 1_000_003 + offset)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i in range(n_items):
        n = offset + i + 1
        w, h = IMAGE_SIZES[rng.randrange(len(IMAGE_SIZES))]
        images.append({"id": i + 1, "file_name": f"images/{n:08d}.jpg", "width": w, "height": h})
        if n % UNLABELLED_EVERY == 0:
            continue
        bw, bh = rng.uniform(4.0, w / 2), rng.uniform(4.0, h / 2)
        x, y = rng.uniform(0.0, w - bw), rng.uniform(0.0, h - bh)
        bbox = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
        annotations.append({"id": len(annotations) + 1, "image_id": i + 1, "category_id": n % N_CATEGORIES + 1,
                            "bbox": bbox, "area": round(bbox[2] * bbox[3], 2), "iscrowd": 0})  # fmt: skip
    categories = [{"id": c + 1, "name": f"class_{c:02d}", "supercategory": f"group_{c // 10}"}
                  for c in range(N_CATEGORIES)]  # fmt: skip
    doc = {"info": {"description": f"labelhub scale bench, seed {seed}"}, "licenses": [], "images": images,
           "annotations": annotations, "categories": categories}  # fmt: skip
    Path(path).write_bytes(orjson.dumps(doc))
    return {"images": len(images), "annotations": len(annotations), "bytes": Path(path).stat().st_size}


def chunk_in_child(pool: ProcessPoolExecutor, path: Path, offset: int, n_items: int, seed: int) -> Any:
    return pool.submit(generate_chunk, str(path), offset, n_items, seed)


def database_mb(hub: Any, work: Path) -> float:
    """The database's size on disk in MiB: the SQLite file and its WAL, or ``pg_database_size``."""
    if hub.db.dialect == "sqlite":
        return sum(p.stat().st_size for p in work.glob("labelhub.db*")) / 2**20
    from sqlalchemy import text

    with hub.db.session() as s:
        return int(s.scalar(text("SELECT pg_database_size(current_database())")) or 0) / 2**20


def import_chunks(st: Any, project_id: int, work: Path, items: int, chunk: int, seed: int) -> dict[str, Any]:
    """Import ``items`` items into the project as COCO files of ``chunk`` items; the next file is generated (in a
    child process) while one is imported. Returns the times, counts and the peak memory after each file."""
    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source

    folder = work / "annotations"
    folder.mkdir(parents=True, exist_ok=True)
    starts = list(range(0, items, chunk))
    out: dict[str, Any] = {"files": [], "items": 0, "boxes": 0, "seconds": 0.0}
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        pending = chunk_in_child(pool, folder / "part-0.json", 0, min(chunk, items), seed)
        for k, offset in enumerate(starts):
            path = folder / f"part-{k}.json"
            t0 = time.perf_counter()
            made = pending.result()
            wait_s = time.perf_counter() - t0
            if k + 1 < len(starts):
                nxt = starts[k + 1]
                pending = chunk_in_child(pool, folder / f"part-{k + 1}.json", nxt, min(chunk, items - nxt), seed)
            t0 = time.perf_counter()
            rep = import_source(st.hub, st.actor, project_id, path, fmt="coco", options=ImportOptions(media="none"))
            took = time.perf_counter() - t0
            path.unlink()
            row = {"offset": offset, "items": rep.items_added, "boxes": rep.annotations_added,
                   "seconds": round(took, 2), "waited_for_file_s": round(wait_s, 2), "file_mb": made["bytes"] / 2**20,
                   "peak_rss_mb": round(self_peak_rss_mb(), 1), "load": machine_load()}  # fmt: skip
            out["files"].append(row)
            out["items"] += rep.items_added
            out["boxes"] += rep.annotations_added
            out["seconds"] += took
            log(f"imported file {k + 1}/{len(starts)}: {row}")
    out["seconds"] = round(out["seconds"], 2)
    out["peak_rss_mb"] = round(self_peak_rss_mb(), 1)
    return out


def build(args: Any, work: Path) -> dict[str, Any]:
    """A fresh database with a hub, the baseline project (``--baseline-items``) and the big one (``--items``);
    returns what a ``--reuse`` run needs (URL, token, project ids) and the import figures."""
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.services.projects import create_project

    db_url = fresh_database(args.db, work, args.pg_server, args.pg_db)
    st = setup_hub(work / "home", db_url)
    try:
        with st.hub.db.session(write=True) as s:
            big = create_project(s, st.actor, "scale", item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names([])).id
        state: dict[str, Any] = {"db_url": db_url, "token": st.token, "projects": {}, "import": {}}
        for name, pid, n in (("base", st.project_id, args.baseline_items), ("big", big, args.items)):
            log(f"importing {n:,} items into project {name} ({pid})")
            state["projects"][name] = pid
            state["import"][name] = import_chunks(st, pid, work, n, min(args.chunk, n), args.seed)
        state["database_mb_after_import"] = round(database_mb(st.hub, work), 1)
    finally:
        st.hub.close()
    return state
