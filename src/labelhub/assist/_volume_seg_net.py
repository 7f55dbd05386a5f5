"""The volume segmenter's network, its input rule and its training loop (see :mod:`labelhub.assist.volume_seg`).

The network is MONAI's 2-D U-Net over axial slices as the editor shows them (``Y`` rows by ``X`` columns,
:func:`labelhub.domain.volume.display_slice`), so a proposal's pixels are the slice's pixels without any
resampling. Input rule, the same for every modality (CT included, so one model never depends on a window preset
a person picked): each volume's intensities are mapped from their 0.5 and 99.5 percentiles to [0, 1] and
clipped (the viewer's "Auto" window), then each slice is padded with zeros at the bottom and right to a multiple
of 16. Output: background plus one channel per class, softmax. Loss: :class:`monai.losses.DiceCELoss`; optimiser
Adam with a cosine learning rate; the last iterate is kept.

MONAI is imported inside the functions that use it: its package takes about 7 s to import, and listing the model
kinds imports this module.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from labelhub.assist.train import deterministic, threads
from labelhub.errors import ValidationError

NORMALISATION = "percentile 0.5-99.5 to [0, 1] per volume"
PAD_MULTIPLE = 16
Progress = Callable[[float, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeSegConfig:
    """The segmenter's settings: the U-Net's size, the training run and the proposals' smallest component."""

    seed: int = 0
    epochs: int = 30
    min_steps: int = 300  # at least this many optimiser steps (a pass over 8 small volumes is five steps)
    batch_size: int = 16
    lr: float = 2e-3
    channels: tuple[int, ...] = (16, 32, 64, 128)
    strides: tuple[int, ...] = (2, 2, 2)
    num_res_units: int = 1
    held_out: float = 0.2  # share of the volumes (whole items) kept out for validation
    min_component: int = 5  # proposals drop connected pieces smaller than this many pixels
    threads: int = 1

    def to_json(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> VolumeSegConfig:
        names = set(cls.__dataclass_fields__)
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in names}
        return cls(**values)  # type: ignore[arg-type]


@dataclass(slots=True)
class LabelledVolume:
    """One volume to train on: its RAS+ voxels, its RAS+ label map (0 = background, ``i`` = class ``i - 1``)
    and the slices a person labelled (only those are trained on)."""

    item_id: int
    image: np.ndarray
    labels: np.ndarray
    slices: list[int] = field(default_factory=list)


def shown_stack(volume: np.ndarray) -> np.ndarray:
    """Return every axial slice of a RAS+ volume as shown, ``(Z, Y, X)`` (``display_slice`` for all ``k``)."""
    return np.ascontiguousarray(np.transpose(volume[::-1, ::-1, :], (2, 1, 0)))


def normalise(volume: np.ndarray) -> np.ndarray:
    """Return ``volume`` as float32 mapped from its 0.5 and 99.5 percentiles to [0, 1], clipped."""
    data = np.nan_to_num(volume.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    if data.size == 0:
        return data
    sample = data.ravel()[:: max(1, data.size // 2_000_000)]
    lo, hi = (float(v) for v in np.percentile(sample, [0.5, 99.5]))
    if hi <= lo:
        hi = lo + 1.0
    out: np.ndarray = np.clip((data - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
    return out


def padded_shape(height: int, width: int) -> tuple[int, int]:
    """Return the slice size the network sees: each side rounded up to a multiple of 16."""
    return (-(-height // PAD_MULTIPLE) * PAD_MULTIPLE, -(-width // PAD_MULTIPLE) * PAD_MULTIPLE)


def pad_stack(stack: np.ndarray) -> np.ndarray:
    """Pad ``(N, Y, X)`` with zeros at the bottom and right to the network's slice size."""
    h, w = padded_shape(stack.shape[1], stack.shape[2])
    return np.pad(stack, ((0, 0), (0, h - stack.shape[1]), (0, w - stack.shape[2])))


def build_net(n_classes: int, cfg: VolumeSegConfig) -> nn.Module:
    """Return the 2-D U-Net: one input channel, background plus ``n_classes`` outputs (logits)."""
    from monai.networks.nets.unet import UNet

    return UNet(
        spatial_dims=2,
        in_channels=1,
        out_channels=n_classes + 1,
        channels=cfg.channels,
        strides=cfg.strides,
        num_res_units=cfg.num_res_units,
    )


def split_items(item_ids: Sequence[int], share: float, seed: int) -> tuple[list[int], list[int]]:
    """Return (training, validation) item ids: ``share`` of the items, at least one when there are three or more,
    drawn with ``seed`` (the same items for the same seed and ids, whatever their order)."""
    ids = sorted(item_ids)
    n_val = 0 if len(ids) < 3 or share <= 0 else max(1, round(len(ids) * share))
    held = set(random.Random(seed).sample(ids, n_val))
    return [i for i in ids if i not in held], [i for i in ids if i in held]


def training_slices(volumes: Sequence[LabelledVolume]) -> tuple[np.ndarray, np.ndarray]:
    """Return the labelled slices of ``volumes`` as padded ``(N, 1, H, W)`` inputs and ``(N, 1, H, W)`` targets.

    Slices of different sizes (volumes of different shapes) are padded to the largest.
    """
    images: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for v in volumes:
        img, lab = shown_stack(normalise(v.image)), shown_stack(v.labels)
        images.extend(img[k] for k in v.slices)
        targets.extend(lab[k] for k in v.slices)
    if not images:
        raise ValidationError("no labelled slice to train on", field="labels")
    h, w = padded_shape(max(i.shape[0] for i in images), max(i.shape[1] for i in images))
    x = np.zeros((len(images), 1, h, w), dtype=np.float32)
    y = np.zeros((len(images), 1, h, w), dtype=np.int64)
    for n, (img, lab) in enumerate(zip(images, targets, strict=True)):
        x[n, 0, : img.shape[0], : img.shape[1]] = img
        y[n, 0, : lab.shape[0], : lab.shape[1]] = lab
    return x, y


@contextmanager
def seeded(seed: int, count: int) -> Iterator[None]:
    """Run the block reproducibly: ``count`` threads, PyTorch's RNG forked and seeded, MONAI's determinism on."""
    from monai.utils.misc import set_determinism

    with threads(count), deterministic(seed):
        set_determinism(seed=seed)
        try:
            yield
        finally:
            set_determinism(seed=None)


def train_net(
    x: np.ndarray, y: np.ndarray, n_classes: int, cfg: VolumeSegConfig, progress: Progress | None = None
) -> tuple[nn.Module, list[float], int]:
    """Return the trained U-Net, the mean loss of each pass and the step count (call inside :func:`seeded`)."""
    from monai.losses.dice import DiceCELoss

    net = build_net(n_classes, cfg)
    generator = torch.Generator().manual_seed(cfg.seed)
    per_pass = math.ceil(len(x) / cfg.batch_size)
    passes = max(cfg.epochs, math.ceil(cfg.min_steps / per_pass))
    total = passes * per_pass
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    losses: list[float] = []
    for p in range(passes):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        step_losses: list[float] = []
        for b in range(per_pass):
            rows = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(xt[rows]), yt[rows])
            loss.backward()
            optimizer.step()
            schedule.step()
            step_losses.append(float(loss.detach()))
        losses.append(float(np.mean(step_losses)))
        if progress is not None:
            progress((p + 1) / passes, f"pass {p + 1}/{passes}, loss {losses[-1]:.4f}")
    net.eval()
    return net, losses, total


def predict_stack(net: nn.Module, volume: np.ndarray, batch: int = 32) -> np.ndarray:
    """Return the class probabilities of every shown slice of a RAS+ volume, ``(Z, classes + 1, Y, X)`` float32."""
    stack = shown_stack(normalise(volume))
    z, h, w = stack.shape
    x = torch.from_numpy(pad_stack(stack)[:, None])
    out: list[np.ndarray] = []
    net.eval()
    with torch.inference_mode():
        for start in range(0, z, batch):
            out.append(torch.softmax(net(x[start : start + batch]), dim=1)[:, :, :h, :w].numpy())
    return np.concatenate(out) if out else np.zeros((0, 1, h, w), dtype=np.float32)


def dice_per_class(pred: np.ndarray, truth: np.ndarray, n_classes: int) -> list[float]:
    """Return the 3-D Dice of each class (``nan`` where neither has it) between two ``(Z, Y, X)`` label stacks,
    computed by :class:`monai.metrics.DiceMetric` on their one-hot forms."""
    from monai.metrics.meandice import DiceMetric

    if pred.size == 0:
        return [math.nan] * n_classes
    eye = torch.eye(n_classes + 1, dtype=torch.float32)
    one_hot = [eye[torch.from_numpy(a.astype(np.int64))].permute(3, 0, 1, 2)[None] for a in (pred, truth)]
    metric = DiceMetric(include_background=False, reduction="none", ignore_empty=True)
    values = metric(one_hot[0], one_hot[1])
    return [float(v) for v in torch.as_tensor(values)[0]]
