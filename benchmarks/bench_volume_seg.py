"""Volume segmentation assistant benchmark: a U-Net trained on 30 labelled MSD hippocampus volumes, pre-labelling 10.

    python benchmarks/bench_volume_seg.py [--msd ../shared/data/medical_msd_hippocampus_subset40] [--test 10]
        [--seed 0] [--epochs N] [--json OUT]

1. **Data.** The 40 MRI volumes of ``--msd`` (Medical Segmentation Decathlon Task04, hippocampus crops of about
   35 x 50 x 35 voxels, labels 1 = anterior, 2 = posterior) imported through ``import_source(..., fmt="nifti",
   labels=anterior,posterior)`` into a fresh SQLite home. ``--test`` volumes (seeded) lose their masks (saved
   empty, so they are back to ``new``): nobody labelled them. The other 30 keep theirs (status ``labeled``: every
   slice counts).
2. **Training.** ``train_version`` of a ``volume_segmenter`` (the training job's body, one thread): wall time,
   and the Dice the version reports on its own held-out volumes (10 % of the 30).
3. **Pre-labelling.** ``run_prelabel`` with the new version over the project (the 10 unlabelled volumes): wall
   time per volume. The stored mask proposals of each test volume are painted back into a label map
   (``paint_label_map``) and compared with the true label map read from its file: 3-D Dice per class and volume,
   mean +- standard deviation over the 10. (Proposals below the project's lower band, 0.5, are not stored; they
   count as missing.)
4. **Baseline, same run, same test volumes:** a mean-shape prior, the voxel-wise majority label of the 30 training
   label maps after centring each in a common (largest) box; each test volume gets the centred crop of that prior
   at its own shape. The MSD crops are roughly aligned, so the prior is a fair guess without looking at the image.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from _store_setup import setup_hub
from _util import Table, log, machine_load, report, run_record, summarize_ms

CLASSES = ["anterior", "posterior"]


def dice(pred: np.ndarray, truth: np.ndarray, value: int) -> float:
    a, b = pred == value, truth == value
    total = int(a.sum() + b.sum())
    return 2.0 * int((a & b).sum()) / total if total else 1.0


def true_labels(path: Path) -> np.ndarray:
    """Return a label map file's voxels in RAS+ order (as labelhub holds the volume)."""
    import nibabel as nib

    from labelhub.domain.volume import canonical_order

    img = nib.load(str(path))
    data, _ = canonical_order(np.asarray(img.dataobj).astype(np.int64), np.asarray(img.affine, dtype=np.float64))
    return data


def centred(labels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``labels`` cropped or zero-padded about its centre to ``shape``."""
    out = np.zeros(shape, dtype=labels.dtype)
    src, dst = [], []
    for have, want in zip(labels.shape, shape, strict=True):
        if have >= want:
            start = (have - want) // 2
            src.append(slice(start, start + want))
            dst.append(slice(0, want))
        else:
            start = (want - have) // 2
            src.append(slice(0, have))
            dst.append(slice(start, start + have))
    out[tuple(dst)] = labels[tuple(src)]
    return out


def mean_shape_prior(train: list[np.ndarray]) -> np.ndarray:
    """Return the voxel-wise majority label of ``train`` centred in their common (largest) box."""
    box = tuple(max(a.shape[i] for a in train) for i in range(3))
    counts = np.zeros((len(CLASSES) + 1, *box), dtype=np.int32)
    for a in train:
        c = centred(a, box)
        for v in range(len(CLASSES) + 1):
            counts[v] += c == v
    return counts.argmax(axis=0)


def every_tenth_pass(fraction: float, message: str) -> None:
    """Log the training's progress every tenth pass (messages "pass 10/30, loss ...")."""
    head = message.split(",")[0]
    if not head.startswith("pass ") or int(head.split()[1].split("/")[0]) % 10 == 0:
        log(f"train {fraction:.0%}: {message}")


def summary(values: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4),
            "min": round(float(np.min(values)), 4)}  # fmt: skip


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from sqlalchemy import select

    from labelhub.assist.predictors import load_predictor
    from labelhub.domain.enums import AnnotationKind, ItemKind
    from labelhub.domain.records import AnnotationRecord
    from labelhub.domain.schema import LabelSchema
    from labelhub.formats import ImportOptions
    from labelhub.formats._volume_masks import paint_label_map
    from labelhub.services.annotations import replace_annotations
    from labelhub.services.imports import import_source
    from labelhub.services.model_jobs import train_version
    from labelhub.services.models import TrainSpec, item_inputs, model_ref
    from labelhub.services.prelabel import run_prelabel
    from labelhub.services.projects import create_project
    from labelhub.storage.models import Annotation, Item, ModelVersion

    out = run_record(args)
    home = work / "home"
    setup = setup_hub(home, f"sqlite:///{(home / 'labelhub.db').resolve()}")
    hub, actor = setup.hub, setup.actor
    with hub.db.session(write=True) as s:
        pid = create_project(s, actor, "msd", item_kind=ItemKind.VOLUME, schema=LabelSchema.from_names(CLASSES)).id
    t = time.perf_counter()
    import_source(hub, actor, pid, args.msd, fmt="nifti", options=ImportOptions(extra={"labels": ",".join(CLASSES)}))
    out["import_s"] = round(time.perf_counter() - t, 2)
    with hub.db.session() as s:
        items = {name: (iid, ver) for iid, name, ver in s.execute(
            select(Item.id, Item.name, Item.version).where(Item.project_id == pid).order_by(Item.name))}  # fmt: skip
    names = sorted(items)
    test = sorted(random.Random(args.seed).sample(names, args.test))
    train = [n for n in names if n not in test]
    log(f"imported {len(names)} volumes in {out['import_s']} s; {len(train)} labelled, {len(test)} to pre-label")
    for name in test:  # nobody labelled these: their masks go, and they are back to "new"
        with hub.db.session(write=True) as s:
            replace_annotations(s, actor, pid, items[name][0], expected_version=items[name][1], annotations=[])
    spec = TrainSpec(kind="volume_segmenter", seed=args.seed, epochs=args.epochs)
    t = time.perf_counter()
    mid = train_version(hub, actor, pid, spec, progress=every_tenth_pass)
    out["train_s"] = round(time.perf_counter() - t, 1)
    with hub.db.session() as s:
        mv = s.get(ModelVersion, mid)
        assert mv is not None
        m, tag = dict(mv.metrics), f"{mv.name}@{mv.version}"
        out["model"] = {k: m.get(k) for k in ("dice", "mean_dice", "n", "volumes", "slices", "steps", "train_seconds")}
    log(f"trained in {out['train_s']} s: validation Dice {m.get('dice')}")
    t = time.perf_counter()
    result = run_prelabel(hub, actor, pid, {"model_id": mid}, lambda f, msg: None)
    out["prelabel_s"] = round(time.perf_counter() - t, 2)
    out["prelabel_per_volume_s"] = round(out["prelabel_s"] / max(1, result["items"]), 3)
    out["prelabel"] = {k: result[k] for k in ("items", "proposed", "accepted", "dropped", "errors_total", "upper")}
    log(f"pre-labelled {result['items']} volumes in {out['prelabel_s']} s: {result}")
    # The prediction alone, per volume, with the model loaded (the job's time above also holds its first imports,
    # reading each item and writing the proposals).
    with hub.db.session() as s:
        version = s.get(ModelVersion, mid)
        assert version is not None
        ref, inputs = model_ref(hub, version), item_inputs(s, hub, pid, [items[n][0] for n in test])
    t = time.perf_counter()
    predictor = load_predictor(ref)
    out["model_load_s"] = round(time.perf_counter() - t, 3)
    seconds = []
    for one in inputs:
        t = time.perf_counter()
        predictor.predict([one])
        seconds.append(time.perf_counter() - t)
    out["predict_ms"] = summarize_ms(seconds)

    truths = {n: true_labels(args.msd / "labelsTr" / Path(n).name) for n in names}
    prior = mean_shape_prior([truths[n] for n in train])
    ours: dict[str, list[float]] = {c: [] for c in CLASSES}
    base: dict[str, list[float]] = {c: [] for c in CLASSES}
    values = {c: i + 1 for i, c in enumerate(CLASSES)}
    with hub.db.session() as s:
        for name in test:
            mine = (Annotation.item_id == items[name][0], Annotation.model_version == tag)
            rows = s.execute(select(Annotation.label, Annotation.geometry, Annotation.frame).where(*mine)).all()
            records = [AnnotationRecord(kind=AnnotationKind.MASK, label=r[0], geometry=r[1], frame=r[2]) for r in rows]
            truth = truths[name]
            painted = paint_label_map(records, truth.shape, values).labels
            guess = centred(prior, truth.shape)
            for c, v in values.items():
                ours[c].append(dice(painted, truth, v))
                base[c].append(dice(guess, truth, v))
    out["dice_test"] = {c: summary(ours[c]) for c in CLASSES}
    out["dice_baseline"] = {c: summary(base[c]) for c in CLASSES}
    out["load"]["end"] = machine_load()
    hub.close()
    return out


def verdicts(out: dict[str, Any]) -> Table:
    t = Table(f"bench_volume_seg: MSD hippocampus, {out['model']['volumes']} training + {out['model']['n']} "
              f"validation volumes, {out['config']['test']} test volumes, SQLite, one thread")  # fmt: skip
    t.add("import of the 40 volumes (nifti), s", f"{out['import_s']:.1f}")
    t.add(f"training ({out['model']['steps']} steps, {out['model']['slices']} slices), s", f"{out['train_s']:.1f}")
    val = out["model"]["dice"]
    t.add(
        "validation Dice reported by the version, anterior / posterior",
        f"{val['anterior']:.3f} / {val['posterior']:.3f}",
    )
    t.add("pre-labelling job (10 volumes, with its first imports), s per volume", f"{out['prelabel_per_volume_s']:.2f}")
    pm = out["predict_ms"]
    t.add("  prediction alone per volume (read, 35 slices, proposals), p50 / max ms",
          f"{pm['p50_ms']:.0f} / {pm['max_ms']:.0f}")  # fmt: skip
    t.add("  loading the model version, s", f"{out['model_load_s']:.2f}")
    p = out["prelabel"]
    t.add(
        "  proposals stored: proposed / auto-accepted / dropped", f"{p['proposed']} / {p['accepted']} / {p['dropped']}"
    )
    for c in CLASSES:
        d, b = out["dice_test"][c], out["dice_baseline"][c]
        t.add(
            f"test Dice {c}: U-Net proposals, mean +- std (min)", f"{d['mean']:.3f} +- {d['std']:.3f} ({d['min']:.3f})"
        )
        t.add(
            f"test Dice {c}: mean-shape prior, mean +- std (min)", f"{b['mean']:.3f} +- {b['std']:.3f} ({b['min']:.3f})"
        )
    t.add_load(out)
    return t


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--msd", type=Path, default=here.parent.parent / "shared/data/medical_msd_hippocampus_subset40",
                   help="the MSD hippocampus folder (imagesTr/, labelsTr/); skipped when absent")  # fmt: skip
    p.add_argument("--test", type=int, default=10, help="volumes whose masks are removed and then pre-labelled")
    p.add_argument("--seed", type=int, default=0, help="the split's and the training's seed")
    p.add_argument("--epochs", type=int, default=None, help="passes over the slices (default: the engine's)")
    p.add_argument("--json", type=Path, default=None)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.msd / "imagesTr").is_dir():
        log(f"skipping: {args.msd} not found")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-volume-seg-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
