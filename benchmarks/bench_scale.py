"""Scale benchmark: what a person hits opening and working in a project of 1M (SQLite) or 10M (PostgreSQL) items.

    python benchmarks/bench_scale.py --db sqlite   --items 1000000  --workdir /tmp/scale-sqlite [--json OUT]
    python benchmarks/bench_scale.py --db postgres --items 10000000 --workdir /tmp/scale-pg --keep
    python benchmarks/bench_scale.py --db postgres --workdir /tmp/scale-pg --reuse --keep   # measure again

Steps (every figure is printed next to its ROADMAP target where one exists, with PASS/MISS, and with its ratio to
the same figure on a 100k-item project in the same database, measured in the same run):

1. A fresh database (SQLite file in the work dir, or PostgreSQL database ``labelhub_scale``), a hub, an admin, a
   token, then two image projects: ``base`` (``--baseline-items``, 100k) and ``scale`` (``--items``). Each is
   filled through the normal import path (``import_source``, COCO, metadata only) from COCO files of
   ``--chunk`` items (1M) imported one after another into the same project: an import appends, so a 10M-item
   project never needs one 2 GB file in memory. Every item gets one box (80 labels, in turn) except every 10th,
   which stays unlabelled so that the labelling queue has work at every depth. The files are generated in a
   child process, the next one while the current one is imported. ``--reuse`` skips this step and measures the
   database a ``--keep`` run left in ``--workdir``.
2. ``labelhub serve --no-worker`` (one process) in a subprocess; then, for each project, 2 warm-ups and
   ``--tries`` timed requests (``--slow-tries`` for the counted project counts) of: the project list, the project,
   its counts (``/stats?fresh=true``: counted, as every call was before the server kept them; then ``/stats``:
   kept, the second call of the project page), the grid's first page with its count (``with_total``; counted with
   ``fresh_total=true``, then kept, as the counts), pages of 100 at 10 %, 50 % and 99.9 % depth (keyset
   ``after``), the label filter and the status filter (first page with count, counted and kept, and at 50 %), the
   name orders at 50 %, an item, its annotations, its position in the list (``position_of``, what the item page
   asks), the queue's next item, and open+save (GET then PUT of one box) on items at 50 % depth.
3. Stop the server, then export to COCO: the whole project, or with ``--export label`` only the items of one label
   (1/80 of them), for a project too big to export in the time at hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from _scale_build import PG_SCALE_DB, build, database_mb
from _store_clients import StdlibClient, _boxes
from _store_setup import N_CATEGORIES, drop_database, start_server
from _util import (
    Table,
    log,
    machine_load,
    proc_peak_rss_mb,
    report,
    run_record,
    self_peak_rss_mb,
    stopwatch,
    store_arguments,
    summarize_ms,
)

API = "/api/v1"
TARGET_PAGE_MS = 20.0
TARGET_RSS_MB = 2048.0  # "under 2 GB of memory for 1M boxes"
DEPTHS = (("10%", 0.10), ("50%", 0.50), ("99.9%", 0.999))
LABEL = "class_07"


def _id_at(hub: Any, project_id: int, position: int) -> int:
    """The id of the project's item at 0-based ``position`` in id order (an OFFSET, once, outside the timing)."""
    from sqlalchemy import select

    from labelhub.storage.models import Item

    with hub.db.session() as s:
        stmt = select(Item.id).where(Item.project_id == project_id).order_by(Item.id).offset(position).limit(1)
        return int(s.scalar(stmt) or 0)


def _cases(hub: Any, pid: int, n: int) -> dict[str, tuple[str, str]]:
    """name -> (method, path) of the GETs timed on project ``pid`` of ``n`` items."""
    base = f"{API}/projects/{pid}"
    items = f"{base}/items"
    mid = _id_at(hub, pid, n // 2)
    q: Callable[..., str] = lambda **kw: f"{items}?{urlencode({'limit': 100, **kw})}"  # noqa: E731
    cases = {
        "project list": f"{API}/projects",
        "project": base,
        # Counted on every call (fresh=true: what every call cost before the counts were kept), then kept: a big
        # project's counts are served from the server's cache until the project changes (stats_cache).
        "project counts (/stats)": f"{base}/stats?fresh=true",
        "project counts, kept (/stats, 2nd call)": f"{base}/stats",
        # The same for a list's total (with_total): counted (fresh_total=true: what every call cost before), then
        # kept: a total that took over 50 ms is served from the server's cache until the project changes.
        "first page + count": q(with_total="true", fresh_total="true"),
        "first page + count, kept (2nd call)": q(with_total="true"),
        "first page": q(),
    }
    for name, frac in DEPTHS:
        cases[f"page at {name}"] = q(after=_id_at(hub, pid, min(n - 1, int(n * frac))))
    cases |= {
        "label filter, first + count": q(label=LABEL, with_total="true", fresh_total="true"),
        "label filter, first + count, kept": q(label=LABEL, with_total="true"),
        "label filter, at 50%": q(label=LABEL, after=mid),
        "status=new, first + count": q(status="new", with_total="true", fresh_total="true"),
        "status=new, first + count, kept": q(status="new", with_total="true"),
        "status=new, at 50%": q(status="new", after=mid),
        "order=name, first": q(order="name"),
        "order=name, at 50%": q(order="name", after=mid),
        "order=-name, at 50%": q(order="-name", after=mid),
        "item": f"{items}/{mid}",
        "item annotations": f"{items}/{mid}/annotations",
        "item position (position_of)": f"{items}?{urlencode({'limit': 1, 'position_of': mid})}",
        "item position, label filter": f"{items}?{urlencode({'limit': 1, 'position_of': mid, 'label': LABEL})}",
        "queue next": f"{base}/queue/next?after={mid}",
    }
    return {k: ("GET", v) for k, v in cases.items()}


def _time_get(client: StdlibClient, path: str, tries: int) -> dict[str, Any]:
    samples: list[float] = []
    for k in range(tries + 2):
        t0 = time.perf_counter()
        status, body = client.call("GET", path)
        if k >= 2:
            samples.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {str(body)[:300]}")
    said = ("total", "position", "cached", "total_cached")
    extra = {k: body[k] for k in said if isinstance(body, dict) and body.get(k) is not None}
    return {**summarize_ms(samples), **extra, "path": path, "load": machine_load()}


def _time_saves(client: StdlibClient, hub: Any, pid: int, n: int, tries: int) -> dict[str, Any]:
    """open+save on ``tries`` items from 50 % depth on: GET the annotations (the version), PUT one box."""
    labels = [f"class_{c:02d}" for c in range(N_CATEGORIES)]
    start = _id_at(hub, pid, n // 2 + 1)
    samples: list[float] = []
    for k in range(tries + 2):
        item = start + 7 * k
        t0 = time.perf_counter()
        status, body = client.call("GET", f"{API}/projects/{pid}/items/{item}/annotations")
        if status == 200:
            payload = {"version": body["version"], "annotations": _boxes(item, 1, labels)}
            status, body = client.call("PUT", f"{API}/projects/{pid}/items/{item}/annotations", payload)
        if status != 200:
            raise RuntimeError(f"save on item {item} answered {status}: {str(body)[:300]}")
        if k >= 2:
            samples.append(time.perf_counter() - t0)
    return {**summarize_ms(samples), "load": machine_load()}


def measure(args: argparse.Namespace, work: Path, state: dict[str, Any], out: dict[str, Any]) -> None:
    from labelhub.config import Settings
    from labelhub.hub import Hub

    hub = Hub.open(Settings(home=work / "home", database_url=state["db_url"], dev=True))
    try:
        sizes = {"base": args.baseline_items, "big": state["import"]["big"]["items"]}
        out["database_mb"] = round(database_mb(hub, work), 1)
        server = start_server(work / "home", state["db_url"], work / "server.log")
        out["http"] = {}
        try:
            client = StdlibClient(server.port, state["token"])
            for name in ("base", "big"):
                pid, n = state["projects"][name], sizes[name]
                res: dict[str, Any] = {}
                for case, (_method, path) in _cases(hub, pid, n).items():
                    tries = args.slow_tries if case == "project counts (/stats)" else args.tries
                    res[case] = _time_get(client, path, tries)
                    log(f"{name} {case}: p50 {res[case]['p50_ms']} p95 {res[case]['p95_ms']} ms "
                        f"(load {res[case]['load'].get('load1')})")  # fmt: skip
                res["open+save"] = _time_saves(client, hub, pid, n, args.tries)
                log(f"{name} open+save: {res['open+save']}")
                out["http"][name] = res
            client.close()
            out["server_peak_rss_mb"] = proc_peak_rss_mb(server.proc.pid)
        finally:
            server.stop()
        if args.export != "none":
            out["export"] = {name: _export(args, hub, state, name, work) for name in ("base", "big")}
    finally:
        hub.close()


def _export(args: argparse.Namespace, hub: Any, state: dict[str, Any], name: str, work: Path) -> dict[str, Any]:
    from labelhub.services.exports import export_project
    from labelhub.services.items import ItemFilter
    from labelhub.services.users import actor_for
    from labelhub.storage.models import User

    with hub.db.session() as s:
        actor = actor_for(s.query(User).filter_by(username="bench-admin").one())
    f = ItemFilter(label=LABEL) if args.export == "label" else None
    dest = work / "export" / f"{name}.json"
    dest.parent.mkdir(exist_ok=True)
    log(f"exporting {name} ({args.export})")
    with stopwatch() as t:
        rep = export_project(hub, actor, state["projects"][name], dest, fmt="coco", item_filter=f, overwrite=True)
    n_img = len(orjson.loads(dest.read_bytes())["images"])
    res = {"seconds": round(t[0], 2), "items": rep.items, "boxes": rep.annotations, "file_images": n_img,
           "what": args.export, "mb": round(dest.stat().st_size / 2**20, 1), "load": machine_load()}  # fmt: skip
    dest.unlink()
    log(f"export {name}: {res}")
    return res


def verdicts(out: dict[str, Any]) -> Table:
    imp = out["state"]["import"]["big"]
    m = out["machine"]
    table = Table(f"labelhub scale benchmark: {out['database']}, {imp['items']:,} items, {imp['boxes']:,} boxes "
                  f"(baseline project: {out['config']['baseline_items']:,} items), {m['cpus']} CPUs "
                  f"({m['cpu_model']}), {m['date']}")  # fmt: skip
    table.add("import COCO (files of --chunk items)", f"{imp['seconds']:.0f} s")
    table.add("  items/s", f"{imp['items'] / max(imp['seconds'], 1e-9):,.0f}")
    rss = imp["peak_rss_mb"]
    table.add("  peak RSS of the importing process", f"{rss:.0f} MiB", "< 2 GiB at 1M boxes", rss < TARGET_RSS_MB)
    table.add("database on disk", f"{out['database_mb']:,.0f} MiB")
    big, base = out["http"]["big"], out["http"]["base"]
    for case, r in big.items():
        b = base[case]
        # A page of 100 is the target's; the grid's first page asks for its count too, so it waits for it.
        is_page = "page" in case or case.startswith(("label filter", "status=", "order="))
        target = f"p95 < {TARGET_PAGE_MS:.0f} ms" if is_page else ""
        ok = r["p95_ms"] < TARGET_PAGE_MS if target else None
        ratio = r["p50_ms"] / b["p50_ms"] if b["p50_ms"] else float("nan")
        table.add(f"{case} p50 / p95 (x 100k p50; load)",
                  f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms (x{ratio:.1f}; {r['load'].get('load1', 0):.1f})",
                  target, ok)  # fmt: skip
    for name in ("big", "base") if "export" in out else ():
        e = out["export"][name]
        table.add(f"export COCO ({e['what']}), {name}", f"{e['seconds']:.1f} s, {e['items']:,} items, {e['mb']} MiB")
    peak = out.get("server_peak_rss_mb")
    table.add("peak RSS, server process", f"{peak:.0f} MiB" if peak else "n/a")
    table.add_load(out)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    store_arguments(p, tries_help="timed requests per case")
    p.set_defaults(items=1_000_000)
    p.add_argument("--baseline-items", type=int, default=100_000, help="items of the baseline project")
    p.add_argument("--chunk", type=int, default=1_000_000, help="items per imported COCO file")
    p.add_argument("--slow-tries", type=int, default=5, help="timed requests of the project counts (/stats)")
    p.add_argument("--export", choices=("all", "label", "none"), default="all",
                   help=f"export everything, only the items with a {LABEL} box, or nothing")  # fmt: skip
    p.add_argument("--workdir", type=Path, required=True, help="the data (and state.json for --reuse) go here")
    p.add_argument("--pg-db", default=PG_SCALE_DB, help="the PostgreSQL database to create (dropped first)")
    p.add_argument("--reuse", action="store_true", help="measure the database a --keep run left in --workdir")
    p.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when a target is missed")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = run_record(args)
    state_file = args.workdir / "state.json"
    if args.reuse:
        state = orjson.loads(state_file.read_bytes())
    else:
        args.workdir.mkdir(parents=True, exist_ok=False)
        state = build(args, args.workdir)
        state_file.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    out["state"] = {k: v for k, v in state.items() if k != "token"}
    out["database"] = "postgresql" if state["db_url"].startswith("postgresql") else "sqlite"
    try:
        measure(args, args.workdir, state, out)
    finally:
        if args.db == "postgres" and not args.keep:
            drop_database(args.pg_server, args.pg_db)
    out["bench_peak_rss_mb"] = round(self_peak_rss_mb(), 1)
    out["load"]["end"] = machine_load()
    return report(out, verdicts(out), args.json, fail_on_miss=args.fail_on_miss)


if __name__ == "__main__":
    sys.exit(main())
