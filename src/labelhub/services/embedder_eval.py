"""Held-out retrieval figures of a trained ``dual`` encoder: what a person needs to tell a good training from a bad one.

Before training, a fixed share of the data is kept out (chosen with the training's seed): captioned images when
the project has at least :data:`MIN_IMAGES` of them, translation pairs when the bitext has at least
:data:`MIN_PAIRS`. After training, the saved encoder (loaded as search loads it) ranks them:

- captions: each held-out image's first caption against all held-out images (text -> image), and each image
  against those captions (image -> text);
- translations: each held-out source sentence against all held-out English sentences (and back).

Recall@K is the share of queries whose match is among the top K. Chance is about K / N for N candidates, given
beside the figures. Hand-written: a few lines of numpy over the embedder's own vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["HELD_OUT_SHARE", "MIN_IMAGES", "MIN_PAIRS", "held_out_recall", "split_held_out"]

HELD_OUT_SHARE = 0.1
MIN_IMAGES = 40  # fewer captioned images: all of them train (4 held out would say nothing)
MIN_PAIRS = 50
MAX_HELD_OUT = 1_000
KS = (1, 5, 10)


def split_held_out(n: int, minimum: int, seed: int) -> tuple[list[int], list[int]]:
    """Return (train indices, held-out indices) of ``n`` rows: a tenth (at most 1,000) out when ``n >= minimum``."""
    if n < minimum:
        return list(range(n)), []
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(n)[: min(MAX_HELD_OUT, max(2, round(n * HELD_OUT_SHARE)))].tolist())
    return [i for i in range(n) if i not in held], sorted(held)


def _recall(queries: npt.NDArray[np.float32], candidates: npt.NDArray[np.float32]) -> dict[str, float]:
    """R@K when query i's match is candidate i."""
    sims = queries @ candidates.T
    rank = (sims > np.diag(sims)[:, None]).sum(axis=1)  # candidates strictly better than the match
    return {f"r@{k}": round(float(np.mean(rank < k)), 4) for k in KS}


def _pair(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32], names: tuple[str, str]) -> dict[str, Any]:
    n = len(a)
    return {"n": n, names[0]: _recall(a, b), names[1]: _recall(b, a),
            "chance": {f"r@{k}": round(min(1.0, k / n), 4) for k in KS}}  # fmt: skip


def held_out_recall(
    embedder: Any, images: Sequence[tuple[Path, str]], translations: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Recall@1/5/10 of ``embedder`` on held-out (image, caption) and (source, English) pairs; {} when none."""
    out: dict[str, Any] = {}
    if len(images) >= 2:
        img = np.asarray(embedder.embed_images([p for p, _ in images]), dtype=np.float32)
        cap = np.asarray(embedder.embed_texts([c for _, c in images]), dtype=np.float32)
        out["captions"] = _pair(cap, img, ("text_to_image", "image_to_text"))
    if len(translations) >= 2:
        src = np.asarray(embedder.embed_texts([s for s, _ in translations]), dtype=np.float32)
        eng = np.asarray(embedder.embed_texts([e for _, e in translations]), dtype=np.float32)
        out["translations"] = _pair(src, eng, ("to_english", "from_english"))
    return out
