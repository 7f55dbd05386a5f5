"""The ``dual`` embedder: a trained built-in dual encoder, loaded from its folder, embedding images and texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
import torch

from labelhub.search.dual.checkpoint import CheckpointEmbedder
from labelhub.search.dual.config import EncoderCheckpoint
from labelhub.search.dual.model import DualEncoder, threads
from labelhub.search.dual.text import NgramHasher, check_texts

__all__ = ["DualEmbedder"]


class DualEmbedder(CheckpointEmbedder):
    """Images and texts (any language the encoder was trained on) into the trained dual encoder's space.

    ``embed_texts(texts, lang=...)`` accepts a language code and ignores it: the n-gram text tower reads every
    language the same way (its training decided which languages land where). A text without word
    characters gets the zero vector, as with the ``ngram`` embedder (the index refuses it; the job skips it).
    """

    name = "dual"
    modalities = frozenset({"image", "text"})

    def __init__(self, config: EncoderCheckpoint) -> None:
        super().__init__(config)
        self._model = cast(DualEncoder, self._module)
        self._hasher = NgramHasher(self._model.hashing)

    def embed_texts(self, texts: Sequence[str], lang: str | None = None) -> npt.NDArray[np.float32]:
        """Return one unit row per text; ``lang`` is accepted and ignored (see the class docstring)."""
        check_texts(texts)
        out: list[torch.Tensor] = []
        step = self.config.batch_size
        with self._lock, threads(self.config.threads), torch.inference_mode():
            for start in range(0, len(texts), step):
                ids, offsets, weights = self._hasher.encode(texts[start : start + step])
                rows = self._model.encode_texts((ids.to(self.config.device), offsets.to(self.config.device),
                                                 weights.to(self.config.device)))  # fmt: skip
                empty = torch.diff(offsets, append=torch.tensor([len(ids)])) == 0
                out.append(rows.masked_fill(empty.unsqueeze(1).to(rows.device), 0.0))
        return self._rows(out)
