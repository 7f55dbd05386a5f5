"""The settings of the built-in encoders (dual encoder, self-supervised image encoder), as value objects.

No torch here: :mod:`labelhub.search.embedders` imports these classes, and ``import labelhub.search`` must not
load torch. Every field is checked; a bad one raises ValidationError naming it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labelhub.domain.checks import check_int, check_number, check_span
from labelhub.errors import ValidationError

__all__ = ["DualConfig", "EncoderCheckpoint", "SslConfig", "TextHashing"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TextHashing:
    """How the n-gram text tower cuts a text into hashed ids (saved with the weights: it is the tokenizer).

    - ``buckets``: hash buckets, the rows of the tower's embedding table.
    - ``char_ngrams``: character n-gram lengths inside words (fastText's subwords).
    - ``word_ngrams``: word n-gram lengths.
    """

    buckets: int = 1 << 15
    char_ngrams: tuple[int, int] = (3, 5)
    word_ngrams: tuple[int, int] = (1, 2)

    def __post_init__(self) -> None:
        check_int(self.buckets, "buckets", low=256, high=1 << 22)
        check_span(self.char_ngrams, "char_ngrams", low=1, high=8)
        check_span(self.word_ngrams, "word_ngrams", low=1, high=4)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextHashing:
        chars, words = data["char_ngrams"], data["word_ngrams"]
        return cls(buckets=int(data["buckets"]), char_ngrams=(int(chars[0]), int(chars[1])),
                   word_ngrams=(int(words[0]), int(words[1])))  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DualConfig:
    """The dual encoder's architecture and training (:func:`labelhub.search.dual.train.train_dual`).

    Architecture (saved with the weights):

    - ``dim``: the shared space's dimension; ``image_size``: pixels of the square image the CNN sees;
      ``width``: channels of the CNN's first stage (doubled at each of its four stages); ``text_width``:
      the n-gram embedding's width; ``hashing``: see :class:`TextHashing`.

    Training:

    - ``epochs``: passes over the image-caption pairs (each step takes one caption of ``batch_size``
      images); ``min_steps`` raises the passes so that at least that many steps run (a project of 60 images
      makes two steps a pass).
    - ``translation_batch``: translation pairs per step (0, or no pairs given: the image-caption task only).
      The two InfoNCE losses are summed each step, the translation one weighted by ``translation_weight``.
    - ``lr``, ``weight_decay``: AdamW, cosine decay to ``swa_start``; from there the rate is held at
      ``swa_lr_share * lr`` and the weights are averaged once a pass (SWA).
    - ``temperature``: the initial temperature of both losses (learnt, as CLIP does, as a log scale).
    - ``seed``: the one source of randomness (initial weights, sampling, augmentation).
    - ``threads``: torch threads while training (restored after). One by default: on 2 cores shared with
      other work, a step of the CNN took 0.16 s on one thread and 1.4 s on two (threads waiting on each other).
      The same seed gives the same weights for the same thread count.
    """

    dim: int = 128
    image_size: int = 64
    width: int = 16
    text_width: int = 128
    hashing: TextHashing = TextHashing()
    epochs: int = 40
    min_steps: int = 300
    batch_size: int = 48
    translation_batch: int = 96
    translation_weight: float = 1.0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    swa_start: float = 0.75
    swa_lr_share: float = 0.25
    temperature: float = 0.07
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        _check_training(self)
        check_int(self.text_width, "text_width", low=8, high=2048)
        if not isinstance(self.hashing, TextHashing):
            raise ValidationError("hashing must be a TextHashing", field="hashing")
        check_int(self.translation_batch, "translation_batch", low=0, high=65_536)
        check_number(self.translation_weight, "translation_weight", low=0.0, high=100.0)
        check_number(self.temperature, "temperature", low=0.01, high=1.0)

    def architecture(self) -> dict[str, Any]:
        """Return what rebuilds the network (saved next to the weights)."""
        return {"dim": self.dim, "image_size": self.image_size, "width": self.width, "text_width": self.text_width,
                "hashing": asdict(self.hashing)}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class SslConfig:
    """The self-supervised image encoder (:func:`labelhub.search.ssl.train_ssl`), SimCLR's recipe made small.

    - ``dim``: the embedding (the CNN's pooled features, projected); ``projection``: the width of the
      projection head the loss sees (SimCLR drops it after training: the features before it transfer better).
    - ``image_size``, ``width``: as in :class:`DualConfig`.
    - ``epochs``, ``min_steps``, ``batch_size``: passes over the images (each image gives two views a step).
    - ``temperature``: NT-Xent's (SimCLR's 0.5 for small batches); ``lr``, ``weight_decay``: AdamW with cosine
      decay to ``swa_start``, then a constant ``swa_lr_share * lr`` and SWA; ``seed``, ``threads``: as in
      :class:`DualConfig`.
    """

    dim: int = 128
    projection: int = 64
    image_size: int = 64
    width: int = 16
    epochs: int = 30
    min_steps: int = 200
    batch_size: int = 64
    temperature: float = 0.5
    lr: float = 2e-3
    weight_decay: float = 1e-4
    swa_start: float = 0.75
    swa_lr_share: float = 0.25
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        _check_training(self)
        check_int(self.projection, "projection", low=8, high=4096)
        check_number(self.temperature, "temperature", low=0.01, high=10.0)

    def architecture(self) -> dict[str, Any]:
        """Return what rebuilds the network (saved next to the weights)."""
        return {"dim": self.dim, "projection": self.projection, "image_size": self.image_size, "width": self.width}


def _check_training(cfg: DualConfig | SslConfig) -> None:
    """Check what both encoders' configs share: the image tower, the schedule (AdamW, cosine, then SWA), the seed."""
    check_int(cfg.dim, "dim", low=8, high=4096)
    check_int(cfg.image_size, "image_size", low=32, high=512)
    check_int(cfg.width, "width", low=4, high=256)
    check_int(cfg.threads, "threads", low=1, high=256)
    check_int(cfg.epochs, "epochs", low=1, high=100_000)
    check_int(cfg.min_steps, "min_steps", low=0, high=10_000_000)
    check_int(cfg.batch_size, "batch_size", low=2, high=4096)
    check_number(cfg.lr, "lr", low=1e-6, high=1.0)
    check_number(cfg.weight_decay, "weight_decay", low=0.0, high=1.0)
    check_number(cfg.swa_start, "swa_start", low=0.0, high=1.0)
    check_number(cfg.swa_lr_share, "swa_lr_share", low=0.0, high=1.0)
    check_int(cfg.seed, "seed", low=0, high=2**31 - 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class EncoderCheckpoint:
    """A trained built-in encoder to load: the embedders ``dual`` and ``ssl`` take this as their config.

    - ``path``: the folder :func:`~labelhub.search.dual.model.save_encoder` wrote (``encoder.json`` and
      ``weights.pt``); the training job writes it under ``HOME/embedders/<project id>/<kind>-<version>/``.
    - ``batch_size``: images or texts encoded at once; ``device``: a torch device name; ``threads``: torch
      threads while encoding (restored after; see :class:`DualConfig` for why one).
    """

    path: Path
    batch_size: int = 64
    device: str = "cpu"
    threads: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.path, Path):
            object.__setattr__(self, "path", Path(str(self.path)))
        if not (self.path / "encoder.json").is_file():
            raise ValidationError(f"no trained encoder at {self.path} (encoder.json is missing)", field="path")
        check_int(self.batch_size, "batch_size", low=1, high=4096)
        check_int(self.threads, "threads", low=1, high=256)
        if not isinstance(self.device, str) or not self.device:
            raise ValidationError("device must be a torch device name such as 'cpu'", field="device")
