"""Grid overlays benchmark: the shapes of a page of 100 items (``GET .../items/shapes``) next to the page itself.

    python benchmarks/bench_grid_shapes.py --db sqlite|postgres [--items 100000 --boxes-per-item 3] [--json OUT]

Steps:

1. Generate and import bench_store's synthetic COCO file (``items`` images of 320x240 to 1920x1080,
   ``items * boxes_per_item`` boxes over 80 classes, each box on a random image).
2. Two dense pages at depth: the 100 items after item 90,000 get 10 more boxes each (1,000 boxes); the 100 after
   those get 10 boxes and 2 masks each (two ellipses, compressed COCO RLE at the image's size, as an import keeps
   them). Then ANALYZE.
3. Over HTTP (``labelhub serve --no-worker``, one keep-alive connection), 2 warm-ups and ``--tries`` timed GETs
   each, p50 / p95 of the round trip: the items page (first, deep), and the shapes of the first page (about 300
   boxes), of the deep page, of the 1,000-box page and of the page with masks (outlines cached after the first
   call, as the server keeps them).
4. In-process, the service call for the page with masks with the outline cache emptied before every call (what
   the first visitor of a page pays), and the same with the cache warm.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _store_clients import StdlibClient, time_listing
from _store_setup import drop_database, imported_store, item_ids, start_server
from _util import Table, log, machine_load, report, run_record, store_arguments, summarize_ms

API = "/api/v1"
DEEP_POSITION = 90_000
TARGET_MS = 20.0  # the listing's target (ROADMAP): a page of 100 at any depth


def _ellipse_rle(w: int, h: int, rng: random.Random) -> dict[str, Any]:
    import numpy as np
    from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

    yy, xx = np.ogrid[:h, :w]
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    rx, ry = rng.uniform(0.05, 0.2) * w, rng.uniform(0.05, 0.2) * h
    m = np.asfortranarray((((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).astype(np.uint8))
    return {"size": [h, w], "counts": mask_utils.encode(m)["counts"].decode("ascii")}


def _densify(hub: Any, pid: int, boxes_ids: list[int], mask_ids: list[int], seed: int) -> dict[str, int]:
    """Add 10 boxes to each of ``boxes_ids`` and 10 boxes and 2 masks to each of ``mask_ids`` (direct inserts)."""
    from sqlalchemy import insert, select

    from labelhub.storage.models import Annotation, Item

    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    with hub.db.session() as s:
        dims = {i: (w, h) for i, w, h in s.execute(select(Item.id, Item.width, Item.height).where(
            Item.id.in_(boxes_ids + mask_ids)))}  # fmt: skip
    for iid in boxes_ids + mask_ids:
        w, h = dims[iid]
        for _ in range(10):
            x, y = rng.uniform(0, w - 40), rng.uniform(0, h - 40)
            rows.append({"item_id": iid, "project_id": pid, "kind": "box", "label": f"class_{rng.randrange(80):02d}",
                         "geometry": {"bbox": [x, y, x + rng.uniform(5, 40), y + rng.uniform(5, 40)]}})  # fmt: skip
        if iid in mask_ids:
            for _ in range(2):
                rows.append({"item_id": iid, "project_id": pid, "kind": "mask", "label": "class_00",
                             "geometry": _ellipse_rle(w, h, rng)})  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    return {"boxes": sum(r["kind"] == "box" for r in rows), "masks": sum(r["kind"] == "mask" for r in rows)}


def _timed(call: Callable[[], Any], tries: int) -> dict[str, float]:
    samples = []
    for _ in range(tries):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return summarize_ms(samples)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from sqlalchemy import text

    from labelhub.services import item_shapes

    out = run_record(args)
    st = imported_store(args, work, out)
    hub, pid, actor = st.hub, st.project_id, st.actor
    server = None
    try:
        ids = item_ids(hub, pid)
        at = min(DEEP_POSITION, len(ids) - 300)
        deep, dense, masked = ids[at : at + 100], ids[at + 100 : at + 200], ids[at + 200 : at + 300]
        out["added"] = _densify(hub, pid, dense, masked, args.seed)
        with hub.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if hub.db.dialect == "postgresql" else "ANALYZE"))

        def shapes_path(page: list[int]) -> str:
            return f"{API}/projects/{pid}/items/shapes?ids={','.join(map(str, page))}"

        cases = {
            "items page, first": f"{API}/projects/{pid}/items?limit=100",
            "items page, deep": f"{API}/projects/{pid}/items?limit=100&after={ids[at - 1]}",
            "shapes, first page": shapes_path(ids[:100]),
            "shapes, deep page": shapes_path(deep),
            "shapes, 1,000-box page": shapes_path(dense),
            "shapes, page with 200 masks (outlines cached)": shapes_path(masked),
        }
        log("starting the server")
        server = start_server(work / "home", hub.settings.database_url, work / "server.log")
        client = StdlibClient(server.port, st.token)
        results: dict[str, Any] = {}
        for name, path in cases.items():
            samples, _ = time_listing(client, path, args.tries)
            _, body = client.call("GET", path)
            shapes = sum(len(it.get("shapes", [])) for it in body["items"]) if "shapes" in name else None
            results[name] = {**summarize_ms(samples), "items": len(body["items"]), "shapes": shapes}
            log(f"{name}: {results[name]}")
        client.close()

        def masks_call() -> int:
            with hub.db.session() as s:
                return len(item_shapes.item_shapes(s, actor, pid, masked))

        def cold() -> int:
            item_shapes._OUTLINES._items.clear()
            return masks_call()

        tries = max(5, args.tries // 2)
        results["service: page with 200 masks, outline cache empty"] = _timed(cold, tries)
        masks_call()
        results["service: page with 200 masks, outline cache warm"] = _timed(masks_call, tries)
        out["results"] = results
        out["load"]["end"] = machine_load()
    finally:
        if server is not None:
            server.stop()
        hub.close()
        if args.db == "postgres" and not args.keep:
            drop_database(args.pg_server)
    return out


def verdicts(out: dict[str, Any]) -> Table:
    table = Table(f"grid shapes, {out['config']['db']}")
    table.add_load(out)
    for name, r in out["results"].items():
        value = f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms"
        extra = f" ({r['shapes']:,} shapes)" if r.get("shapes") is not None else ""
        if name.startswith("items page"):
            table.add(f"{name}: p50 / p95", value, f"p95 < {TARGET_MS:.0f} ms", r["p95_ms"] < TARGET_MS)
        else:
            table.add(f"{name}{extra}: p50 / p95", value)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    store_arguments(p, "timed requests per case")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-shapes-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
