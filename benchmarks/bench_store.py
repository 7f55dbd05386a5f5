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
   20 timed requests each; a filtered listing (``label=``) for information; the deep page in the name orders
   (``order=name`` / ``-name``, after the same item, i.e. after its name), against the same target.
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
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from _store_clients import SaveJob, SaveMode, make_client, run_saves, time_listing
from _store_setup import (
    N_CATEGORIES,
    accepted_boxes,
    drop_database,
    fresh_database,
    generate_in_child,
    item_ids,
    setup_hub,
    start_server,
)
from _util import (
    Table,
    log,
    machine_load,
    proc_peak_rss_mb,
    proc_rss_mb,
    report,
    run_record,
    self_peak_rss_mb,
    stopwatch,
    summarize_ms,
)

API = "/api/v1"
PG_SERVER_DEFAULT = "postgresql://postgres@127.0.0.1:5432"
DEEP_POSITION = 90_000  # the item whose id is the deep page's ``after`` (1-based position in the import)

# The ROADMAP targets this benchmark checks.
TARGET_IMPORT_S = 10.0
TARGET_PAGE_MS = 20.0
TARGET_SAVES_PER_S = 300.0
TARGET_EXPORT_S = 10.0


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from labelhub.formats import ImportOptions
    from labelhub.services.exports import export_project
    from labelhub.services.imports import import_source

    out = run_record(args)
    coco = work / "annotations" / "instances_bench.json"
    coco.parent.mkdir(parents=True)
    log(f"generating {args.items:,} images and {args.items * args.boxes_per_item:,} boxes (seed {args.seed})")
    with stopwatch() as t:
        out["dataset"] = generate_in_child(coco, args.items, args.boxes_per_item, args.seed)
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
                "name_deep": f"{base}?{urlencode({'limit': 100, 'order': 'name', 'after': deep_after})}",
                "name_desc_deep": f"{base}?{urlencode({'limit': 100, 'order': '-name', 'after': deep_after})}",
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
    for name, what in (("name_deep", "order=name"), ("name_desc_deep", "order=-name")):
        if name in lst:  # runs before the grid's sort orders existed have no such rows
            r = lst[name]
            table.add(f"page, {what}, deep p50 / p95", f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms",
                      f"< {TARGET_PAGE_MS:.0f} ms", r["p95_ms"] < TARGET_PAGE_MS)  # fmt: skip
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
