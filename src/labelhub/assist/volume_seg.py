"""The volume segmentation assistant (kind ``volume_segmenter``): a 2-D U-Net trained from a project's own masks.

It learns from the accepted masks (and polygons) of a project's volume items, slice by slice, and proposes one
``mask`` per class and slice on the volumes nobody labelled (``frame`` = the slice, pixels of the shown slice).
The network, the input rule (0.5-99.5 percentiles to [0, 1] per volume, for every modality) and the training
loop are in :mod:`labelhub.assist._volume_seg_net`; which slices count as labelled is the training service's
rule (:mod:`labelhub.services._volume_seg_train`).

Validation: a seeded share of the volumes (whole items, so no slice of a validation volume is ever trained on)
is held out; :func:`train_volume_segmenter` reports the 3-D Dice of each class on their labelled slices
(:class:`monai.metrics.DiceMetric`), and the score and correctness of every mask it would propose there (a mask
is "correct" when its Dice with the true mask of that slice is at least 0.8), from which the pre-labelling job
bounds what it accepts without review, as for the classifiers.

Saved like the classifiers: ``model.pt`` read with ``torch.load(weights_only=True)`` (the U-Net's state dict,
the classes, the input rule and the settings) and ``unet.onnx``, the network from padded slices to
probabilities, with the batch, height and width free.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from labelhub.assist._volume_seg_net import (
    NORMALISATION,
    PAD_MULTIPLE,
    LabelledVolume,
    Progress,
    VolumeSegConfig,
    build_net,
    dice_per_class,
    predict_stack,
    seeded,
    shown_stack,
    split_items,
    train_net,
    training_slices,
)
from labelhub.assist.persist import read_state
from labelhub.assist.predictors import ItemInput, ModelRef, Prediction, Proposal, register_loader
from labelhub.assist.train import threads
from labelhub.errors import FormatError, LabelhubError, ValidationError
from labelhub.formats._volume_masks import mask_geometry

__all__ = [
    "KIND",
    "LabelledVolume",
    "VolumeSegConfig",
    "VolumeSegPredictor",
    "VolumeSegmenter",
    "load_volume_segmenter",
    "register",
    "save_volume_segmenter",
    "train_volume_segmenter",
]

KIND = "volume_segmenter"
FORMAT_VERSION = 1
MODEL_FILE = "model.pt"
ONNX_FILE = "unet.onnx"
CORRECT_DICE = 0.8  # a held-out mask counts as right (for the accept bound) at this Dice with the true one


@dataclass(slots=True)
class VolumeSegmenter:
    """A trained segmenter: the U-Net, the classes of its outputs 1.. (0 is background) and its settings."""

    net: nn.Module
    classes: tuple[str, ...]
    config: VolumeSegConfig
    metrics: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, volume: np.ndarray) -> np.ndarray:
        """Return ``(Z, classes + 1, Y, X)`` softmax probabilities for every shown slice of a RAS+ volume.

        With the training's thread count (one): two OpenMP threads spinning on a busy 2-core machine made a
        volume's prediction nine times slower (660 against 76 ms, see benchmarks/README.md).
        """
        with threads(self.config.threads), torch.random.fork_rng(devices=[]):
            probs: np.ndarray = predict_stack(self.net, volume)
        return probs

    def proposals(self, volume: np.ndarray) -> list[Proposal]:
        """Return one ``mask`` proposal per class and slice where the class wins pixels (:func:`slice_proposals`)."""
        return slice_proposals(self.probabilities(volume), self.classes, self.config.min_component)


def slice_proposals(probs: np.ndarray, classes: Sequence[str], min_component: int) -> list[Proposal]:
    """Return the masks of ``probs`` ``(Z, C + 1, Y, X)``: per slice and class, the pixels where the class has the
    highest probability, less the connected pieces (8-neighbours) under ``min_component`` pixels; score = the
    class's mean probability inside the mask."""
    out: list[Proposal] = []
    best = probs.argmax(axis=1)
    for k in range(probs.shape[0]):
        for c, label in enumerate(classes, start=1):
            mask = keep_components(best[k] == c, min_component)
            if not mask.any():
                continue
            score = float(probs[k, c][mask].mean())
            out.append(Proposal(kind="mask", label=label, score=score, geometry=mask_geometry(mask), frame=k))
    return out


def keep_components(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    """Return ``mask`` (bool) without its connected pieces smaller than ``min_pixels``."""
    if min_pixels <= 1 or not mask.any():
        return mask
    n, comp, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    big = np.zeros(n, dtype=bool)
    big[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_pixels
    return np.asarray(big[comp])


def train_volume_segmenter(
    volumes: Sequence[LabelledVolume],
    classes: Sequence[str],
    config: VolumeSegConfig | None = None,
    *,
    progress: Progress | None = None,
) -> VolumeSegmenter:
    """Return a segmenter trained on the labelled slices of ``volumes``, with its validation in ``metrics``.

    ``volumes[i].labels`` holds 0 for background and ``j`` for ``classes[j - 1]``. The same seed, volumes and
    thread count give the same weights bit for bit. Raises ValidationError (field ``labels``) without any
    labelled slice or class.
    """
    cfg = config or VolumeSegConfig()
    if not classes:
        raise ValidationError("a volume segmenter needs at least one class with masks", field="labels")
    train_ids, val_ids = split_items([v.item_id for v in volumes if v.slices], cfg.held_out, cfg.seed)
    chosen = set(train_ids)
    fit = sorted((v for v in volumes if v.item_id in chosen), key=lambda v: v.item_id)
    x, y = training_slices(fit)
    started = time.perf_counter()
    with seeded(cfg.seed, cfg.threads):
        net, losses, steps = train_net(x, y, len(classes), cfg, progress)
    seconds = time.perf_counter() - started
    seg = VolumeSegmenter(net=net, classes=tuple(classes), config=cfg)
    held = set(val_ids)
    check = sorted((v for v in volumes if v.item_id in held), key=lambda v: v.item_id)
    seg.metrics = {
        **validation(seg, check or fit, on_training=not check),
        "volumes": len(fit),
        "slices": len(x),
        "validation_item_ids": [v.item_id for v in check],
        "steps": steps,
        "epoch_loss": [round(v, 5) for v in losses],
        "train_seconds": round(seconds, 2),
        "normalisation": NORMALISATION,
    }
    return seg


def validation(seg: VolumeSegmenter, volumes: Sequence[LabelledVolume], *, on_training: bool) -> dict[str, Any]:
    """Return the Dice of each class on the labelled slices of ``volumes`` (mean over volumes), and the score and
    correctness of each mask proposed there (what the accept bound is suggested from)."""
    n = len(seg.classes)
    per_volume: list[list[float]] = []
    scores: list[float] = []
    correct: list[bool] = []
    for v in volumes:
        probs = seg.probabilities(v.image)[v.slices]
        truth = shown_stack(v.labels)[v.slices]
        pred = probs.argmax(axis=1)
        per_volume.append(dice_per_class(pred, truth, n))
        for prop in slice_proposals(probs, seg.classes, seg.config.min_component):
            c = seg.classes.index(prop.label) + 1
            k = prop.frame or 0
            mine = keep_components(pred[k] == c, seg.config.min_component)
            true = truth[k] == c
            overlap = 2.0 * int(np.count_nonzero(mine & true))
            both = int(np.count_nonzero(mine)) + int(np.count_nonzero(true))
            scores.append(round(prop.score, 6))
            correct.append(overlap / max(1, both) >= CORRECT_DICE)
    table = np.asarray(per_volume, dtype=np.float64).reshape(len(per_volume), n)
    dice: dict[str, float | None] = {}
    for j, name in enumerate(seg.classes):
        col = table[:, j][~np.isnan(table[:, j])]
        dice[name] = round(float(col.mean()), 4) if col.size else None
    known = [d for d in dice.values() if d is not None]
    return {
        "evaluated_on": "training labels" if on_training else "held-out volumes",
        "n": len(volumes),
        "dice": dice,
        "mean_dice": round(float(np.mean(known)), 4) if known else None,
        "per_class": {name: {"dice": d} for name, d in dice.items()},
        "classes": list(seg.classes),
        "held_out": None if on_training else {"scores": scores, "correct": correct},
    }


def save_volume_segmenter(seg: VolumeSegmenter, folder: Path) -> dict[str, str]:
    """Write ``seg`` into ``folder`` (``model.pt`` and ``unet.onnx``); return the files by role, relative."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT_VERSION,
        "kind": KIND,
        "classes": list(seg.classes),
        "normalisation": NORMALISATION,
        "pad_multiple": PAD_MULTIPLE,
        "config": seg.config.to_json(),
        "net": {k: v.detach().clone() for k, v in seg.net.state_dict().items()},
    }
    torch.save(state, folder / MODEL_FILE)
    export_onnx(seg, folder / ONNX_FILE)
    return {"state": MODEL_FILE, "onnx": ONNX_FILE}


def load_volume_segmenter(path: Path) -> VolumeSegmenter:
    """Return the segmenter saved at ``path`` (a ``model.pt``, or the folder holding one)."""
    file = path / MODEL_FILE if path.is_dir() else path
    what = "labelhub volume segmenter"
    state = read_state(path, MODEL_FILE, FORMAT_VERSION, what)
    if state.get("kind") != KIND:
        raise FormatError(f"{file} is not a {what} of format {FORMAT_VERSION}", file=str(file))
    if state.get("normalisation") != NORMALISATION:
        raise FormatError(f"{file} uses an input rule this labelhub does not know: {state.get('normalisation')!r}",
                          file=str(file))  # fmt: skip
    cfg = VolumeSegConfig.from_json(state["config"])
    classes = tuple(str(c) for c in state["classes"])
    net = build_net(len(classes), cfg)
    net.load_state_dict(state["net"])
    net.eval()
    return VolumeSegmenter(net=net, classes=classes, config=cfg)


class _Softmax(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


def export_onnx(seg: VolumeSegmenter, path: Path) -> None:
    """Write the U-Net with its softmax as ONNX: ``slices`` ``(N, 1, H, W)`` (normalised, H and W multiples of 16)
    -> ``probs`` ``(N, classes + 1, H, W)``."""
    module = _Softmax(seg.net).eval()
    example = torch.zeros((1, 1, PAD_MULTIPLE * 2, PAD_MULTIPLE * 2), dtype=torch.float32)
    with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
        warnings.simplefilter("ignore")  # the TorchScript-based exporter (see labelhub.assist.persist.export_onnx)
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=False,
            input_names=["slices"],
            output_names=["probs"],
            dynamic_axes={"slices": {0: "n", 2: "h", 3: "w"}, "probs": {0: "n", 2: "h", 3: "w"}},
            opset_version=17,
        )


class VolumeSegPredictor:
    """A trained segmenter as a :class:`~labelhub.assist.predictors.Predictor`: per volume item, its masks."""

    batch_hint = 0

    def __init__(self, seg: VolumeSegmenter) -> None:
        self.seg = seg
        self.classes = seg.classes

    def predict(self, items: Sequence[ItemInput]) -> list[Prediction]:
        return [self._one(item) for item in items]

    def _one(self, item: ItemInput) -> Prediction:
        from labelhub.media.volume import decode_volume

        if item.kind != "volume":
            return Prediction(
                item.item_id, error=f"a volume segmenter proposes masks on volumes, not on {item.kind} items"
            )
        if item.path is None or not item.path.is_file():
            return Prediction(item.item_id, error="the item's volume file is not available")
        try:
            volume = decode_volume(item.path.read_bytes(), item.name or item.path.name)
        except LabelhubError as exc:
            return Prediction(item.item_id, error=exc.detail)
        except OSError as exc:
            return Prediction(item.item_id, error=f"{item.name or item.path.name}: {exc}")
        return Prediction(item.item_id, proposals=tuple(self.seg.proposals(volume.data)))


def load_volume_segmenter_predictor(ref: ModelRef) -> VolumeSegPredictor:
    """Return the predictor of a trained volume segmenter version from its ``state`` artifact."""
    state = ref.artifacts.get("state")
    if not isinstance(state, str):
        raise FormatError(f"model version {ref.tag} has no saved state", field="artifacts")
    return VolumeSegPredictor(load_volume_segmenter(ref.models_dir / state))


def register() -> None:
    """Register the loader of ``volume_segmenter`` versions (called when this module is imported)."""
    register_loader(KIND, load_volume_segmenter_predictor)


register()
