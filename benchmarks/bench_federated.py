"""Federated training benchmark: local-only, federated (FedAvg) and centralised, in the same run.

    python benchmarks/bench_federated.py --train CSV --test CSV --label-col category [--sites 4] [--alpha 0.3] \\
        [--rounds 20] [--steps 50] [--seed 0] [--json OUT]

Steps:

1. **Data.** The train file is split over ``--sites`` sites with class skew: for each class, the shares of its
   rows per site are drawn from a Dirichlet(``alpha``) (McMahan et al.'s and Hsu et al.'s non-IID setting), with
   a generator seeded by ``--seed``; the slices are disjoint. The test file is the held-out set of every figure.
2. **Features.** The federated featurizer (hashed word and character n-grams, uniform IDF): the same for every
   model here, so the three differ only in which labels they learn from and how.
3. **Local-only**: each site trains its own head on its slice alone, with the library's default SGD training
   (``TrainConfig(mode="sgd")``: 20 passes, at least 500 steps); the figure is the mean test accuracy over the
   sites (and the worst and best).
4. **Federated**: ``--rounds`` rounds of FedAvg through :func:`labelhub.services.federated_train.run_rounds`, the
   coordinator's code, with each site answering as ``POST .../federated/round`` does (the body and the answer
   are the same safetensors bytes), in this process instead of over HTTP. Bytes per round: every body sent and
   every answer received.
5. **Centralised**: all the train labels pooled, the same default SGD training: the upper bound.

Target: none in the roadmap. The federated accuracy is expected between the local mean and the centralised one.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from _util import Table, log, machine_load, report, run_record, text_data_args


def read_csv(path: Path, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = [(r[text_col], r[label_col]) for r in csv.DictReader(f)]
    return [t for t, _ in rows], [c for _, c in rows]


def dirichlet_split(y: np.ndarray, n_classes: int, sites: int, alpha: float, seed: int) -> list[np.ndarray]:
    """Disjoint row indices per site; each class's rows go to the sites in Dirichlet(alpha) shares."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(sites)]
    for c in range(n_classes):
        rows = rng.permutation(np.flatnonzero(y == c))
        cuts = (np.cumsum(rng.dirichlet([alpha] * sites))[:-1] * len(rows)).astype(int)
        for site, chunk in enumerate(np.split(rows, cuts)):
            parts[site] += chunk.tolist()
    return [np.sort(np.array(p, dtype=np.int64)) for p in parts]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    text_data_args(p, train_help="CSV of the train texts and labels, split over the sites")
    p.add_argument("--sites", type=int, default=4)
    p.add_argument("--alpha", type=float, default=0.3, help="Dirichlet concentration of the class skew")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--steps", type=int, default=50, help="local steps per round (rounded up to whole passes)")
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    from labelhub.assist.config import TrainConfig, TrainMode
    from labelhub.assist.federated import (
        FeatureSettings,
        RoundSettings,
        accuracy,
        decode_state,
        encode_state,
        federated_featurizer,
        local_round,
    )
    from labelhub.assist.train import threads, train_head
    from labelhub.services.federated_train import FederatedSpec, RoundReport, Site, run_rounds

    out: dict[str, Any] = run_record(args)
    train_x, train_y = read_csv(args.train, args.text_col, args.label_col)
    test_x, test_y = read_csv(args.test, args.text_col, args.label_col)
    classes = sorted(set(train_y))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in train_y])
    keep = [i for i, c in enumerate(test_y) if c in index]
    y_test = np.array([index[test_y[i]] for i in keep])
    feats = federated_featurizer(FeatureSettings())
    x, x_test = feats.transform(train_x), feats.transform([test_x[i] for i in keep])
    parts = dirichlet_split(y, len(classes), args.sites, args.alpha, args.seed)
    out["sites"] = [{"labels": len(part), "classes": len(np.unique(y[part]))} for part in parts]
    log(f"{len(classes)} classes; sites: {out['sites']}")
    spec = FederatedSpec(rounds=args.rounds, steps=args.steps, lr=args.lr, seed=args.seed)
    settings = spec.settings(classes, 1)
    default_sgd = TrainConfig(mode=TrainMode.SGD, seed=args.seed)

    def held_out(model: Any) -> float:
        state = {k: v.detach() for k, v in model.head.state_dict().items()}
        return accuracy(state, settings, x_test, y_test)

    with threads(1):
        t0 = time.monotonic()
        local = [held_out(train_head(x[part], y[part], len(classes), default_sgd)) for part in parts]
        local_s = time.monotonic() - t0
        log(f"local-only: {[round(a, 4) for a in local]} in {local_s:.1f} s")

        sites = [Site(url=f"site-{i}", token="-") for i in range(args.sites)]
        rows = {s.url: part for s, part in zip(sites, parts, strict=True)}

        def post(site: Site, body: bytes) -> bytes:  # what POST .../federated/round does, without the database
            state, meta = decode_state(body)
            round_settings = RoundSettings.from_json(json.loads(meta["settings"]))
            part = rows[site.url]
            new, _ = local_round(state, x[part], y[part], round_settings)
            return encode_state(new, {"examples": str(len(part))})

        def show(r: RoundReport) -> None:
            log(f"round {r.round}: accuracy {r.accuracy:.4f}, {(r.bytes_sent + r.bytes_received) / 1e6:.1f} MB")

        t0 = time.monotonic()

        def evaluate(state: Any, s: RoundSettings) -> float:
            return accuracy(state, s, x_test, y_test)

        final, reports = run_rounds(sites, classes, spec, post, evaluate=evaluate, on_round=show)
        federated_s = time.monotonic() - t0
        del final
        t0 = time.monotonic()
        central = held_out(train_head(x, y, len(classes), default_sgd))
        central_s = time.monotonic() - t0
    fed = reports[-1].accuracy or 0.0
    per_round = reports[-1].bytes_sent + reports[-1].bytes_received
    out["load"]["end"] = machine_load()
    out |= {"local": local, "federated_by_round": [r.accuracy for r in reports], "centralised": central,
            "bytes_per_round": per_round, "seconds": {"local": local_s, "federated": federated_s,
                                                      "centralised": central_s}}  # fmt: skip
    table = Table(f"Federated training, {len(classes)} classes, {args.sites} sites (Dirichlet {args.alpha}), "
                  f"{args.rounds} rounds x {args.steps} steps")  # fmt: skip
    table.add(
        "local-only test accuracy, mean (worst-best)", f"{np.mean(local):.4f} ({min(local):.4f}-{max(local):.4f})"
    )
    table.add("federated test accuracy", f"{fed:.4f}", "> local mean", fed > float(np.mean(local)))
    table.add("centralised test accuracy (upper bound)", f"{central:.4f}")
    table.add(
        "federated, share of the centralised gap closed",
        f"{(fed - np.mean(local)) / max(central - np.mean(local), 1e-9):.2f}",
    )
    table.add("bytes per round (all sites, both ways)", f"{per_round / 1e6:.1f} MB")
    table.add("wall time local / federated / centralised, s", f"{local_s:.1f} / {federated_s:.1f} / {central_s:.1f}")
    table.add_load(out)
    return report(out, table, args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
