"""Labelling-queue and pre-labelling benchmark: how long a person waits for "next", with a SWAG text model.

    python benchmarks/bench_queue.py --train CSV [--text-col text --label-col label] [--every 33] \\
        [--strategies margin,hybrid,badge,bald] [--mode swag] [--json OUT]

Steps, on a fresh SQLite home in a temporary folder (the embedded default):

1. **Project.** A text project of every row of ``--train``, imported through the normal CSV import; one row in
   ``--every`` keeps its label (BANKING77: 304 labels of 10,003 rows), the rest are to label.
2. **Model.** One training job of the default text classifier in ``--mode`` (SWAG by default, as a project
   gets it), run in this process.
3. **Queue.** Per strategy, ``GET .../queue`` as the service answers it: the first ranking (the model scores
   the pool: at most 5,000 items), the same call again, then a label saved on the queue's first item and the
   call once more (what the editor's "next" waits for after each label). Also whether a list of 1, 5, 10 and
   50 items starts with the same item ("next" opens the panel's first).
4. **Pre-labelling.** One pre-labelling job over every unlabelled item with the model, timed.

No target is set by an issue; the figures say what a person waits for. Timings depend on the machine's load,
printed at the start and the end.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _util import Table, log, machine_info, machine_load, report

STRATEGIES = "margin,hybrid,badge,bald"


def build(home: Path, args: argparse.Namespace) -> tuple[Any, int, int]:
    """Import the CSV (one label in ``--every`` kept) and train one model; return the hub, project and rows."""
    from labelhub.config import Settings
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.formats import ImportOptions
    from labelhub.hub import Hub
    from labelhub.jobs.executor import LocalExecutor
    from labelhub.services import models as model_service
    from labelhub.services.access import Actor
    from labelhub.services.imports import import_source
    from labelhub.services.projects import create_project

    with args.train.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    source = home / "rows.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "category"])
        for i, r in enumerate(rows):
            w.writerow([r[args.text_col], r[args.label_col] if i % args.every == 0 else ""])
    hub = Hub.open(Settings(home=home / "home", dev=True))
    system = Actor.system()
    with hub.db.session(write=True) as s:
        pid = create_project(s, system, "queue", item_kind=ItemKind.TEXT, schema=LabelSchema.from_names([])).id
    options = ImportOptions(media="none", extra={"label_column": "category"})
    import_source(hub, system, pid, source, fmt="text", options=options)
    with hub.db.session(write=True) as s:
        model_service.queue_training(s, system, pid, model_service.TrainSpec(kind="text_classifier", mode=args.mode))
    executor = LocalExecutor(hub)
    while executor.run_once():
        pass
    return hub, pid, len(rows)


def timed_queue(hub: Any, pid: int, strategy: str, limit: int = 10) -> tuple[float, list[int]]:
    from labelhub.services.access import Actor
    from labelhub.services.queue import queue

    t0 = time.perf_counter()
    with hub.db.session() as s:
        view = queue(s, hub, Actor.system(), pid, strategy=strategy, limit=limit)
    return time.perf_counter() - t0, [e.id for e in view.items]


def label_first(hub: Any, pid: int, item_id: int) -> None:
    """Save a class label on the item, as the editor does (the class is the project's first)."""
    from labelhub.domain.enums import AnnotationKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.services.access import Actor
    from labelhub.services.annotations import AnnotationInput, replace_annotations
    from labelhub.storage.models import Item, Project

    with hub.db.session(write=True) as s:
        item = s.get_one(Item, item_id)
        label = LabelSchema.from_json(s.get_one(Project, pid).label_schema).names[0]
        replace_annotations(s, Actor.system(), pid, item_id, expected_version=item.version,
                            annotations=[AnnotationInput(kind=AnnotationKind.CLASS, label=label)])  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()},
                           "config": {k: str(v) for k, v in vars(args).items() if k != "json"}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-queue-") as tmp:
        t0 = time.perf_counter()
        hub, pid, n = build(Path(tmp), args)
        out["setup_s"] = round(time.perf_counter() - t0, 1)
        log(f"{n} items, model trained in {out['setup_s']} s (with the import)")
        per: dict[str, dict[str, Any]] = {}
        for name in args.strategies:
            first, ids = timed_queue(hub, pid, name)
            again, _ = timed_queue(hub, pid, name)
            label_first(hub, pid, ids[0])
            after, _ = timed_queue(hub, pid, name)
            firsts = {timed_queue(hub, pid, name, limit)[1][0] for limit in (1, 5, 10, 50)}
            per[name] = {"first_s": round(first, 3), "again_s": round(again, 3), "after_label_s": round(after, 3),
                         "same_first_item_for_any_limit": len(firsts) == 1}  # fmt: skip
            log(f"{name}: first {first:.2f} s, again {again:.3f} s, after a label {after:.2f} s")
        out["queue"] = per
        from labelhub.services.access import Actor
        from labelhub.services.prelabel import start_prelabel
        from labelhub.storage.models import Job

        with hub.db.session(write=True) as s:
            job_id = start_prelabel(s, Actor.system(), pid).id
        from labelhub.jobs.executor import LocalExecutor

        t0 = time.perf_counter()
        LocalExecutor(hub).run_once()
        out["prelabel_s"] = round(time.perf_counter() - t0, 1)
        with hub.db.session() as s:
            job = s.get_one(Job, job_id)
            out["prelabel"] = {"status": job.status, **(job.result or {})}
        out["prelabel"].pop("errors", None)
        hub.close()
    out["load"]["end"] = machine_load()
    return out


def verdicts(out: dict[str, Any]) -> Table:
    m = out["machine"]
    table = Table(f"labelhub labelling queue ({out['config']['mode']} text model), {m['cpus']} CPUs "
                  f"({m['cpu_model']}), {m['date']}")  # fmt: skip
    for name, q in out["queue"].items():
        table.add(f"{name}: first ranking / same call again, s", f"{q['first_s']:.2f} / {q['again_s']:.3f}")
        table.add(f"{name}: ranking after a label (what 'next' waits for), s", f"{q['after_label_s']:.2f}")
        table.add(f"{name}: lists of 1, 5, 10 and 50 start with one item", str(q["same_first_item_for_any_limit"]))
    p = out["prelabel"]
    table.add("pre-labelling, s (items)", f"{out['prelabel_s']:.1f} ({p.get('items', 0):,})")
    table.add("  accepted / proposed / dropped", f"{p.get('accepted', 0):,} / {p.get('proposed', 0):,} / "
              f"{p.get('dropped', 0):,}")  # fmt: skip
    table.add_load(out)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--train", type=Path, required=True, help="CSV of texts and their labels (the project's rows)")
    p.add_argument("--text-col", default="text", help="column holding the text")
    p.add_argument("--label-col", default="label", help="column holding the class name")
    p.add_argument("--every", type=int, default=33, help="keep the label of one row in this many")
    p.add_argument("--mode", default="swag", choices=["sgd", "swa", "swag"], help="training mode of the model")
    p.add_argument("--strategies", default=STRATEGIES, help="comma-separated queue strategies")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    args.strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if args.every < 1:
        p.error("--every must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
