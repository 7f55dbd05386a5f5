"""Active-learning benchmark: test accuracy against labels used, per strategy, with a simulated labeller.

    python benchmarks/bench_active.py --train CSV --test CSV [--text-col text --label-col label] \\
        --seed-labels 100 --batch 100 --budget 2000 --strategies random,entropy,margin,bald,kcenter,hybrid \\
        --seeds 3 [--jobs 1] [--json OUT]

Steps:

1. **Data.** As in ``bench_swa.py``: the train file is the unlabelled pool, the test file the yardstick.
2. **Features.** :class:`labelhub.assist.TextFeaturizer` fitted on the pool's texts (no labels: a project
   has its texts before it has labels); the pool's LSA embeddings serve ``kcenter`` and ``hybrid``.
3. **Loop, per seed and strategy.** ``--seed-labels`` random pool items are labelled (the same items for
   every strategy of a seed). Then, until ``--budget`` labels: train the assist model (the library's
   default :class:`TrainConfig`, SWAG, seed = the run's seed) on the labelled items, measure test accuracy,
   predict the rest of the pool (SWAG samples and their mean), let the strategy pick ``--batch`` items and
   the simulated labeller answer with their true labels. Accuracy is also measured at the budget.
4. **Figures.** Per strategy, the mean test accuracy over seeds at each label count; the normalised area
   under that curve (mean accuracy over the label range, trapezoids); and the labels the strategy needs to
   reach random's mean accuracy at the full budget (first label count whose mean accuracy is at least that).

Target: the best strategy needs at most half the labels random needs (random needs the full budget).

``--jobs N`` runs N (strategy, seed) loops side by side in forked processes, each with ``--threads`` PyTorch
threads; every loop is seeded on its own, so the figures do not depend on N (only the seconds do).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from _util import Table, log, machine_info, machine_load, report, text_data_args
from bench_swa import load, text_encoder

TARGET_RATIO = 0.5


def run_strategy(name: str, seed: int, ctx: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Run one active-learning loop; return the label counts, test accuracies and seconds."""
    from labelhub.assist import Pool, TrainConfig, select, train_head

    y, y_test, n_classes = ctx["train_y"], ctx["test_y"], len(ctx["classes"])
    x, x_test, emb = ctx["x_pool"], ctx["x_test"], ctx["emb_pool"]
    labelled = list(np.random.default_rng(seed).permutation(len(y))[: args.seed_labels])
    counts: list[int] = []
    accuracy: list[float] = []
    t0 = time.perf_counter()
    while True:
        rows = np.asarray(labelled, dtype=np.int64)
        model = train_head(x[rows], y[rows], n_classes, TrainConfig(seed=seed))
        counts.append(len(rows))
        accuracy.append(float((model.predict(x_test) == y_test).mean()))
        if len(rows) >= args.budget:
            break
        rest = np.setdiff1d(np.arange(len(y)), rows)
        samples = model.sample_proba(x[rest])
        pool = Pool(probs=samples.mean(axis=0), samples=samples, embeddings=emb[rest], labelled=emb[rows])
        picked = select(name, pool, min(args.batch, args.budget - len(rows)), seed=seed + len(rows))
        labelled.extend(int(i) for i in rest[picked])
    seconds = time.perf_counter() - t0
    log(f"seed {seed} {name}: " + ", ".join(f"{c}:{a:.3f}" for c, a in zip(counts, accuracy, strict=True))
        + f" ({seconds:.0f} s)")  # fmt: skip
    return {"labels": counts, "accuracy": accuracy, "seconds": round(seconds, 1)}


_SHARED: dict[str, Any] = {}


def _worker(task: tuple[str, int]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(_SHARED["args"].threads)
    return run_strategy(task[0], task[1], _SHARED["ctx"], _SHARED["args"])


def run_all(tasks: list[tuple[str, int]], ctx: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the (strategy, seed) loops, in ``--jobs`` forked processes; each loop's result does not depend on it."""
    if args.jobs <= 1:
        return [run_strategy(name, seed, ctx, args) for name, seed in tasks]
    import multiprocessing

    _SHARED.update(ctx=ctx, args=args)  # inherited by the forked workers, not pickled
    with multiprocessing.get_context("fork").Pool(args.jobs) as workers:
        return list(workers.imap(_worker, tasks, chunksize=1))


def area(counts: Sequence[int], acc: Sequence[float]) -> float:
    """Normalised area under accuracy-vs-labels (the curve's mean height over its label range)."""
    c, a = np.asarray(counts, dtype=np.float64), np.asarray(acc, dtype=np.float64)
    if len(c) < 2:
        return float(a[0])
    return float(np.sum((a[1:] + a[:-1]) / 2 * np.diff(c)) / (c[-1] - c[0]))


def labels_to_reach(counts: Sequence[int], acc: Sequence[float], level: float) -> int | None:
    """First label count whose accuracy is at least ``level``; None when the curve never gets there."""
    for c, a in zip(counts, acc, strict=True):
        if a >= level - 1e-12:
            return int(c)
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from labelhub.assist import TextFeaturizer, TrainConfig

    torch.set_num_threads(args.threads)
    defaults = TrainConfig()
    out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()},
                           "config": {k: str(v) for k, v in vars(args).items() if k != "json"},
                           "train_config": {k: str(getattr(defaults, k)) for k in TrainConfig.__slots__}}  # fmt: skip
    data = load(args)
    out["data"] = {"pool": len(data["train_y"]), "test": len(data["test_y"]), "classes": len(data["classes"])}
    t0 = time.perf_counter()
    featurizer = TextFeaturizer(encoder=text_encoder(args)).fit(data["train_texts"])
    x_pool = featurizer.transform(data["train_texts"])
    ctx = {**data, "x_pool": x_pool, "x_test": featurizer.transform(data["test_texts"]),
           "emb_pool": featurizer.embed(rows=x_pool)}  # fmt: skip
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = [(name, seed) for seed in seeds for name in args.strategies]
    results = run_all(tasks, ctx, args)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in args.strategies}
    for (name, _seed), result in zip(tasks, results, strict=True):
        runs[name].append(result)
    out["runs"] = runs
    curves = {}
    for name, rs in runs.items():
        counts = rs[0]["labels"]
        mean = np.mean([r["accuracy"] for r in rs], axis=0)
        curves[name] = {"labels": counts, "accuracy": [round(float(a), 4) for a in mean], "auc": area(counts, mean),
                        "accuracy_std_at_budget": float(np.std([r["accuracy"][-1] for r in rs])),
                        "seconds_per_run": float(np.mean([r["seconds"] for r in rs]))}  # fmt: skip
    if "random" in curves:
        level = curves["random"]["accuracy"][-1]
        out["random_final_accuracy"] = level
        for c in curves.values():
            c["labels_to_random_final"] = labels_to_reach(c["labels"], c["accuracy"], level)
    out["curves"] = curves
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    out["load"]["end"] = machine_load()
    return out


def verdicts(out: dict[str, Any], args: argparse.Namespace) -> Table:
    m, d, curves = out["machine"], out["data"], out["curves"]
    table = Table(f"labelhub active learning: pool {d['pool']}, test {d['test']}, {d['classes']} classes, "
                  f"{args.seed_labels} seed labels + {args.batch} per round to {args.budget}, "
                  f"{args.seeds} seeds from {args.first_seed}, {m['cpus']} CPUs ({m['cpu_model']}), "
                  f"{m['date']}")  # fmt: skip
    marks = [c for c in (args.seed_labels, 500, 1000, args.budget) if c in curves[args.strategies[0]]["labels"]]
    for name, c in curves.items():
        at = ", ".join(f"{n}: {c['accuracy'][c['labels'].index(n)]:.3f}" for n in marks)
        table.add(f"{name}: test accuracy (labels: accuracy)", at)
        reach = c.get("labels_to_random_final")
        table.add(f"{name}: area under curve / labels to random's final", f"{c['auc']:.4f} / "
                  + (str(reach) if reach is not None else f"> {args.budget}"))  # fmt: skip
    if "random" in curves:
        random_needs = curves["random"]["labels_to_random_final"]
        others = {n: c["labels_to_random_final"] for n, c in curves.items() if n != "random"}
        reached = {n: v for n, v in others.items() if v is not None}
        if reached:
            best = min(reached, key=lambda n: (reached[n], -curves[n]["auc"]))
            ratio = reached[best] / random_needs
            table.add(f"best strategy ({best}): labels / random's labels", f"{reached[best]} / {random_needs} = "
                      f"{ratio:.2f}", f"<= {TARGET_RATIO}", ratio <= TARGET_RATIO)  # fmt: skip
        else:
            table.add("best strategy: labels / random's labels", "none reached it", f"<= {TARGET_RATIO}", False)
        table.add("random's accuracy at the budget", f"{out['random_final_accuracy']:.4f}")
    table.add("seconds per loop (mean)", ", ".join(f"{n} {c['seconds_per_run']:.0f}" for n, c in curves.items()))
    table.add_load(out)
    table.add("wall time, s", f"{out['wall_s']:.0f}")
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from labelhub.assist import strategy_names

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    text_data_args(p, train_help="CSV of the pool (texts and their true labels)")
    p.add_argument("--seed-labels", type=int, default=100, help="random labels to start from")
    p.add_argument("--batch", type=int, default=100, help="labels per round")
    p.add_argument("--budget", type=int, default=2000, help="labels at the end")
    p.add_argument("--strategies", default="random,entropy,margin,bald,kcenter,hybrid",
                   help=f"comma-separated, from: {', '.join(strategy_names())}")  # fmt: skip
    p.add_argument("--seeds", type=int, default=3, help="seeds 0 .. N-1 (from --first-seed)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed (to add seeds to an earlier run)")
    p.add_argument("--threads", type=int, default=1, help="PyTorch threads per process")
    p.add_argument("--jobs", type=int, default=1, help="loops run side by side in forked processes (same figures)")
    p.add_argument(
        "--text-encoder",
        help="folder of a pretrained sentence-transformers model whose vectors join "
        "the n-gram features (default: n-grams alone)",
    )
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when a target is missed")
    args = p.parse_args(argv)
    args.strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in args.strategies if s not in strategy_names()]
    if unknown or not args.strategies:
        p.error(f"unknown strategies {unknown}; known: {', '.join(strategy_names())}")
    if "random" not in args.strategies:
        args.strategies.insert(0, "random")  # the yardstick every other strategy is measured against
    if not 0 < args.seed_labels <= args.budget or min(args.batch, args.seeds, args.jobs) < 1 or args.first_seed < 0:
        p.error("need 0 < --seed-labels <= --budget, --batch, --seeds and --jobs >= 1, --first-seed >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    return report(out, verdicts(out, args), args.json, fail_on_miss=args.fail_on_miss)


if __name__ == "__main__":
    sys.exit(main())
