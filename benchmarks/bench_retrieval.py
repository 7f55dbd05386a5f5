"""Retrieval benchmark: the built-in dual encoder with and without translation pairs, a bag of words, chance.

    python benchmarks/bench_retrieval.py [--images DIR] [--captions JSON ...] [--bitext FILES] [--json OUT]

Defaults read ``../shared/data/captions_coco_mini_en_plus_xtd10`` and ``../shared/data/captions_multi30k_text_only``.

1. **Image-caption data.** The images of the COCO captions files found under ``--images`` (81 for COCO-mini),
   split once into train and test (fixed: the images XTD10 also captions are in the test set, and
   ``--test-images`` in all, the others drawn with ``random.Random(0)``; the split is printed).
2. **Translation pairs** (``--bitext``): a folder of line-parallel files (Multi30K's ``raw/``) or TSV files.
   Training uses the ``--bitext-train`` splits, the translation test the ``--bitext-test`` split.
3. **Two encoders**, same settings and seed (:class:`labelhub.search.dual.DualConfig` defaults unless
   ``--epochs``/``--min-steps``): trained on the train images' English captions alone, and on those plus
   the translation pairs (MURAL's comparison).
4. **Measures.** Recall@1, 5, 10 (the share of queries with a right answer among the first K) in both
   directions and their mean ("mean recall"), for
   - COCO-mini test images: image -> its captions among all test captions; caption -> its image;
   - XTD10 queries in 10 other languages for the test images XTD10 covers: caption -> image (tiny: one
     query per image and language, reported with its count);
   - XTD10 text -> text: each language's 1,000 captions -> their English line (no training on XTD10);
   - Multi30K ``--bitext-test``: de/fr/cs caption <-> its English caption.
   The ``ngram`` embedder (hashed word and character n-grams) is the bag-of-words baseline where a task is
   text to text, and ``--sentence FOLDER`` adds a pretrained sentence-transformers model there (the
   ``sentence`` embedder: what a user with a multilingual model on disk gets); chance is computed exactly (a
   query with r right answers among N: 1 - C(N-r, K)/C(N, K)).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from _util import log, machine_info, machine_load

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
COCO = DATA / "captions_coco_mini_en_plus_xtd10"
KS = (1, 5, 10)
XTD_FILES = {"en": "XTD10", "es": "XTD10", "it": "XTD10", "ko": "XTD10", "pl": "XTD10", "ru": "XTD10",
             "tr": "XTD10", "zh": "XTD10", "de": "MIC", "fr": "MIC", "jp": "STAIR"}  # fmt: skip


def recall(sims: np.ndarray, relevant: Sequence[set[int]]) -> dict[str, float]:
    """Return R@K for each K: the share of rows of ``sims`` (queries x candidates) with a relevant one in the top K."""
    order = np.argsort(-sims, axis=1, kind="stable")
    return {f"r@{k}": float(np.mean([bool(set(order[q, :k].tolist()) & relevant[q]) for q in range(len(order))]))
            for k in KS}  # fmt: skip


def chance(n_candidates: int, relevant_counts: Sequence[int]) -> dict[str, float]:
    """Return the expected R@K of a random ranking: 1 - C(N - r, K) / C(N, K), averaged over the queries."""
    out = {}
    for k in KS:
        hits = [1.0 - (math.comb(n_candidates - r, k) / math.comb(n_candidates, k) if k <= n_candidates else 0.0)
                for r in relevant_counts]  # fmt: skip
        out[f"r@{k}"] = float(np.mean(hits))
    return out


def both_ways(a_to_b: dict[str, float], b_to_a: dict[str, float], names: tuple[str, str]) -> dict[str, float]:
    out = {f"{names[0]} {k}": v for k, v in a_to_b.items()} | {f"{names[1]} {k}": v for k, v in b_to_a.items()}
    out["mean recall"] = float(np.mean(list(a_to_b.values()) + list(b_to_a.values())))
    return out


def one_right(n: int) -> dict[str, float]:
    """Chance in both directions when each of ``n`` queries has one right answer among ``n``."""
    return both_ways(chance(n, [1] * n), chance(n, [1] * n), ("src->en", "en->src"))


def read_coco(images_dir: Path, caption_files: Sequence[Path]) -> dict[int, tuple[Path, list[str]]]:
    """Return image id -> (file, English captions) for the images of the captions files found under ``images_dir``."""
    files = {p.name: p for p in images_dir.rglob("*.jpg")}
    out: dict[int, tuple[Path, list[str]]] = {}
    for cf in caption_files:
        data = json.loads(cf.read_text())
        names = {int(im["id"]): im["file_name"] for im in data["images"] if im["file_name"] in files}
        for ann in data["annotations"]:
            iid = int(ann["image_id"])
            if iid in names:
                out.setdefault(iid, (files[names[iid]], []))[1].append(str(ann["caption"]).strip())
    return dict(sorted(out.items()))


def read_xtd10(folder: Path) -> tuple[list[int], dict[str, list[str]]]:
    """Return XTD10's image ids (line order) and its captions per language."""
    ids = [int(m.group(1)) for line in (folder / "XTD10" / "test_image_names.txt").read_text().splitlines()
           if (m := re.search(r"_0*(\d+)\.jpg", line))]  # fmt: skip
    langs = {lang: (folder / sub / f"test_1kcaptions_{lang}.txt").read_text(encoding="utf-8").splitlines()
             for lang, sub in XTD_FILES.items()}  # fmt: skip
    return ids, langs


def split(ids: Sequence[int], must_test: set[int], n_test: int) -> tuple[list[int], list[int]]:
    rest = sorted(set(ids) - must_test)
    test = sorted(must_test | set(random.Random(0).sample(rest, max(0, n_test - len(must_test)))))
    return [i for i in ids if i not in test], test


def image_text(embed_images: Callable[[list[Path]], np.ndarray], embed_texts: Callable[[list[str]], np.ndarray],
               coco: dict[int, tuple[Path, list[str]]], test: list[int]) -> dict[str, float]:  # fmt: skip
    caps = [(n, c) for n, iid in enumerate(test) for c in coco[iid][1]]
    img = embed_images([coco[i][0] for i in test])
    txt = embed_texts([c for _, c in caps])
    sims = img @ txt.T
    i2t = recall(sims, [{j for j, (n, _) in enumerate(caps) if n == q} for q in range(len(test))])
    t2i = recall(sims.T, [{n} for n, _ in caps])
    return both_ways(i2t, t2i, ("image->text", "text->image"))


def text_text(embed: Callable[[list[str]], np.ndarray], src: list[str], dst: list[str]) -> dict[str, float]:
    sims = embed(src) @ embed(dst).T
    rel = [{i} for i in range(len(src))]
    return both_ways(recall(sims, rel), recall(sims.T, rel), ("src->en", "en->src"))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=Path, default=COCO / "images")
    ap.add_argument(
        "--captions",
        type=Path,
        nargs="+",
        default=[COCO / "annotations" / "captions_val2017.json", COCO / "annotations" / "captions_train2017.json"],
    )
    ap.add_argument("--xtd10", type=Path, default=COCO / "xtd10")
    ap.add_argument("--bitext", type=Path, nargs="+", default=[DATA / "captions_multi30k_text_only"])
    ap.add_argument("--bitext-train", default="val,test_2016_flickr,test_2017_flickr,test_2017_mscoco")
    ap.add_argument("--bitext-test", default="test_2018_flickr")
    ap.add_argument("--test-images", type=int, default=21)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--min-steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--sentence",
        type=Path,
        default=None,
        help="a pretrained sentence-transformers model's folder: also measured on the text-to-text tasks",
    )
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    from labelhub.search import SentenceConfig, create_embedder
    from labelhub.search.dual import DualConfig
    from labelhub.search.dual.bitext import read_bitext
    from labelhub.search.dual.model import threads
    from labelhub.search.dual.text import NgramHasher
    from labelhub.search.dual.train import train_dual

    out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()}, "command": sys.argv}
    coco = read_coco(args.images, args.captions)
    xtd_ids, xtd = read_xtd10(args.xtd10) if args.xtd10.is_dir() else ([], {})
    overlap = {i for i in xtd_ids if i in coco}
    train, test = split(list(coco), overlap, args.test_images)
    log(f"{len(coco)} images: train {len(train)}, test {len(test)} {test} (XTD10 overlap {sorted(overlap)})")
    train_splits, test_split = args.bitext_train.split(","), args.bitext_test
    bitext_train = [p for path in args.bitext for p in read_bitext(path, splits=train_splits)]
    bitext_test = [p for path in args.bitext for p in read_bitext(path, splits=[test_split])]
    log(f"translation pairs: train {len(bitext_train)} ({train_splits}), test {len(bitext_test)} ({test_split})")
    out["data"] = {"images": len(coco), "train_images": train, "test_images": test, "xtd10_overlap": sorted(overlap),
                   "train_captions": sum(len(coco[i][1]) for i in train),
                   "test_captions": sum(len(coco[i][1]) for i in test),
                   "translation_train": len(bitext_train), "translation_test": len(bitext_test)}  # fmt: skip

    overrides = {k: v for k, v in (("epochs", args.epochs), ("min_steps", args.min_steps)) if v is not None}
    cfg = DualConfig(seed=args.seed, **overrides)
    out["config"] = dataclasses.asdict(cfg)
    models: dict[str, Any] = {}
    out["training"] = {}
    for name, pairs in (("dual (captions only)", []), ("dual (captions + translation)", bitext_train)):
        start = time.perf_counter()
        model, hist = train_dual([coco[i][0] for i in train], [coco[i][1] for i in train],
                                 [(p.source, p.english) for p in pairs], cfg,
                                 progress=functools.partial(_every, name))  # fmt: skip
        secs = time.perf_counter() - start
        models[name] = model
        out["training"][name] = {"seconds": round(secs, 1), **hist.to_json()}
        log(
            f"{name}: {hist.steps} steps in {secs:.0f} s, caption loss {hist.caption_loss[0]:.3f} -> "
            f"{hist.caption_loss[-1]:.3f}"
        )

    import torch

    def towers(model: Any) -> tuple[Callable[[list[Path]], np.ndarray], Callable[[list[str]], np.ndarray]]:
        from labelhub.search.dual.images import load_images, normalise

        hasher = NgramHasher(model.hashing)

        def images(paths: list[Path]) -> np.ndarray:
            with threads(1), torch.inference_mode():
                out: np.ndarray = model.encode_images(normalise(load_images(paths, model.image_size))).numpy()
                return out

        def texts(batch: list[str]) -> np.ndarray:
            with threads(1), torch.inference_mode():
                return np.concatenate([model.encode_texts(hasher.encode(batch[i : i + 512])).numpy()
                                       for i in range(0, len(batch), 512)])  # fmt: skip

        return images, texts

    ngram = create_embedder("ngram")
    # Text-to-text baselines: the bag of words, and a pretrained sentence model where the user has one on disk.
    baselines: dict[str, Callable[[list[str]], np.ndarray]] = {"ngram (bag of words)": ngram.embed_texts}
    if args.sentence is not None:
        sentence = create_embedder("sentence", SentenceConfig(path=args.sentence))
        baselines[f"sentence ({args.sentence.name})"] = sentence.embed_texts
    results: dict[str, Any] = {"coco_test": {}, "xtd10_image": {}, "xtd10_text": {}, "multi30k": {}}
    n_caps = sum(len(coco[i][1]) for i in test)
    results["coco_test"]["chance"] = both_ways(
        chance(n_caps, [len(coco[i][1]) for i in test]), chance(len(test), [1] * n_caps), ("image->text", "text->image")
    )
    covered = [(xtd_ids.index(i), test.index(i)) for i in sorted(overlap)]
    for name, model in models.items():
        images, texts = towers(model)
        results["coco_test"][name] = image_text(images, texts, coco, test)
        img = images([coco[i][0] for i in test])
        for lang, lines in xtd.items():
            if covered:
                sims = texts([lines[line] for line, _ in covered]) @ img.T
                results["xtd10_image"].setdefault(lang, {"queries": len(covered)})[name] = recall(
                    sims, [{col} for _, col in covered]
                )
        for lang, lines in xtd.items():
            if lang != "en":
                results["xtd10_text"].setdefault(lang, {})[name] = text_text(texts, lines, xtd["en"])
        for lang in sorted({p.lang for p in bitext_test}):
            pairs = [p for p in bitext_test if p.lang == lang]
            results["multi30k"].setdefault(lang, {})[name] = text_text(texts, [p.source for p in pairs],
                                                                       [p.english for p in pairs])  # fmt: skip
    for lang, lines in xtd.items():
        if lang != "en":
            for name, embed in baselines.items():
                results["xtd10_text"][lang][name] = text_text(embed, lines, xtd["en"])
            results["xtd10_text"][lang]["chance"] = one_right(len(lines))
        if covered:
            results["xtd10_image"][lang]["chance"] = chance(len(test), [1] * len(covered))
    for lang in sorted({p.lang for p in bitext_test}):
        pairs = [p for p in bitext_test if p.lang == lang]
        for name, embed in baselines.items():
            results["multi30k"][lang][name] = text_text(embed, [p.source for p in pairs], [p.english for p in pairs])
        results["multi30k"][lang]["chance"] = one_right(len(pairs))
    out["results"] = results
    out["load"]["end"] = machine_load()
    print(render(out))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str))
        log(f"wrote {args.json}")
    return 0


def _every(name: str, fraction: float, message: str) -> None:
    if (message.startswith("pass ") and int(message.split()[1]) % 25 == 0) or fraction >= 1:
        log(f"{name}: {message}")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def render(out: dict[str, Any]) -> str:
    """Return the results as Markdown tables (percentages)."""
    r, d = out["results"], out["data"]
    lines = [f"COCO-mini test split: {len(d['test_images'])} images, {d['test_captions']} captions (train: "
             f"{len(d['train_images'])} images, {d['train_captions']} captions)", "",
             "| embedder | i->t R@1 | R@5 | R@10 | t->i R@1 | R@5 | R@10 | mean recall |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, m in r["coco_test"].items():
        vals = [m[f"image->text r@{k}"] for k in KS] + [m[f"text->image r@{k}"] for k in KS] + [m["mean recall"]]
        lines.append(f"| {name} | " + " | ".join(_pct(v) for v in vals) + " |")
    if r["xtd10_image"]:
        names = [n for n in next(iter(r["xtd10_image"].values())) if n != "queries"]
        lines += ["", f"XTD10 caption -> image among the {len(d['test_images'])} test images "
                  f"({next(iter(r['xtd10_image'].values()))['queries']} queries per language): R@1 / R@5", "",
                  "| language | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]  # fmt: skip
        for lang, m in r["xtd10_image"].items():
            lines.append(
                f"| {lang} | " + " | ".join(f"{_pct(m[n]['r@1'])} / {_pct(m[n]['r@5'])}" for n in names) + " |"
            )
    titles = {"multi30k": "Multi30K test: caption <-> English caption",
              "xtd10_text": "XTD10 (1,000 captions): caption <-> English caption, no XTD10 in training"}  # fmt: skip
    for key, title in titles.items():
        if not r[key]:
            continue
        names = list(next(iter(r[key].values())))
        lines += ["", f"{title}: mean recall (src->en R@1)", "", "| language | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 1) + "|"]  # fmt: skip
        for lang, m in r[key].items():
            lines.append(f"| {lang} | " + " | ".join(f"{_pct(m[n]['mean recall'])} ({_pct(m[n]['src->en r@1'])})"
                                                     for n in names) + " |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
