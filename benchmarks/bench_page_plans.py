"""PostgreSQL: an unfiltered item page in id order, as labelhub reads it now and as it read it before, side by side.

    python benchmarks/bench_scale.py --db postgres --items 1000000 --workdir /tmp/scale-pg --export none --keep
    python benchmarks/bench_page_plans.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/labelhub_scale

Before, a page was ``project_id = p ORDER BY id`` (``filtered_items`` + ``ordered``, still the path of every
filtered page); PostgreSQL often walked the primary key and first skipped the rows of the projects created before
``p``. Now it is ``project_id BETWEEN p AND p ORDER BY project_id, id`` (``whole_project_page``), which only the
(project_id, id) index can give in order. For every project of the database, the first page and pages at 10 %,
50 % and 99.9 % of its ids (keyset ``after``): the two statements run in turn (``--tries`` times each, the order
alternating), in one session, SQL and row loading only (no HTTP); p50 ms of each and the ratio before / now.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from labelhub.services.item_order import ItemOrder, ordered, whole_project_page
from labelhub.services.items import ItemFilter, filtered_items
from labelhub.storage.db import Database
from labelhub.storage.models import Item, Project

DEPTHS = (("first", None), ("10%", 0.10), ("50%", 0.50), ("99.9%", 0.999))
PAGE = 100


def _time(session: Session, stmt: Select[Item]) -> float:
    started = time.perf_counter()
    rows = list(session.scalars(stmt))
    elapsed = (time.perf_counter() - started) * 1000
    session.expunge_all()
    if not rows:
        raise SystemExit("a page came back empty: is this the database a bench_scale.py --keep run left?")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db-url", required=True, help="a PostgreSQL database with projects (bench_scale.py --keep)")
    p.add_argument("--tries", type=int, default=60, help="timed runs of each statement per case")
    args = p.parse_args()
    db = Database(args.db_url)
    if db.dialect != "postgresql":
        raise SystemExit("this compares PostgreSQL plans; SQLite takes the (project_id, id) index by itself")
    print(f"{'project':>20} {'page':>6} {'before p50':>11} {'now p50':>9} {'before / now':>13}")
    with db.session() as s:
        projects = s.execute(select(Project.id, Project.name).order_by(Project.id)).all()
        for pid, name in projects:
            lo, hi = s.execute(select(func.min(Item.id), func.max(Item.id)).where(Item.project_id == pid)).one()
            if lo is None:
                continue
            for label, share in DEPTHS:
                after = None if share is None else int(lo + (hi - lo) * share) - 2 * PAGE
                before = ordered(filtered_items(pid, ItemFilter()), ItemOrder.ID, after=after).limit(PAGE)
                now = whole_project_page(pid, ItemOrder.ID, after=after).limit(PAGE)
                times: dict[str, list[float]] = {"before": [], "now": []}
                for i in range(args.tries):
                    pair = (("before", before), ("now", now)) if i % 2 else (("now", now), ("before", before))
                    for key, stmt in pair:
                        times[key].append(_time(s, stmt))
                b, n = statistics.median(times["before"]), statistics.median(times["now"])
                print(f"{name[:20]:>20} {label:>6} {b:>8.2f} ms {n:>6.2f} ms {b / n:>12.1f}x")
    db.dispose()


if __name__ == "__main__":
    main()
