"""What the two trained built-in embedders (``dual`` and ``ssl``) share: loading a saved encoder folder, its
version and dimension, and embedding image files through its image tower under a lock."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import torch

from labelhub.errors import ValidationError
from labelhub.search.dual.config import EncoderCheckpoint
from labelhub.search.dual.images import load_images, normalise
from labelhub.search.dual.model import load_encoder, threads

__all__ = ["CheckpointEmbedder"]


class _ImageEncoder(Protocol):
    image_size: int

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor: ...


class CheckpointEmbedder:
    """Base of the embedders loaded from an encoder folder saved by ``save_encoder`` (one kind per folder)."""

    name: str

    def __init__(self, config: EncoderCheckpoint) -> None:
        if not isinstance(config, EncoderCheckpoint):
            raise ValidationError(f"the {self.name} embedder needs an EncoderCheckpoint", field="config")
        self.config = config
        model, meta = load_encoder(config.path, self.name)
        self._module = model.to(config.device)
        self._version = str(meta["version"])
        self._dim = int(meta["architecture"]["dim"])
        self.training = dict(meta.get("training") or {})
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def version(self) -> str:
        return self._version

    def _image_encoder(self) -> _ImageEncoder:
        return self._module  # type: ignore[return-value]

    def _rows(self, parts: list[torch.Tensor]) -> npt.NDArray[np.float32]:
        if not parts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.ascontiguousarray(torch.cat(parts).float().cpu().numpy(), dtype=np.float32)

    def embed_images(self, paths: Sequence[Path | str]) -> npt.NDArray[np.float32]:
        """Return one unit row per image file; FormatError (file) for one that cannot be read."""
        encoder = self._image_encoder()
        out: list[torch.Tensor] = []
        step = self.config.batch_size
        with self._lock, threads(self.config.threads), torch.inference_mode():
            for start in range(0, len(paths), step):
                pixels = normalise(load_images(paths[start : start + step], encoder.image_size))
                out.append(encoder.encode_images(pixels.to(self.config.device)))
        return self._rows(out)
