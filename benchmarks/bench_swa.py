"""Training-mode benchmark: SGD, SWA and SWAG on the same text data and seeds; calibration and auto-accept.

    python benchmarks/bench_swa.py --train CSV --test CSV [--text-col text --label-col label] [--seeds 5] \\
        [--json OUT]

Steps (every figure is printed next to its target, with PASS/MISS):

1. **Data.** Two CSV files with a header; ``--text-col`` holds the text, ``--label-col`` the class name.
   Classes are the train file's; test rows with a class the train file lacks are left out (and counted).
2. **Features.** :class:`labelhub.assist.TextFeaturizer` (hashed word and character n-grams, TF-IDF)
   fitted on the train texts.
3. **Per seed** (0 .. seeds-1): a held-out slice of the train rows (``--held-out``, 10 %, chosen with the
   seed) is kept back; the head is trained on the rest with the library's default :class:`TrainConfig`,
   once per mode (``sgd``, ``swa``, ``swag``), same seed, same rows. On the test file: accuracy, NLL and
   ECE (15 bins) of the raw model, then the same after temperature scaling fitted on the held-out slice.
4. **Auto-accept.** On the held-out slice, the calibrated top-class scores and whether they were right go
   to :func:`labelhub.assist.suggest_bands` (target precision 0.98); at the upper bound it suggests, the
   test items above it count as auto-accepted: their precision and their share of the test set.

Targets: SWA accuracy >= SGD accuracy; SWAG ECE <= half of SGD's (both before temperature scaling: that is
what the training mode itself does); auto-accepted precision >= 0.98 with the default mode (SWAG).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from _util import Table, log, machine_info, machine_load, report, text_data_args

MODES = ("sgd", "swa", "swag")
TARGET_PRECISION = 0.98


def read_csv(path: Path, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    """Return the texts and labels of a CSV file with a header; exit with a message naming a missing column."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        for col in (text_col, label_col):
            if col not in cols:
                raise SystemExit(f"{path}: no column {col!r}; the columns are {', '.join(cols)}")
        rows = [(r[text_col], r[label_col]) for r in reader]
    return [t for t, _ in rows], [lab for _, lab in rows]


def load(args: argparse.Namespace) -> dict[str, Any]:
    """Read both files and map the labels to class indices (the train file's classes, sorted)."""
    train_x, train_y = read_csv(args.train, args.text_col, args.label_col)
    test_x, test_y = read_csv(args.test, args.text_col, args.label_col)
    classes = sorted(set(train_y))
    index = {c: i for i, c in enumerate(classes)}
    keep = [i for i, c in enumerate(test_y) if c in index]
    return {"classes": classes, "train_texts": train_x, "train_y": np.array([index[c] for c in train_y]),
            "test_texts": [test_x[i] for i in keep], "test_y": np.array([index[test_y[i]] for i in keep]),
            "test_unknown_class": len(test_y) - len(keep)}  # fmt: skip


def mean_std(values: Sequence[float]) -> dict[str, float]:
    """Mean and standard deviation over the seeds that have a value (NaN: the auto-accepted precision of a seed
    whose band accepted nothing); ``n`` counts them, ``of`` all seeds."""
    kept = [v for v in values if not math.isnan(v)]
    if not kept:
        return {"mean": float("nan"), "std": float("nan"), "n": 0, "of": len(values)}
    return {"mean": statistics.fmean(kept), "std": statistics.stdev(kept) if len(kept) > 1 else 0.0,
            "n": len(kept), "of": len(values)}  # fmt: skip


def fmt(ms: dict[str, float], digits: int = 4) -> str:
    if ms.get("n", 1) == 0:
        return "none (nothing auto-accepted)"
    shown = f"{ms['mean']:.{digits}f} ± {ms['std']:.{digits}f}"
    return shown if ms.get("n") == ms.get("of") else f"{shown} ({ms['n']} of {ms['of']} seeds)"


def ece_floor(probs: Any, seed: int, draws: int = 200) -> float:
    """The ECE a perfectly calibrated model with these confidences would show on this many items (mean of draws).

    Each test item is redrawn as right with probability equal to its top-class confidence, ``draws`` times;
    the ECE of each draw is pure sampling noise of the 15-bin estimator. A measured ECE near this figure
    cannot be lowered by any calibration: it is what the test set's size allows one to see.
    """
    from labelhub.assist import ece

    conf = np.asarray(probs).max(axis=1)
    pred = np.asarray(probs).argmax(axis=1)
    rng = np.random.default_rng(seed)
    wrong = (pred + 1) % np.asarray(probs).shape[1]
    return statistics.fmean(ece(probs, np.where(rng.random(len(conf)) < conf, pred, wrong)) for _ in range(draws))


def run_seed(data: dict[str, Any], x_train: Any, x_test: Any, seed: int, held_out: float) -> dict[str, Any]:
    """Train the three modes on one split; return their test figures and the auto-accept figures."""
    from labelhub.assist import TrainConfig, ece, fit_temperature, nll, suggest_bands, train_head

    y, y_test, n_classes = data["train_y"], data["test_y"], len(data["classes"])
    order = np.random.default_rng(seed).permutation(len(y))
    n_out = round(len(y) * held_out)
    fit_rows, out_rows = np.sort(order[n_out:]), np.sort(order[:n_out])
    out: dict[str, Any] = {}
    for mode in MODES:
        t0 = time.perf_counter()
        model = train_head(x_train[fit_rows], y[fit_rows], n_classes, TrainConfig(mode=mode, seed=seed))
        train_s = time.perf_counter() - t0
        raw = model.predict_proba(x_test)
        model = model.with_temperature(fit_temperature(model.logit_samples(x_train[out_rows]), y[out_rows]))
        cal = model.predict_proba(x_test)
        held = model.predict_proba(x_train[out_rows])
        suggestion = suggest_bands(held.max(axis=1), held.argmax(axis=1) == y[out_rows],
                                   target_precision=TARGET_PRECISION)  # fmt: skip
        upper = suggestion.bands.upper
        accepted = cal.max(axis=1) > upper
        right = cal.argmax(axis=1) == y_test
        out[mode] = {
            "accuracy": float((raw.argmax(axis=1) == y_test).mean()), "nll": nll(raw, y_test), "ece": ece(raw, y_test),
            "ece_floor": ece_floor(raw, seed),
            "temperature": model.temperature, "nll_calibrated": nll(cal, y_test), "ece_calibrated": ece(cal, y_test),
            "bands": {"lower": suggestion.bands.lower, "upper": upper, "reached": suggestion.reached,
                      "held_out_precision": suggestion.accepted_precision,
                      "held_out_share": suggestion.accepted_share},
            "auto_accept_precision": float(right[accepted].mean()) if accepted.any() else float("nan"),
            "auto_accept_share": float(accepted.mean()),
            "train_s": round(train_s, 2), "predict_s": round(time.perf_counter() - t0 - train_s, 2),
        }  # fmt: skip
        log(f"seed {seed} {mode}: acc {out[mode]['accuracy']:.4f} nll {out[mode]['nll']:.4f} "
            f"ece {out[mode]['ece']:.4f} (floor {out[mode]['ece_floor']:.4f}) T {model.temperature:.3f} "
            f"ece(T) {out[mode]['ece_calibrated']:.4f} "
            f"auto {out[mode]['auto_accept_share']:.3f} @ {out[mode]['auto_accept_precision']:.4f} "
            f"({train_s:.1f} s)")  # fmt: skip
    return out


def text_encoder(args: argparse.Namespace) -> Any:
    """The pretrained sentence encoder of ``--text-encoder`` (its vectors join the n-gram features), or None."""
    if not args.text_encoder:
        return None
    from labelhub.search.sentence import load_encoder

    enc = load_encoder(args.text_encoder)
    log(f"text encoder {enc.path} ({enc.dim}-d, fingerprint {enc.version})")
    return enc


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from labelhub.assist import TextFeaturizer, TrainConfig

    torch.set_num_threads(args.threads)

    out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()},
                           "config": {k: str(v) for k, v in vars(args).items() if k != "json"},
                           "train_config": {k: str(getattr(TrainConfig(), k)) for k in TrainConfig.__slots__},
                           "torch_threads": torch.get_num_threads()}  # fmt: skip
    data = load(args)
    out["data"] = {"train": len(data["train_y"]), "test": len(data["test_y"]), "classes": len(data["classes"]),
                   "test_unknown_class": data["test_unknown_class"]}  # fmt: skip
    log(f"{out['data']}")
    t0 = time.perf_counter()
    featurizer = TextFeaturizer(encoder=text_encoder(args)).fit(data["train_texts"])
    x_train, x_test = featurizer.transform(data["train_texts"]), featurizer.transform(data["test_texts"])
    out["features_s"] = round(time.perf_counter() - t0, 2)
    runs = [run_seed(data, x_train, x_test, seed, args.held_out) for seed in range(args.seeds)]
    out["runs"] = runs
    keys = ("accuracy", "nll", "ece", "ece_floor", "temperature", "nll_calibrated", "ece_calibrated",
            "auto_accept_precision", "auto_accept_share", "train_s")  # fmt: skip
    out["summary"] = {m: {k: mean_std([r[m][k] for r in runs]) for k in keys} for m in MODES}
    out["load"]["end"] = machine_load()
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    return out


def verdicts(out: dict[str, Any]) -> Table:
    s, m, d = out["summary"], out["machine"], out["data"]
    table = Table(f"labelhub training modes: {d['train']} train / {d['test']} test texts, {d['classes']} classes, "
                  f"{len(out['runs'])} seeds, {m['cpus']} CPUs ({m['cpu_model']}), {m['date']}")  # fmt: skip
    for mode in MODES:
        r = s[mode]
        table.add(f"{mode}: accuracy", fmt(r["accuracy"]))
        table.add(f"{mode}: NLL / ECE", f"{fmt(r['nll'])} / {fmt(r['ece'])}")
        table.add(f"{mode}: ECE of a perfectly calibrated model with these scores", fmt(r["ece_floor"]))
        table.add(f"{mode}: after temperature, NLL / ECE", f"{fmt(r['nll_calibrated'])} / {fmt(r['ece_calibrated'])}")
        table.add(f"{mode}: temperature", fmt(r["temperature"], 3))
    sgd, swa, swag = s["sgd"], s["swa"], s["swag"]
    table.add("SWA accuracy vs SGD", f"{swa['accuracy']['mean']:.4f} vs {sgd['accuracy']['mean']:.4f}", ">= SGD",
              swa["accuracy"]["mean"] >= sgd["accuracy"]["mean"])  # fmt: skip
    ratio = swag["ece"]["mean"] / sgd["ece"]["mean"] if sgd["ece"]["mean"] > 0 else float("inf")
    table.add("SWAG ECE / SGD ECE (before temperature)", f"{ratio:.2f}", "<= 0.50", ratio <= 0.5)
    for mode in MODES:
        r = s[mode]
        target, ok = ("", None)
        if mode == "swag":
            p = r["auto_accept_precision"]["mean"]
            target, ok = f">= {TARGET_PRECISION}", (p >= TARGET_PRECISION) if not math.isnan(p) else None
        table.add(f"{mode}: auto-accepted precision, test", fmt(r["auto_accept_precision"]), target, ok)
        table.add(f"{mode}: share auto-accepted, test", fmt(r["auto_accept_share"], 3))
    table.add("training seconds per model (sgd / swa / swag)",
              " / ".join(f"{s[mode]['train_s']['mean']:.1f}" for mode in MODES))  # fmt: skip
    table.add_load(out)
    table.add("wall time, s", f"{out['wall_s']:.0f}")
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    text_data_args(p, train_help="CSV of the training texts and labels")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (at least 5 for the figures)")
    p.add_argument("--held-out", type=float, default=0.1, help="share of the train rows kept for calibration")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="PyTorch threads (1: steady figures on a shared machine; small batches gain little from more)",
    )
    p.add_argument(
        "--text-encoder",
        help="folder of a pretrained sentence-transformers model whose vectors join "
        "the n-gram features (default: n-grams alone)",
    )
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when a target is missed")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error("--seeds must be >= 1")
    if not 0 < args.held_out < 0.5:
        p.error("--held-out must be in (0, 0.5)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    return report(out, verdicts(out), args.json, fail_on_miss=args.fail_on_miss)


if __name__ == "__main__":
    sys.exit(main())
