"""The ``ssl`` embedder: a SimCLR-style self-supervised image encoder trained on a project's own images.

SimCLR (Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations", ICML 2020):
two random views of each image (a crop resized, a flip, colour jitter, sometimes grey) go through the same
CNN and a small projection head; the NT-Xent loss asks each view to pick its partner among the other
``2N - 1`` views of the batch. No labels are needed, so it learns from a project's unlabelled images; its
embeddings (the features *before* the projection head, which SimCLR found to transfer better) serve image-
to-image search and the image assist model's backbone when no pretrained one is configured.

The backbone is the dual encoder's :class:`~labelhub.search.dual.images.ImageTower` and the augmentation
its :func:`~labelhub.search.dual.images.augment`. Training is the dual encoder's recipe: AdamW with a cosine
decay, then SWA over the last passes (:class:`torch.optim.swa_utils.AveragedModel`, batch-norm statistics
recomputed with :func:`torch.optim.swa_utils.update_bn`), deterministic for a seed and thread count.

The loss is hand-written. ``lightly`` (``lightly.loss.NTXentLoss``, ``lightly.transforms.SimCLRTransform``)
has both parts, but lightly 1.6 requires ``pytorch_lightning`` and ``hydra-core`` (``pip install --dry-run
lightly`` would add 14 packages: aiohttp, omegaconf, torchmetrics...) and ``torchvision``, whose compiled
operators do not load next to labelhub's CPU torch; the loss is a dozen lines, and the transforms are in
``dual.images``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.optim.swa_utils import AveragedModel, update_bn

from labelhub.errors import ValidationError
from labelhub.search.dual.checkpoint import CheckpointEmbedder
from labelhub.search.dual.config import SslConfig
from labelhub.search.dual.images import ImageTower, augment, load_images, normalise
from labelhub.search.dual.model import Schedule, deterministic

__all__ = ["SslEmbedder", "SslEncoder", "SslHistory", "nt_xent", "train_ssl"]

Progress = Callable[[float, str], None]


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Return SimCLR's NT-Xent loss for two views ``z1[i] <-> z2[i]`` (rows need not be unit length).

    Each of the ``2N`` views is scored against the other ``2N - 1`` by cosine over ``temperature``; the loss
    is the cross-entropy of picking its partner, averaged over all ``2N`` views.
    """
    z = F.normalize(torch.cat([z1, z2]), dim=-1)
    n = len(z1)
    logits = (z @ z.T) / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, partner)


class SslEncoder(nn.Module):
    """CNN -> linear embedding (what search uses) -> ReLU + linear projection (what the loss sees)."""

    def __init__(self, *, dim: int, projection: int, image_size: int, width: int) -> None:
        super().__init__()
        self.image_size = image_size
        self.tower = ImageTower(width)
        self.embed = nn.Linear(self.tower.features, dim)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(dim, projection))

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> SslEncoder:
        return cls(dim=int(arch["dim"]), projection=int(arch["projection"]), image_size=int(arch["image_size"]),
                   width=int(arch["width"]))  # fmt: skip

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """Return unit rows of the embedding for normalised pixels."""
        return F.normalize(self.embed(self.tower(pixels)), dim=-1)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """The projection the loss sees (also what ``update_bn`` runs)."""
        out: torch.Tensor = self.head(self.embed(self.tower(pixels)))
        return out


@dataclass(slots=True)
class SslHistory:
    """Mean NT-Xent loss per pass, the steps run, the passes averaged."""

    loss: list[float] = field(default_factory=list)
    steps: int = 0
    averaged_passes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"loss": [round(x, 5) for x in self.loss], "steps": self.steps, "averaged_passes": self.averaged_passes}


def train_ssl(
    images: Sequence[Path | str], config: SslConfig | None = None, *, progress: Progress | None = None
) -> tuple[SslEncoder, SslHistory]:
    """Return a SimCLR encoder trained on ``images`` (at least 2); FormatError names an unreadable file."""
    cfg = config or SslConfig()
    if len(images) < 2:
        raise ValidationError("self-supervised training needs at least 2 images", field="images")
    pixels = load_images(images, round(cfg.image_size * 1.25))
    n = len(images)
    plan = Schedule.of(n, cfg)
    per_pass, passes, swa_from = plan.per_pass, plan.passes, plan.swa_from
    history = SslHistory()
    with deterministic(cfg.seed, cfg.threads):
        gen = torch.Generator().manual_seed(cfg.seed)
        model = SslEncoder(dim=cfg.dim, projection=cfg.projection, image_size=cfg.image_size, width=cfg.width)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = plan.learning_rate(opt, cfg)
        swa = AveragedModel(model) if swa_from < passes else None
        for epoch in range(passes):
            model.train()
            total = 0.0
            for batch in np.array_split(torch.randperm(n, generator=gen).numpy(), per_pass):
                if len(batch) < 2:
                    continue
                chosen = pixels[torch.from_numpy(batch)]
                views = [normalise(augment(chosen, cfg.image_size, gen, scale=(0.2, 1.0), colour=0.4, grey=0.2))
                         for _ in range(2)]  # fmt: skip
                loss = nt_xent(model(views[0]), model(views[1]), cfg.temperature)
                opt.zero_grad(set_to_none=True)
                cast(Any, loss).backward()  # torch leaves Tensor.backward untyped
                opt.step()
                sched.step()
                total += float(loss.detach())
                history.steps += 1
            if swa is not None and epoch >= swa_from:
                swa.update_parameters(model)
                history.averaged_passes += 1
            history.loss.append(total / per_pass)
            if progress is not None:
                progress((epoch + 1) / passes, f"pass {epoch + 1} of {passes}: loss {total / per_pass:.3f}")
        final: SslEncoder = model
        if swa is not None and history.averaged_passes > 0:
            final = cast(SslEncoder, swa.module)
            plain = normalise(load_images(images, cfg.image_size))
            update_bn([plain[i : i + cfg.batch_size] for i in range(0, n, cfg.batch_size) if n - i > 1], final)
    final.eval()
    return final, history


class SslEmbedder(CheckpointEmbedder):
    """Images into a trained self-supervised encoder's space (image only: it has no text tower)."""

    name = "ssl"
    modalities = frozenset({"image"})

    def embed_texts(self, texts: Sequence[str], lang: str | None = None) -> npt.NDArray[np.float32]:
        """Refuse: this embedder reads images only."""
        raise ValidationError("the ssl embedder embeds images only, not texts", field="modality")
