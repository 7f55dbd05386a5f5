"""What a training job trains: :class:`TrainSpec`, checked when it is made (the API, the CLI and retraining all
build one), and the kinds labelhub trains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelhub.domain.enums import ItemKind
from labelhub.errors import ValidationError
from labelhub.search.sentence import check_folder

__all__ = ["DEFAULT_NAMES", "TRAINABLE", "TrainSpec"]

TRAINABLE = {
    "text_classifier": ItemKind.TEXT,
    "image_classifier": ItemKind.IMAGE,
    "volume_segmenter": ItemKind.VOLUME,
}
DEFAULT_NAMES = {
    "text_classifier": "text-classifier",
    "image_classifier": "image-classifier",
    "volume_segmenter": "volume-segmenter",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainSpec:
    """What to train: the kind, the model line's name, mode, seed, and optional engine settings."""

    kind: str
    name: str | None = None
    mode: str = "swag"
    seed: int = 0
    epochs: int | None = None
    held_out: float = 0.1
    min_steps: int | None = None  # at least this many optimiser steps; None: the engine's default (500)
    features: int | None = None  # hashed columns per n-gram kind (text); None: the engine's default
    open_clip: dict[str, str] | None = None  # {"model", "pretrained"[, "text_model_dir"]}: the image backbone
    text_encoder: str | None = None  # a sentence-transformers model's folder on the server: text features
    # True: the new version becomes the active one; False: it does not, even as the project's first; None: it
    # does when nothing is active or the active one is of its line (a retraining).
    activate: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in TRAINABLE:
            raise ValidationError(f"kind must be one of {', '.join(TRAINABLE)}, got {self.kind!r}", field="kind")
        if self.mode not in ("sgd", "swa", "swag"):
            raise ValidationError(f"mode must be sgd, swa or swag, got {self.mode!r}", field="mode")
        if not 0.0 <= self.held_out <= 0.5:
            raise ValidationError("held_out must be within 0..0.5", field="held_out")
        # Checked here, not only by the API: the CLI queues a job with these, which would fail a minute later.
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= 2**31 - 1:
            raise ValidationError(f"seed must be a whole number in 0..{2**31 - 1}, got {self.seed!r}", field="seed")
        if self.epochs is not None and (isinstance(self.epochs, bool) or not 1 <= self.epochs <= 10_000):
            raise ValidationError(f"epochs must be in 1..10000, got {self.epochs!r}", field="epochs")
        if self.text_encoder is not None:
            if self.kind != "text_classifier":
                raise ValidationError(f"text_encoder is for a text_classifier, not a {self.kind}", field="text_encoder")
            # that it holds a model, not that the model loads: the job loads it (seconds) and says why it cannot
            check_folder(self.text_encoder, "text_encoder")

    @property
    def line(self) -> str:
        """The model line's name (default per kind)."""
        return self.name or DEFAULT_NAMES[self.kind]

    def to_params(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.line,
            "mode": self.mode,
            "seed": self.seed,
            "epochs": self.epochs,
            "held_out": self.held_out,
            "min_steps": self.min_steps,
            "features": self.features,
            "open_clip": self.open_clip,
            "text_encoder": self.text_encoder,
            "activate": self.activate,
        }

    @classmethod
    def from_params(cls, p: dict[str, Any]) -> TrainSpec:
        keys = ("kind", "name", "mode", "seed", "epochs", "held_out", "min_steps", "features", "open_clip",
                "text_encoder", "activate")  # fmt: skip
        return cls(**{k: p[k] for k in keys if k in p and p[k] is not None})
