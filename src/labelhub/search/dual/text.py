"""The dual encoder's text tower: a fastText-style bag of hashed word and character n-grams, then a small MLP.

Why n-grams and not a small transformer: the training data a project has is hundreds to a few thousand
captions plus a few thousand translation pairs. A bag of subwords learns from that much (every n-gram's
vector is trained directly, and a rare word still shares its character n-grams with known ones), trains in
minutes on a CPU, and reads any script without a vocabulary fitted beforehand; a transformer from scratch
needs far more text before word order pays (the retrieval benchmark's captions are short descriptions
where a bag of words already carries most of the meaning). The price: word order is lost ("a dog chasing a
cat" = "a cat chasing a dog") and no language is recognised, so ``lang`` is accepted and ignored.

The hashing is scikit-learn's ``HashingVectorizer`` (MurmurHash3, seed 0) over the same n-grams as the
``ngram`` embedder (word n-grams and character n-grams inside words, texts NFKC-normalised and
case-folded), but unsigned and into ``buckets`` rows of a learnt ``EmbeddingBag``: a text's vector is the
mean of its n-grams' rows. The hashing settings are saved with the weights; they are the tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from labelhub.errors import ValidationError
from labelhub.search.dual.config import TextHashing
from labelhub.search.ngram import fold, hashed_ngrams

__all__ = ["NgramHasher", "TextBags", "TextTower"]

TextBags = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
"""(n-gram ids, offset of each text's first id, each id's weight): what ``nn.EmbeddingBag`` takes."""


def check_texts(texts: Sequence[str]) -> None:
    """Raise ValidationError (field ``texts``, with the row) unless ``texts`` is a sequence of strings."""
    if isinstance(texts, str):
        raise ValidationError("texts must be a sequence of strings, not one string", field="texts")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValidationError(f"texts[{i}] is {type(t).__name__}, not a string", field="texts", row=i)


class NgramHasher:
    """Texts to sparse counts of hashed n-gram ids (a SciPy CSR matrix, ``texts x buckets``)."""

    def __init__(self, hashing: TextHashing) -> None:
        self.hashing = hashing
        self._hasher = hashed_ngrams(hashing.word_ngrams, hashing.char_ngrams, hashing.buckets, alternate_sign=False,
                                     who="the dual encoder")  # fmt: skip

    def counts(self, texts: Sequence[str]) -> Any:
        """Return the CSR matrix of n-gram counts, one row per text."""
        return self._hasher.transform([fold(t) for t in texts]).tocsr()

    @staticmethod
    def bags(rows: Any) -> TextBags:
        """Return the EmbeddingBag input for CSR rows: each text's ids, weighted to average its n-grams."""
        indptr = np.asarray(rows.indptr, dtype=np.int64)
        data = np.asarray(rows.data, dtype=np.float32)
        lengths = np.diff(indptr)
        owner = np.repeat(np.arange(len(lengths)), lengths)
        totals = np.bincount(owner, weights=data, minlength=len(lengths))
        weights = data / totals[owner] if len(data) else data
        return (torch.from_numpy(np.asarray(rows.indices, dtype=np.int64)), torch.from_numpy(indptr[:-1].copy()),
                torch.from_numpy(weights.astype(np.float32)))  # fmt: skip

    def encode(self, texts: Sequence[str]) -> TextBags:
        """Return the EmbeddingBag input for ``texts``."""
        return self.bags(self.counts(texts))


class TextTower(nn.Module):
    """The mean of a text's n-gram vectors, refined by a residual MLP: ``(n, width)`` features."""

    def __init__(self, buckets: int, width: int) -> None:
        super().__init__()
        self.features = width
        self.bag = nn.EmbeddingBag(buckets, width, mode="sum")
        nn.init.normal_(self.bag.weight, std=0.1)
        self.mlp = nn.Sequential(
            nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width)
        )

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        bag: torch.Tensor = self.bag(ids, offsets, per_sample_weights=weights)
        out: torch.Tensor = bag + self.mlp(bag)
        return out
