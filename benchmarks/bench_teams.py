"""Teams and real time benchmark: assignment, the event feed's poll cost, live latency (SSE), webhooks, the alert
evaluator and the consensus merge.

    python benchmarks/bench_teams.py --db sqlite|postgres [--items 100000 --events 1000000] [--json OUT]
    python benchmarks/bench_teams.py --db sqlite --only webhooks    # steps 3-4 alone (live latency, burst)
    python benchmarks/bench_teams.py --db sqlite --only consensus   # step 6 alone (merge, agreement report)

Steps (a fresh database each run; fixed seeds; every step prints what it measured, a table closes the run):

1. Assignment: a project with ``--items`` items (Core insert, 10,000 a batch) and 5 annotators;
   ``assign_items`` splits every item evenly among them (mode even, by filter: the grid's "Assign all N"), then
   the grid's listing with the assignee filter (``list_items``, one member, 100 items: the first page and one
   90% into the member's run, keyset ``after``; 20 timed calls each, a read session each), then everything is
   unassigned by filter.
2. Event feed: ``--events`` audit events (annotation saves, reviews, imports... with their details) across 50
   projects, project k getting a share ~1/(k+1); ``event_feed.read_after(cursor, project_id=P)`` from 100
   events behind the newest (a stream's steady state) for the busiest and the quietest project, and ``horizon``
   alone, 200 timed calls each (a read session each, as the stream's poll). Read so, every open stream would
   poll twice a second: 100 streams are 200 polls/s x the mean p50 (the baseline, as the streams first worked).
   Now a process's streams share one copy of the feed (``services/live_feed.py``): two reads a second of every
   project's events (``read_after`` without a project, timed the same way), plus each stream's access re-check
   every 5 s (``live_events.open_viewer``, timed): 2 x that p50 + 100 / 5 x the re-check's p50.
5. Alert evaluator (before the server starts): a project with 4 active rules (rejection_rate,
   rejected_again, review_backlog, job_failed), 400 labelled items of 5 annotators, ``--reviews`` approvals and
   rejections (35%) through the real review service (``review_item``, a transaction each) and a failed
   job every 1,000; then ``AlertEvaluator().step`` rounds until its cursor passes the newest event.
6. Consensus: ``merge_replicas`` of 3 replicas x 50 boxes (shared truth jittered ~3%, ~8% missing, 0-3 extra
   per person) over 200 items, per item; then ``project_agreement`` over 2,000 merged items (3 submitted
   replicas each, Core insert): first as items merged before the pair scores were kept (the report compares
   the replicas), then with each item's merge record written as ``merge_item`` writes it (the report reads it).
3. Live latency (the real server: ``labelhub serve --worker``, with the job worker and the notifier): the
   event stream of a project open with httpx, a webhook on ``*`` to a receiver in this process; 50 saves
   (GET the version, PUT boxes), ~100 ms apart; per save, the time from the PUT's answer to the SSE message
   and (4a) to the webhook delivery of that save (matched on item and version).
4b. Webhook throughput: 2,000 audit events of the project inserted in one transaction; the time until the
   receiver has them all, checked in order, none missing or repeated.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _store_setup import drop_database, fresh_database, setup_hub, start_server
from _teams_data import bench_alerts, bench_assignment, bench_consensus, bench_feed, insert_items, make_members
from _teams_live import bench_hook_burst, bench_saves
from _util import Table, in_work_folder, log, machine_load, pg_arguments, report, run_record

TARGET_PAGE_MS = 20.0  # ROADMAP: a page of 100 in under 20 ms at any depth


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out = run_record(args)
    db_url = fresh_database(args.db, work, args.pg_server)
    home = work / "home"
    st = setup_hub(home, db_url)
    hub, actor = st.hub, st.actor
    out["database"] = hub.db.dialect
    every = args.only is None
    try:
        if every:
            out["assignment"] = bench_assignment(hub, actor, args.items, args.tries)
        members = make_members(hub, actor, [])
        users = [(actor.user_id, actor.username)] + [(u, f"annotator{k + 1}") for k, u in enumerate(members)]
        if every:
            out["feed"] = bench_feed(hub, actor, args.events, users, args.feed_tries, args.seed, st.token)
            out["alerts"] = bench_alerts(hub, actor, members, args.reviews, args.seed)
        if every or args.only == "consensus":
            out["consensus"] = bench_consensus(hub, actor, members, args.merge_items, args.report_items, 50,
                                               args.seed)  # fmt: skip
        if not (every or args.only == "webhooks"):
            out["load"]["end"] = machine_load()
            return out

        live_pid = st.project_id
        live_items = insert_items(hub, live_pid, 200, "live")
        os.environ["LABELHUB_WEBHOOK_HOSTS"] = "loopback"  # the server's env is a copy of this one
        log("starting the server")
        server = start_server(home, db_url, work / "server.log", job_worker=True)
        try:
            saves = bench_saves(server, st.token, live_pid, live_items, args.saves, args.gap)
            receiver, hooked = saves.pop("_receiver")
            out["live"] = saves
            out["burst"] = bench_hook_burst(hub, live_pid, users[0], receiver, hooked, args.burst)
        finally:
            server.stop()
        out["load"]["end"] = machine_load()
    finally:
        hub.close()
        if args.db == "postgres" and not args.keep:
            drop_database(args.pg_server)
    return out


def verdicts(out: dict[str, Any]) -> Table:
    m = out["machine"]
    if "assignment" not in out:  # --only
        table = Table(f"labelhub teams benchmark (part): {out['database']}, {m['cpus']} CPUs ({m['cpu_model']}), "
                      f"{m['date']}")  # fmt: skip
        _webhooks_and_consensus(table, out)
        table.add_load(out)
        return table
    a, f = out["assignment"], out["feed"]
    table = Table(f"labelhub teams benchmark: {out['database']}, {a['items']:,} items, {f['events']:,} events, "
                  f"{m['cpus']} CPUs ({m['cpu_model']}), {m['date']}")  # fmt: skip
    table.add("assign evenly to 5, by filter", f"{a['assign_even']['seconds']:.2f} s",
              f"{a['assign_even']['items_per_s']:,} items/s")  # fmt: skip
    table.add(
        "unassign all, by filter", f"{a['unassign']['seconds']:.2f} s", f"{a['unassign']['items_per_s']:,} items/s"
    )
    for name, what in (("list_first", "first"), ("list_deep", "deep")):
        r = a[name]
        table.add(f"page of 100, assignee filter, {what} p50 / p95", f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms",
                  f"< {TARGET_PAGE_MS:.0f} ms", r["p95_ms"] < TARGET_PAGE_MS)  # fmt: skip
    for name in ("busy", "quiet"):
        r = f[name]
        table.add(f"feed read_after, {name} project, p50 / p95", f"{r['p50_ms']:.2f} / {r['p95_ms']:.2f} ms",
                  f"{r['events_per_poll']} events/poll")  # fmt: skip
    table.add("feed horizon alone, p50 / p95", f"{f['horizon']['p50_ms']:.2f} / {f['horizon']['p95_ms']:.2f} ms")
    table.add("feed read for every project (shared copy), p50", f"{f['shared']['p50_ms']:.2f} ms",
              f"{f['shared']['events_per_poll']} events/poll")  # fmt: skip
    table.add("access re-check of a stream, p50", f"{f['recheck']['p50_ms']:.2f} ms", "every 5 s per stream")
    table.add("100 open streams, a read each (before)", f"{f['load_100_streams_ms_per_s']:.0f} ms/s",
              f"= {f['load_100_streams_ms_per_s'] / 1000:.2f} core")  # fmt: skip
    table.add("100 open streams, shared copy (now)", f"{f['load_100_shared_ms_per_s']:.0f} ms/s",
              f"{f['load_100_streams_ms_per_s'] / max(f['load_100_shared_ms_per_s'], 1e-9):.0f}x less")  # fmt: skip
    al = out["alerts"]
    table.add(f"alert evaluator, {al['events']:,} events, 4 rules", f"{al['seconds']:.2f} s",
              f"{al['events_per_s']:,} events/s, {al['rounds']} rounds, {al['alerts']} alerts")  # fmt: skip
    _webhooks_and_consensus(table, out)
    table.add_load(out)
    return table


def _webhooks_and_consensus(table: Table, out: dict[str, Any]) -> None:
    if "live" in out:
        live, burst = out["live"], out["burst"]
        for name, what in (("sse", "save -> SSE message"), ("webhook", "save -> webhook delivery")):
            r = live[name]
            table.add(f"{what}, p50 / p95 / max", f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['max_ms']:.0f} ms",
                      f"{r['n']} of {live['saves']} matched")  # fmt: skip
        ok = burst["in_order"] and not burst["missing"] and not burst["repeated"]
        table.add(f"webhook burst of {burst['events']:,} events", f"{burst['seconds']:.2f} s",
                  f"{burst['events_per_s']:,}/s; in order, none lost or repeated", ok)  # fmt: skip
    if "consensus" in out:
        c = out["consensus"]
        mg = c["merge"]
        what = f"merge 3 x {mg['boxes_per_replica']} boxes, per item p50 / p95"
        table.add(what, f"{mg['p50_ms']:.1f} / {mg['p95_ms']:.1f} ms", f"first call {mg['first_call_s']:.1f} s")
        rp = c["report"]
        table.add(f"agreement report, {rp['items']:,} items, scores kept at the merge", f"{rp['seconds']:.2f} s")
        if "report_recomputed" in c:
            table.add("... the same items merged before scores were kept", f"{c['report_recomputed']['seconds']:.2f} s")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the backend to measure")
    p.add_argument("--items", type=int, default=100_000, help="items of the assignment project")
    p.add_argument("--events", type=int, default=1_000_000, help="audit events seeded for the feed")
    p.add_argument("--tries", type=int, default=20, help="timed listing calls per case")
    p.add_argument("--feed-tries", type=int, default=200, help="timed feed polls per case")
    p.add_argument("--reviews", type=int, default=2_000, help="review events for the alert evaluator")
    p.add_argument("--merge-items", type=int, default=200, help="items merged (3 replicas x 50 boxes)")
    p.add_argument("--report-items", type=int, default=2_000, help="merged items in the agreement report")
    p.add_argument("--saves", type=int, default=50, help="annotation saves timed through SSE and the webhook")
    p.add_argument("--gap", type=float, default=0.1, help="seconds between the starts of two saves")
    p.add_argument("--burst", type=int, default=2_000, help="events inserted at once for the webhook")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    p.add_argument("--only", choices=("webhooks", "consensus"),
                   help="run one part: webhooks (steps 3-4: live latency, burst) or consensus (step 6)")  # fmt: skip
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    pg_arguments(p)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = in_work_folder(run, args, "labelhub-bench-")
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
