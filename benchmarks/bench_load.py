"""Load test: many simulated team members (locust) on the real server, in steps of concurrent users.

    python benchmarks/bench_load.py --db sqlite|postgres --server-workers 2 --users 10,50,100 --step-seconds 45
                                    [--json OUT]

Data (fresh database, seed ``--seed``): one image project of ``--items`` items (20,000) that show ``--images``
(2,000) distinct real 320x240 JPEGs from the media store, so thumbnails are real WebP renders (the first request
of an image and size renders it, later ones are served from the thumbnail cache, as on a live server). The first
30 % (``--labelled``) are labelled with 1-4 boxes each (the review queue); of the rest every other item is
assigned to one of the first half of the annotators, the others are the open pool everyone's queue offers. The
team: 60 annotators, 20 reviewers, 1 manager and 40 viewers, each with an API token (_load_data.py), so no two
simulated users share an account up to 100 users.

Users (_load_users.py, where the requests are listed): annotators 5 : reviewers 2 : browsers 3, plus exactly one
manager in every step. Annotators take the next item from the labelling queue, read it and its annotations and
save twice with the version (autosave, then "labeled"); reviewers page the review queue and approve or reject
with the version; browsers page the grid (first, filtered, deep keyset and scrolled pages) with the grid's shapes
and 24 thumbnails a page; the manager reads stats, workload and a counted page. Think times are ``--think`` x
0.5-1.5 s between tasks (shorter inside one): about ten times faster than people, so a step of 100 users loads
the server like several hundred real ones. ``--listeners`` (5) more hold the project's event stream (SSE) open
for the whole run; they count messages and time save -> message (the PUT's answer to the message's arrival).

Steps: for each count in ``--users``, ramp to it (``--spawn-rate`` users/s), wait ``--settle-seconds``, then
record ``--step-seconds``: requests/s and p50/p95/p99 latency in total and per request kind, failures by status
(5xx, 4xx other than 409, connection errors; a 409 is a conflict, counted apart), the server's CPU (cores used
by ``labelhub serve`` and its worker processes, from /proc) and the machine's 1-minute load at the step's start.
The baseline is the first (smallest) step: each step's p95 is given as a ratio of it, and the saturation point is
the first step whose p95 is more than twice the baseline's or that has failures.

The simulated users run in a child process: locust patches the standard library with gevent on import, which
must happen before anything else loads (this process has labelhub, SQLAlchemy and ssl loaded already).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from _load_data import Team, seed_project
from _store_setup import drop_database, fresh_database, setup_hub, start_server
from _util import Table, in_work_folder, log, machine_load, pg_arguments, report, run_record

HERE = Path(__file__).resolve().parent


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out = run_record(args)
    db_url = fresh_database(args.db, work, args.pg_server)
    home = work / "home"
    try:
        st = setup_hub(home, db_url)
        out["database"] = st.hub.db.dialect
        seeded = seed_project(st.hub, st.actor, items=args.items, images=args.images, labelled_share=args.labelled,
                              team=Team(), seed=args.seed)  # fmt: skip
        st.hub.close()
        out["data"] = seeded.counts
        log(f"starting the server ({args.server_workers} worker processes)")
        server = start_server(home, db_url, work / "server.log", workers=args.server_workers)
        try:
            cfg = {"base": server.base, "server_pid": server.proc.pid, "users": args.users,
                   "step_seconds": args.step_seconds, "spawn_rate": args.spawn_rate,
                   "settle_seconds": args.settle_seconds, "think": args.think, "listeners": args.listeners,
                   "out": str(work / "users.json"), **seeded.as_dict()}  # fmt: skip
            (work / "users-config.json").write_bytes(orjson.dumps(cfg))
            budget = sum(n / args.spawn_rate + args.settle_seconds + args.step_seconds + 40 for n in args.users)
            subprocess.run([sys.executable, str(HERE / "_load_users.py"), str(work / "users-config.json")],
                           check=True, timeout=budget, cwd=HERE)  # fmt: skip
            out.update(orjson.loads((work / "users.json").read_bytes()))
        finally:
            server.stop()
        text = server.log.read_text(errors="replace")
        out["server_log"] = {"tracebacks": text.count("Traceback"), "lines_500": text.count('" 500'),
                             "tail": text[-2000:] if "Traceback" in text else ""}  # fmt: skip
        out["load"]["end"] = machine_load()
    finally:
        if args.db == "postgres" and not args.keep:
            drop_database(args.pg_server)
    return out


def saturation(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The first step whose p95 is more than twice the first step's, or that has failures (None: no such step)."""
    base = steps[0]["p95_ms"]
    for s in steps:
        if s["failures"] or s["p95_ms"] > 2 * base:
            why = f"{s['failures']} failures" if s["failures"] else f"p95 {s['p95_ms'] / base:.1f}x the baseline's"
            return {"users": s["users"], "why": why}
    return {"users": None, "why": f"p95 stayed within 2x of {steps[0]['users']} users' up to {steps[-1]['users']}"}


def grid(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows]  # fmt: skip
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def per_kind(steps: list[dict[str, Any]]) -> str:
    """Request kinds x steps: requests/s and p50/p95/p99 (ms)."""
    kinds = sorted({k for s in steps for k in s["kinds"]})
    rows = []
    for k in kinds:
        row = [k]
        for s in steps:
            r = s["kinds"].get(k)
            row.append(f"{r['rps']:.1f}/s {r['p50_ms']:.0f}/{r['p95_ms']:.0f}/{r['p99_ms']:.0f}" if r else "-")
        rows.append(row)
    return grid(["kind: req/s p50/p95/p99 ms", *(f"{s['users']} users" for s in steps)], rows)


def verdicts(out: dict[str, Any]) -> Table:
    m, steps, d = out["machine"], out["steps"], out["data"]
    cfg = out["config"]
    table = Table(f"labelhub load test: {out['database']}, {cfg['server_workers']} server workers, "
                  f"{d['items']:,} items, {cfg['listeners']} SSE listeners, {m['cpus']} CPUs ({m['cpu_model']}), "
                  f"{m['date']}")  # fmt: skip
    base = steps[0]
    for s in steps:
        cpu, load = s["cpu"], s["load_at_start"].get("load1", float("nan"))
        table.add(f"{s['users']:>3} users: req/s, p50/p95/p99 ms",
                  f"{s['rps']:.0f}, {s['p50_ms']:.0f}/{s['p95_ms']:.0f}/{s['p99_ms']:.0f}",
                  f"p95 {s['p95_ms'] / base['p95_ms']:.1f}x; {s['saves']} saves, {s['conflicts']} 409 "
                  f"({s['save_conflicts_by_annotator'].get('pool', 0)} pool saves), "
                  f"{s['failures']} failures; server {cpu['server_cores']:.2f} cores, clients "
                  f"{cpu['clients_cores']:.2f}, machine {cpu['machine_busy_cores']:.2f}; load1 {load:.1f}")  # fmt: skip
        sse = s["sse"]
        table.add(f"{s['users']:>3} users: save -> SSE p50/p95 ms",
                  f"{sse['p50_ms']:.0f}/{sse['p95_ms']:.0f}", f"{sse['events']} messages; {sse['matched_saves']} "
                  f"(save, listener) pairs matched")  # fmt: skip
    sat = out["saturation"]
    table.add("saturation point", f"{sat['users']} users" if sat["users"] else "not reached", sat["why"])
    log_ = out["server_log"]
    table.add("server log: tracebacks / 500s", f"{log_['tracebacks']} / {log_['lines_500']}", str(out.get("sse")))
    table.add_load(out)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the backend to measure")
    p.add_argument("--server-workers", type=int, default=2, help="labelhub serve --workers N")
    p.add_argument("--users", type=lambda v: [int(x) for x in v.split(",")], default=[10, 50, 100],
                   help="concurrent users of each step, comma-separated (default 10,50,100)")  # fmt: skip
    p.add_argument("--step-seconds", type=float, default=45.0, help="recorded seconds of each step")
    p.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second while ramping")
    p.add_argument("--settle-seconds", type=float, default=3.0, help="wait after a ramp before recording")
    p.add_argument("--think", type=float, default=1.0, help="mean think time between a user's tasks, seconds")
    p.add_argument("--listeners", type=int, default=5, help="live event streams held open for the whole run")
    p.add_argument("--items", type=int, default=20_000, help="image items of the project")
    p.add_argument("--images", type=int, default=2_000, help="distinct JPEGs the items show")
    p.add_argument("--labelled", type=float, default=0.3, help="share of the items labelled at the start")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    pg_arguments(p)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = in_work_folder(run, args, "labelhub-load-")
    out["saturation"] = saturation(out["steps"])
    print(per_kind(out["steps"]))
    print()
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
