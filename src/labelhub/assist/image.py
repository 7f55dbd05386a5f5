"""The image classification assistant: a small head (the same SGD / SWA / SWAG engine) over image embeddings.

The embeddings come from a backbone, chosen in this order (:func:`resolve_backbone`):

1. a local open_clip checkpoint the user configured (:class:`labelhub.search.OpenClipConfig`: an
   architecture name or config file and the weights file), through the search package's embedder;
2. the self-supervised encoder of the search package, when an embedder named ``"ssl"`` is registered there
   and embeds images without further settings (looked up by name at run time);
3. otherwise :class:`SmallCNN`, a small convolutional network trained here on the project's labelled images.
   It is hand-written (four lines of layers) because no library ships a backbone that trains in seconds on a
   CPU from a few hundred images: three 3x3 convolution blocks (16, 32, 64 channels, ReLU, 2x2 max pooling)
   on 64x64 RGB, global average pooling to a 64-number embedding, and a linear layer used only while it
   trains (cross-entropy, Adam, seeded and deterministic). Its embedding, scaled to unit length like every
   embedder's, then feeds the assist head, so the head's calibration and SWAG uncertainty work as for any
   other backbone (the head's learning rate is set for unit rows: on the raw pooled activations, whose
   length grows with training to 10 or more, it diverged).

As in :func:`labelhub.assist.text.train_text_classifier`, a share of the labels is held out of training (the
CNN's too) to fit the temperature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import torch
from PIL import Image, UnidentifiedImageError
from torch import nn

from labelhub.assist._checks import check_int, check_number
from labelhub.assist.calibration import ece, fit_temperature, nll
from labelhub.assist.config import TrainConfig
from labelhub.assist.model import AssistModel
from labelhub.assist.text import MIN_HELD_OUT, HeldOutReport
from labelhub.assist.train import Progress, deterministic, train_head
from labelhub.errors import FormatError, ValidationError

__all__ = [
    "Backbone",
    "CnnBackbone",
    "EmbedderBackbone",
    "ImageClassifier",
    "SmallCNN",
    "backbone_from_state",
    "held_out_rows",
    "resolve_backbone",
    "train_image_classifier",
]

CNN_SIZE = 64  # pixels per side the small CNN sees
_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


class Backbone(Protocol):
    """Image files to embeddings ``(items, dim)``; ``state()`` is what :func:`backbone_from_state` rebuilds it from."""

    name: str

    def embed(self, paths: Sequence[Path]) -> npt.NDArray[np.float32]: ...

    def state(self) -> dict[str, Any]: ...


class EmbedderBackbone:
    """A search-package embedder by name (``open_clip`` with its config, or ``ssl``) used as the backbone."""

    def __init__(self, embedder: str, config: dict[str, Any] | None = None) -> None:
        from labelhub.search import get_embedder

        self.name = embedder
        self.config = dict(config or {})
        spec = get_embedder(embedder)
        if "image" not in spec.modalities:
            raise ValidationError(f"the {embedder} embedder does not embed images", field="backbone")
        cfg = None
        if self.config or spec.needs_config:
            try:
                cfg = spec.config_type(**self.config)
            except TypeError as exc:
                raise ValidationError(f"bad settings for the {embedder} backbone: {exc}", field="backbone") from exc
        self._embedder = spec.create(cfg)

    def embed(self, paths: Sequence[Path]) -> npt.NDArray[np.float32]:
        return np.asarray(self._embedder.embed_images(list(paths)), dtype=np.float32)

    def state(self) -> dict[str, Any]:
        return {"type": "embedder", "embedder": self.name, "config": {k: str(v) for k, v in self.config.items()}}


class SmallCNN(nn.Module):
    """Three conv blocks and global average pooling: a 64x64 RGB image to a 64-number embedding."""

    def __init__(self, n_classes: int, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for out in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(channels, n_classes)
        self.dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))  # type: ignore[no-any-return]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)  # type: ignore[no-any-return]


def load_images(paths: Sequence[Path], size: int = CNN_SIZE) -> torch.Tensor:
    """Return the images as a normalised ``(items, 3, size, size)`` tensor; an unreadable file names itself."""
    out = []
    for p in paths:
        try:
            with Image.open(p) as im:
                rgb = im.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        except (OSError, UnidentifiedImageError) as exc:
            raise FormatError(f"cannot read image {p}: {exc}", file=str(p)) from exc
        t = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)
        out.append((t - _MEAN) / _STD)
    return torch.stack(out) if out else torch.zeros((0, 3, size, size))


class CnnBackbone:
    """The small CNN trained here (see the module docstring), as a backbone."""

    name = "cnn"

    def __init__(self, net: SmallCNN, *, unit: bool = True) -> None:
        self.net = net.eval()
        self.unit = unit  # False only for a model saved before embeddings were scaled to unit length

    @classmethod
    def train(
        cls,
        images: torch.Tensor,
        labels: npt.NDArray[np.int64],
        n_classes: int,
        *,
        seed: int,
        epochs: int = 30,
        progress: Progress | None = None,
    ) -> CnnBackbone:
        """Return a CNN trained on ``images`` (from :func:`load_images`) and class indices, from ``seed``."""
        check_int(epochs, "cnn_epochs", low=1, high=10_000)
        y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        with deterministic(seed):
            net = SmallCNN(n_classes)
            opt = torch.optim.Adam(net.parameters(), lr=3e-3)
            gen = torch.Generator().manual_seed(seed)
            loss_fn = nn.CrossEntropyLoss()
            for epoch in range(epochs):
                net.train()
                order = torch.randperm(len(y), generator=gen)
                for start in range(0, len(y), 32):
                    rows = order[start : start + 32]
                    batch = images[rows]
                    if torch.rand((), generator=gen) < 0.5:  # flips: the only augmentation, cheap and label-safe
                        batch = batch.flip(-1)
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(net(batch), y[rows])
                    loss.backward()
                    opt.step()
                if progress is not None:
                    progress((epoch + 1) / epochs, f"backbone pass {epoch + 1}/{epochs}")
        return cls(net)

    def embed_tensor(self, images: torch.Tensor) -> npt.NDArray[np.float32]:
        self.net.eval()
        with torch.inference_mode():
            parts = [self.net.embed(images[s : s + 256]) for s in range(0, len(images), 256)]
        z = torch.cat(parts) if parts else torch.zeros((0, self.net.dim))
        if self.unit:
            z = nn.functional.normalize(z, dim=1)  # an all-zero row (every unit inactive) stays zero
        return np.ascontiguousarray(z.numpy(), dtype=np.float32)

    def embed(self, paths: Sequence[Path]) -> npt.NDArray[np.float32]:
        return self.embed_tensor(load_images(paths))

    def state(self) -> dict[str, Any]:
        n_classes = int(self.net.classifier.out_features)
        return {
            "type": "cnn",
            "n_classes": n_classes,
            "unit": self.unit,
            "weights": {k: v.clone() for k, v in self.net.state_dict().items()},
        }


def backbone_from_state(state: dict[str, Any]) -> Backbone:
    """Return the backbone a ``state()`` describes (an embedder is created again from its settings)."""
    if state.get("type") == "cnn":
        net = SmallCNN(int(state["n_classes"]))
        net.load_state_dict(state["weights"])
        return CnnBackbone(net, unit=bool(state.get("unit", False)))  # saved before "unit": raw embeddings
    if state.get("type") == "embedder":
        config = dict(state.get("config") or {})
        if state["embedder"] == "open_clip":
            config = {k: (Path(v) if k in ("pretrained", "text_model_dir") else v) for k, v in config.items()}
        return EmbedderBackbone(str(state["embedder"]), config)
    raise FormatError(f"unknown backbone {state.get('type')!r} in a saved model", field="backbone")


def resolve_backbone(
    open_clip: dict[str, Any] | None = None, ssl: dict[str, Any] | None = None
) -> EmbedderBackbone | None:
    """Return the pretrained backbone to use: the open_clip checkpoint given, else ``ssl`` when registered.

    ``ssl`` is the settings of the ``ssl`` embedder (the project's trained encoder, ``{"path": folder}``) when
    that embedder needs some. None means no pretrained backbone is available: :func:`train_image_classifier`
    then trains the small CNN.
    """
    from labelhub.search import embedder_names, get_embedder

    if open_clip:
        return EmbedderBackbone("open_clip", open_clip)
    if "ssl" in embedder_names():
        spec = get_embedder("ssl")
        if "image" in spec.modalities and (ssl or not spec.needs_config):
            return EmbedderBackbone("ssl", ssl)
    return None


@dataclass(frozen=True, slots=True)
class ImageClassifier:
    """A trained image assistant: class names, backbone and calibrated head, with its held-out report."""

    classes: tuple[str, ...]
    backbone: Backbone
    model: AssistModel
    held_out: HeldOutReport | None

    def predict_proba(self, paths: Sequence[Path]) -> npt.NDArray[np.float64]:
        """Return calibrated class probabilities ``(items, classes)`` for image files."""
        return self.model.predict_proba(self.backbone.embed(paths))

    def sample_proba(self, paths: Sequence[Path]) -> npt.NDArray[np.float64]:
        """Return per-sample probabilities ``(samples, items, classes)`` (SWAG's samples)."""
        return self.model.sample_proba(self.backbone.embed(paths))

    def predict(self, paths: Sequence[Path]) -> list[tuple[str, float]]:
        """Return the most probable class name and its calibrated probability per image."""
        p = self.predict_proba(paths)
        return [(self.classes[int(c)], float(p[i, c])) for i, c in enumerate(p.argmax(axis=1))]


def held_out_rows(n: int, share: float, seed: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return (training rows, held-out rows), sorted: the split ``train_text_classifier`` makes too.

    A seeded permutation; the first ``round(n * share)`` rows are held out, none when that is under 20.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_out = round(n * share)
    if n_out < MIN_HELD_OUT:
        n_out = 0
    return np.sort(order[n_out:]).astype(np.int64), np.sort(order[:n_out]).astype(np.int64)


def train_image_classifier(
    paths: Sequence[Path],
    labels: Sequence[str],
    *,
    classes: Sequence[str] | None = None,
    backbone: Backbone | None = None,
    config: TrainConfig | None = None,
    held_out: float = 0.1,
    cnn_epochs: int = 30,
    progress: Progress | None = None,
) -> ImageClassifier:
    """Return an image classifier trained on image files and their labels, with a fitted temperature.

    Without ``backbone`` the small CNN is trained first on the same (not held-out) labels.
    """
    files = [Path(p) for p in paths]
    if len(labels) != len(files):
        raise ValidationError(f"labels has {len(labels)} entries for {len(files)} images", field="labels")
    share = check_number(held_out, "held_out", low=0.0, high=0.5)
    cfg = config or TrainConfig()
    names = tuple(classes) if classes is not None else tuple(sorted(set(labels)))
    if len(names) < 2 or len(set(names)) != len(names):
        raise ValidationError("at least two distinct classes are needed", field="classes")
    index = {c: i for i, c in enumerate(names)}
    unknown = [lab for lab in labels if lab not in index]
    if unknown:
        raise ValidationError(f"label {unknown[0]!r:.60} is not one of the classes", field="labels")
    y = np.array([index[lab] for lab in labels], dtype=np.int64)
    fit, out = held_out_rows(len(files), share, cfg.seed)
    report = progress or (lambda f, m: None)
    chosen: Backbone
    if backbone is None:
        images = load_images(files)
        cnn = CnnBackbone.train(
            images[torch.from_numpy(fit)],
            y[fit],
            len(names),
            seed=cfg.seed,
            epochs=cnn_epochs,
            progress=lambda f, m: report(0.4 * f, m),
        )
        x, chosen = cnn.embed_tensor(images), cnn
    else:
        report(0.0, f"embedding {len(files)} images with {backbone.name}")
        x, chosen = backbone.embed(files), backbone
    model = train_head(x[fit], y[fit], len(names), cfg, progress=lambda f, m: report(0.4 + 0.6 * f, m))
    held = None
    if len(out):
        before = model.predict_proba(x[out])
        model = model.with_temperature(fit_temperature(model.logit_samples(x[out]), y[out]))
        after = model.predict_proba(x[out])
        held = HeldOutReport(
            n=len(out),
            temperature=model.temperature,
            nll_before=nll(before, y[out]),
            nll_after=nll(after, y[out]),
            ece_before=ece(before, y[out]),
            ece_after=ece(after, y[out]),
        )
    return ImageClassifier(classes=names, backbone=chosen, model=model, held_out=held)
