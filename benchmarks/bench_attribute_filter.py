"""Attribute filter benchmark: the item list filtered by an annotation attribute, at 100k items.

    python benchmarks/bench_attribute_filter.py --db sqlite|postgres [--items 100000 --boxes-per-item 3]
        [--json OUT]

Steps:

1. Generate and import bench_store's synthetic COCO file (``items`` images, ``items * boxes_per_item`` boxes over
   80 classes), declare the attributes ``occluded`` (bool) and ``colour`` (select of 4), and give every box one
   value: ``occluded`` on even box ids (true on every 10th box), ``colour`` on odd ones (``red`` on every 8th).
2. Vacuum and analyze (the schema has no index on ``annotations.attributes``).
3. Time the service call the API's list makes (``list_items``: access check, page query, the page's annotation
   counts; no HTTP) for a first page and a deep page (after item 90,000) of 100, and the ``with_total`` count,
   under several filters: 3 warm-ups and ``--tries`` timed calls each, p50 / p95 in ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _store_setup import drop_database, imported_store, item_ids
from _util import (
    Table,
    log,
    machine_load,
    report,
    run_record,
    stopwatch,
    store_arguments,
    summarize_ms,
)

DEEP_POSITION = 90_000
TARGET_MS = 50.0
ATTRIBUTES = [
    {"name": "occluded", "type": "bool"},
    {"name": "colour", "type": "select", "options": ["red", "green", "blue", "white"]},
]
FILTERS: dict[str, dict[str, Any]] = {
    "occluded=true": {"attribute": "occluded", "attribute_value": "true"},
    "occluded, any value": {"attribute": "occluded"},
    "colour=red": {"attribute": "colour", "attribute_value": "red"},
    "label + occluded=true": {"label": "class_07", "attribute": "occluded", "attribute_value": "true"},
    "label only (for comparison)": {"label": "class_07"},
}
VALUES_SQL = {
    "sqlite": "UPDATE annotations SET attributes = CASE WHEN id % 2 = 0"
    " THEN json_object('occluded', json(CASE WHEN id % 10 = 0 THEN 'true' ELSE 'false' END))"
    " ELSE json_object('colour', CASE WHEN id % 8 = 1 THEN 'red' ELSE 'blue' END) END",
    "postgresql": "UPDATE annotations SET attributes = CASE WHEN id % 2 = 0"
    " THEN jsonb_build_object('occluded', id % 10 = 0)"
    " ELSE jsonb_build_object('colour', CASE WHEN id % 8 = 1 THEN 'red' ELSE 'blue' END) END",
}


def timed(call: Callable[[], Any], tries: int) -> dict[str, float]:
    for _ in range(3):
        call()
    samples = []
    for _ in range(tries):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return summarize_ms(samples)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from sqlalchemy import text

    from labelhub.services.items import ItemFilter, count_items, list_items
    from labelhub.storage.models import Project

    out = run_record(args)
    st = imported_store(args, work, out)
    hub, pid, actor = st.hub, st.project_id, st.actor
    try:
        dialect = hub.db.dialect
        with stopwatch() as t, hub.db.session(write=True) as s:
            s.execute(text(VALUES_SQL[dialect]))
            project = s.get(Project, pid)
            assert project is not None
            project.label_schema = {**project.label_schema, "attributes": ATTRIBUTES}
            project.version += 1
        out["values_s"] = round(t[0], 2)
        # The UPDATE above left a dead copy of every PostgreSQL row, which a project whose values came with its
        # boxes would not have: vacuum them away (SQLite has none).
        with hub.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"))
        ids = item_ids(hub, pid)
        deep_after = ids[min(DEEP_POSITION, len(ids) - 100) - 1]
        results: dict[str, Any] = {}
        for name, query in FILTERS.items():
            f = ItemFilter(**query)

            def page(after: int | None, f: ItemFilter = f) -> int:
                with hub.db.session() as s:
                    return len(list_items(s, actor, pid, f, after=after, limit=100).items)

            def count(f: ItemFilter = f) -> int:
                with hub.db.session() as s:
                    return count_items(s, actor, pid, f)

            results[name] = {
                "matching": count(),
                "first": {**timed(lambda: page(None), args.tries), "size": page(None)},
                "deep": {**timed(lambda: page(deep_after), args.tries), "size": page(deep_after)},
                "count": timed(count, max(3, args.tries // 4)),
            }
            log(f"{name}: {results[name]}")
        out["results"] = results
        out["load"]["end"] = machine_load()
    finally:
        hub.close()
        if args.db == "postgres" and not args.keep:
            drop_database(args.pg_server)
    return out


def verdicts(out: dict[str, Any]) -> Table:
    table = Table(f"attribute filter, {out['config']['db']}")
    table.add_load(out)
    for name, r in out["results"].items():
        for case in ("first", "deep"):
            p95 = r[case]["p95_ms"]
            value = f"{r[case]['p50_ms']:.1f} / {p95:.1f} ms"
            what = f"{name}: {case} page p50 / p95 ({r[case]['size']} items)"
            table.add(what, value, f"p95 < {TARGET_MS:.0f} ms", p95 < TARGET_MS)
        table.add(f"{name}: with_total count ({r['matching']:,} items)", f"p95 {r['count']['p95_ms']:.1f} ms")
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    store_arguments(p, "timed calls per case")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-attr-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
