"""The dual encoder network, the contrastive loss, and saving and loading a trained encoder.

Two towers project into one space of unit vectors: images through :class:`ImageTower` (a small CNN) and a
linear projection, texts through :class:`TextTower` (hashed n-grams) and a linear projection. Both tasks of
training (image-caption and translation pairs) use the same text tower and projection, so a German caption
learns to land where its English translation lands, which in turn learns to land near its image.

A saved encoder is a folder: ``weights.pt`` (the state dict, ``torch.save``) and ``encoder.json`` (kind,
architecture, the text hashing, version, training summary). The version is ``<kind>-`` and the first 12 hex
digits of a SHA-256 over the architecture and every tensor's bytes in key order, so it names the weights and
not the file (a re-save gives the same version), and stored embeddings carry it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from labelhub.assist.train import deterministic as seeded
from labelhub.assist.train import threads
from labelhub.errors import FormatError
from labelhub.search.dual.config import DualConfig, SslConfig, TextHashing
from labelhub.search.dual.images import ImageTower
from labelhub.search.dual.text import TextBags, TextTower

__all__ = [
    "DualEncoder",
    "Schedule",
    "deterministic",
    "info_nce",
    "load_encoder",
    "save_encoder",
    "threads",
    "weights_version",
]

FORMAT = 1


@contextmanager
def deterministic(seed: int, thread_count: int = 1) -> Iterator[None]:
    """The assist engine's seeded, deterministic block (:func:`labelhub.assist.train.deterministic`), run with
    ``thread_count`` torch threads; everything is restored after."""
    with threads(thread_count), seeded(seed):
        yield


@dataclass(frozen=True, slots=True)
class Schedule:
    """The passes of an encoder's training: ``per_pass`` batches each, averaged (SWA) from pass ``swa_from``."""

    per_pass: int
    passes: int
    swa_from: int

    @classmethod
    def of(cls, n: int, cfg: DualConfig | SslConfig) -> Schedule:
        """``cfg.epochs`` passes over ``n`` examples, more when that is under ``cfg.min_steps`` steps."""
        per_pass = math.ceil(n / cfg.batch_size)
        passes = max(cfg.epochs, math.ceil(cfg.min_steps / per_pass))
        swa_from = min(passes, max(1, round(cfg.swa_start * passes))) if cfg.swa_start < 1 else passes
        return cls(per_pass, passes, swa_from)

    def learning_rate(
        self, opt: torch.optim.Optimizer, cfg: DualConfig | SslConfig
    ) -> torch.optim.lr_scheduler.LambdaLR:
        """Cosine decay from ``cfg.lr`` to ``cfg.swa_lr_share * cfg.lr`` until SWA starts, then constant."""
        cosine_steps = max(1, self.swa_from * self.per_pass)
        low = cfg.swa_lr_share
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: low + (1 - low) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / cosine_steps)))
        )


def info_nce(a: torch.Tensor, b: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """Return the symmetric InfoNCE loss of unit rows ``a[i] <-> b[i]`` (CLIP's): each row's partner among all.

    ``log_scale`` is the learnt log of the inverse temperature, clamped at 100 as CLIP does so the logits
    cannot blow up.
    """
    logits = log_scale.exp().clamp(max=100.0) * (a @ b.T)
    target = torch.arange(len(a))
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


class DualEncoder(nn.Module):
    """Images and texts into one ``dim``-dimensional space of unit vectors; two learnt temperatures."""

    def __init__(self, *, dim: int, image_size: int, width: int, text_width: int, hashing: TextHashing,
                 temperature: float = 0.07) -> None:  # fmt: skip
        super().__init__()
        self.image_size = image_size
        self.hashing = hashing
        self.image_tower = ImageTower(width)
        self.image_proj = nn.Linear(self.image_tower.features, dim)
        self.text_tower = TextTower(hashing.buckets, text_width)
        self.text_proj = nn.Linear(text_width, dim)
        start = math.log(1.0 / temperature)
        self.log_scale_caption = nn.Parameter(torch.tensor(start))
        self.log_scale_translation = nn.Parameter(torch.tensor(start))

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> DualEncoder:
        return cls(dim=int(arch["dim"]), image_size=int(arch["image_size"]), width=int(arch["width"]),
                   text_width=int(arch["text_width"]), hashing=TextHashing.from_json(arch["hashing"]))  # fmt: skip

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """Return unit rows for normalised pixels ``(n, 3, size, size)``."""
        return F.normalize(self.image_proj(self.image_tower(pixels)), dim=-1)

    def encode_texts(self, bags: TextBags) -> torch.Tensor:
        """Return unit rows for hashed texts (see :class:`~labelhub.search.dual.text.NgramHasher`)."""
        return F.normalize(self.text_proj(self.text_tower(*bags)), dim=-1)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """The image path (what ``update_bn`` runs to refresh batch-norm statistics)."""
        return self.encode_images(pixels)


def weights_version(kind: str, architecture: dict[str, Any], state: dict[str, torch.Tensor]) -> str:
    """Return ``<kind>-<12 hex digits>`` naming the architecture and the weights (not the file)."""
    digest = hashlib.sha256(json.dumps(architecture, sort_keys=True).encode())
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        digest.update(key.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes() if tensor.dim() else tensor.reshape(1).numpy().tobytes())
    return f"{kind}-{digest.hexdigest()[:12]}"


def save_encoder(folder: Path, kind: str, model: nn.Module, architecture: dict[str, Any],
                 training: dict[str, Any] | None = None) -> str:  # fmt: skip
    """Write ``model`` to ``folder`` (created) as ``weights.pt`` and ``encoder.json``; return its version."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    version = weights_version(kind, architecture, state)
    torch.save(state, folder / "weights.pt.tmp")
    os.replace(folder / "weights.pt.tmp", folder / "weights.pt")
    meta = {"format": FORMAT, "kind": kind, "version": version, "architecture": architecture,
            "training": training or {}}  # fmt: skip
    (folder / "encoder.json.tmp").write_text(json.dumps(meta, indent=2, sort_keys=True))
    os.replace(folder / "encoder.json.tmp", folder / "encoder.json")
    return version


def _build(kind: str, arch: dict[str, Any]) -> nn.Module:
    if kind == "dual":
        return DualEncoder.from_architecture(arch)
    if kind == "ssl":
        from labelhub.search.ssl import SslEncoder

        return SslEncoder.from_architecture(arch)
    raise FormatError(f"unknown encoder kind {kind!r} (known: dual, ssl)", field="kind")


def load_encoder(folder: Path, kind: str) -> tuple[nn.Module, dict[str, Any]]:
    """Return the encoder saved in ``folder`` (in eval mode) and its ``encoder.json``.

    FormatError names the file when it is missing, damaged, of another kind, or does not fit its architecture.
    """
    meta_file = folder / "encoder.json"
    try:
        meta = json.loads(meta_file.read_text())
        saved_kind, arch = str(meta["kind"]), dict(meta["architecture"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"cannot read {meta_file}: {exc}", file=str(meta_file)) from exc
    if saved_kind != kind:
        raise FormatError(f"{folder} holds a {saved_kind!r} encoder, not {kind!r}", file=str(meta_file), field="kind")
    if meta.get("format") != FORMAT:
        raise FormatError(f"{meta_file} has format {meta.get('format')!r}; this labelhub reads {FORMAT}",
                          file=str(meta_file))  # fmt: skip
    model = _build(kind, arch)
    weights = folder / "weights.pt"
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise FormatError(f"cannot load {weights}: {str(exc)[:300]}", file=str(weights)) from exc
    model.eval()
    return model, meta
