"""The hashed n-gram text embedder: a bag of words and character n-grams, with nothing to download or train.

It is what text items get when no model is configured, and the bag-of-words baseline the retrieval benchmark
compares trained encoders against. A text becomes counts of its word n-grams and of the character n-grams
inside its words (fastText's subwords, which make "dog" match "dogs" and give scripts without spaces some
overlap), hashed into ``dim`` buckets with a sign from the hash (so collisions cancel rather than add up),
and scaled to unit length: the inner product of two embeddings is the cosine of their n-gram counts.

The hashing is scikit-learn's ``HashingVectorizer`` (MurmurHash3, seed 0): it is stateless, so an embedding
made today matches one made next year as long as ``version`` is the same, and no vocabulary is fitted.
Texts are NFKC-normalised and case-folded first, so full-width digits and German "ß"/"SS" agree.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from labelhub.errors import ConfigurationError, ValidationError
from labelhub.search.config import NgramConfig

__all__ = ["NgramEmbedder", "fold", "hashed_ngrams"]


def _vectorizer(who: str, **kwargs: Any) -> Any:
    try:
        text = importlib.import_module("sklearn.feature_extraction.text")
    except ImportError as exc:
        raise ConfigurationError(f"{who} needs scikit-learn: pip install scikit-learn") from exc
    return text.HashingVectorizer(**kwargs)


def fold(text: str) -> str:
    """The form a text is hashed in: Unicode-normalised (NFKC) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def hashed_ngrams(word_ngrams: tuple[int, int], char_ngrams: tuple[int, int], n_features: int, *,
                  alternate_sign: bool, who: str) -> Any:  # fmt: skip
    """Return a scikit-learn ``HashingVectorizer`` that counts a (folded) text's word and character n-grams in
    one hashing step (``w:`` and ``c:`` prefixes keep the two kinds apart); the n-gram embedder and the dual
    encoder's text tower use it. ``who`` names the user in the error when scikit-learn is missing."""
    # scikit-learn's own analyzers cut the n-grams; one analyzer chains them so one hashing step counts both.
    words = _vectorizer(who, analyzer="word", ngram_range=word_ngrams, lowercase=False,
                        token_pattern=r"(?u)\b\w+\b").build_analyzer()  # noqa: S106  # fmt: skip
    chars = _vectorizer(who, analyzer="char_wb", ngram_range=char_ngrams, lowercase=False).build_analyzer()
    analyze: Callable[[str], Iterator[str]] = lambda doc: chain(  # noqa: E731
        (f"w:{w}" for w in words(doc)), (f"c:{g}" for g in chars(doc))
    )
    return _vectorizer(who, analyzer=analyze, n_features=n_features, alternate_sign=alternate_sign, norm=None,
                       dtype=np.float32)  # fmt: skip


class NgramEmbedder:
    """Texts to unit vectors of hashed word and character n-gram counts; see the module docstring."""

    name = "ngram"
    modalities = frozenset({"text"})

    def __init__(self, config: NgramConfig | None = None) -> None:
        self.config = config or NgramConfig()
        c = self.config
        self._hasher = hashed_ngrams(c.word_ngrams, c.char_ngrams, c.dim, alternate_sign=True,
                                     who="the ngram embedder")  # fmt: skip

    @property
    def dim(self) -> int:
        return self.config.dim

    @property
    def version(self) -> str:
        """Changes whenever the same text would get a different vector (the settings, or the method)."""
        c = self.config
        return f"1-d{c.dim}-c{c.char_ngrams[0]}-{c.char_ngrams[1]}-w{c.word_ngrams[0]}-{c.word_ngrams[1]}"

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return one unit row per text; a text with no word characters gets the zero vector."""
        if isinstance(texts, str):
            raise ValidationError("texts must be a sequence of strings, not one string", field="texts")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ValidationError(f"texts[{i}] is {type(t).__name__}, not a string", field="texts", row=i)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        counts = self._hasher.transform([fold(t) for t in texts]).toarray().astype(np.float32)
        norms = np.linalg.norm(counts, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = np.divide(counts, norms, out=np.zeros_like(counts), where=norms > 0)
        return unit

    def embed_images(self, paths: Sequence[Path | str]) -> npt.NDArray[np.float32]:
        """Refuse: this embedder reads text only."""
        raise ValidationError("the ngram embedder embeds texts only, not images", field="modality")
