"""The text classification assistant: word and character n-grams into a small PyTorch head, no downloads.

Features (:class:`TextFeaturizer`):

- word 1-2 grams and character 2-4 grams inside word boundaries (``char_wb``), each hashed into 8,192
  columns by scikit-learn's ``HashingVectorizer``: no vocabulary to store, the same columns for any text,
  and character n-grams carry typos and word forms the word n-grams miss;
- TF-IDF weighting with sublinear term frequency, rows scaled to unit length; the IDF is the one thing
  fitted, on whatever texts are given to :meth:`TextFeaturizer.fit` (labelled or not: a project's whole pool);
- for diversity sampling, :meth:`TextFeaturizer.embed` gives a 100-dimensional LSA (truncated SVD) of
  the same features: cosine distances in the raw 16k columns are all close to 1 and say little;
- optionally, a pretrained sentence encoder from a local folder (:mod:`labelhub.search.sentence`): its unit
  vectors are appended to the n-gram rows, the two parts weighted so that a row stays of unit length
  (``encoder_share`` of the squared length to the encoder, 1/2 by default: neither part drowns the other),
  and :meth:`TextFeaturizer.embed` gives the encoder's vectors instead of the LSA.

:func:`train_text_classifier` holds out a slice of the labels, trains the head on the rest with
:func:`labelhub.assist.train.train_head` and fits the temperature on the slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer  # type: ignore[import-untyped]

from labelhub.assist._checks import check_int, check_number
from labelhub.assist.calibration import ece, fit_temperature, nll
from labelhub.assist.config import TrainConfig
from labelhub.assist.model import AssistModel
from labelhub.assist.train import Progress, train_head
from labelhub.errors import ValidationError
from labelhub.search.sentence import SentenceEncoder

__all__ = ["NGRAM_DIM", "HeldOutReport", "TextClassifier", "TextFeaturizer", "train_text_classifier"]

NGRAM_DIM = 2**13  # hashed columns per n-gram kind (words, characters)
MIN_HELD_OUT = 20  # fewer held-out labels than this fit a temperature to noise; T stays 1


def _texts(texts: Sequence[str], name: str = "texts") -> list[str]:
    if isinstance(texts, str):
        raise ValidationError(f"{name} must be a list of texts, not one string", field=name)
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise ValidationError(f"{name}[{i}] must be a string, got {type(t).__name__}", field=f"{name}[{i}]")
    return out


class TextFeaturizer:
    """Texts to sparse TF-IDF n-gram rows (:meth:`transform`) and to dense LSA embeddings (:meth:`embed`)."""

    def __init__(self, *, dim: int = NGRAM_DIM, embedding_dim: int = 100, seed: int = 0,
                 encoder: SentenceEncoder | None = None, encoder_share: float = 0.5) -> None:  # fmt: skip
        self.dim = check_int(dim, "dim", low=16, high=2**22)
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", low=2, high=2048)
        self.seed = check_int(seed, "seed", low=0, high=2**32 - 1)
        self.encoder = encoder
        self.encoder_share = check_number(encoder_share, "encoder_share", low=0.0, high=1.0)
        self._word = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=self.dim,
                                       alternate_sign=False, norm=None)  # fmt: skip
        self._char = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=self.dim,
                                       alternate_sign=False, norm=None)  # fmt: skip
        self._tfidf: TfidfTransformer | None = None
        self._svd: TruncatedSVD | None = None

    @property
    def n_features(self) -> int:
        """Columns of :meth:`transform`'s rows (word plus character hashes, then the encoder's vector if any)."""
        return 2 * self.dim + (self.encoder.dim if self.encoder is not None else 0)

    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        items = _texts(texts)
        return sp.hstack([self._word.transform(items), self._char.transform(items)], format="csr")

    def fit(self, texts: Sequence[str]) -> TextFeaturizer:
        """Fit the IDF weights and the LSA on ``texts`` (no labels needed) and return self."""
        counts = self._counts(texts)
        if counts.shape[0] < 2:
            raise ValidationError("at least two texts are needed to fit the features", field="texts")
        self._tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        rows = self._tfidf.transform(counts)
        k = min(self.embedding_dim, rows.shape[0] - 1, rows.shape[1] - 1)
        self._svd = TruncatedSVD(n_components=k, random_state=self.seed).fit(rows)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Return the TF-IDF rows of ``texts``, ``(items, n_features)`` float32, each of unit length (or 0)."""
        if self._tfidf is None:
            raise ValidationError("the featurizer must be fitted before use", field="featurizer")
        ngrams = sp.csr_matrix(self._tfidf.transform(self._counts(texts)), dtype=np.float32)
        if self.encoder is None:
            return ngrams
        vectors = self.encoder.encode(_texts(texts))
        ngrams *= np.float32(np.sqrt(1.0 - self.encoder_share))
        vectors *= np.float32(np.sqrt(self.encoder_share))
        return sp.hstack([ngrams, sp.csr_matrix(vectors)], format="csr", dtype=np.float32)

    def embed(self, texts: Sequence[str] | None = None, *, rows: Any = None) -> npt.NDArray[np.float32]:
        """Return unit-length embeddings of ``texts`` (or of rows already transformed): the encoder's vectors
        when there is one, else the LSA of the n-gram rows."""
        if self._svd is None:
            raise ValidationError("the featurizer must be fitted before use", field="featurizer")
        if self.encoder is not None:
            if rows is None:
                return self.encoder.encode(_texts(texts if texts is not None else []))
            z = np.asarray(sp.csr_matrix(rows)[:, 2 * self.dim :].toarray(), dtype=np.float32)
        else:
            x = rows if rows is not None else self.transform(texts if texts is not None else [])
            z = np.asarray(self._svd.transform(x), dtype=np.float32)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return (z / np.where(norms > 0, norms, 1.0)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class HeldOutReport:
    """NLL and ECE on the held-out slice before and after temperature scaling, and its size."""

    n: int
    temperature: float
    nll_before: float
    nll_after: float
    ece_before: float
    ece_after: float


@dataclass(frozen=True, slots=True)
class TextClassifier:
    """A trained text assistant: class names, featurizer and calibrated model, with its held-out report."""

    classes: tuple[str, ...]
    featurizer: TextFeaturizer
    model: AssistModel
    held_out: HeldOutReport | None

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return calibrated class probabilities, ``(items, classes)`` (SWAG: the mean over samples)."""
        return self.model.predict_proba(self.featurizer.transform(texts))

    def sample_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return per-sample probabilities ``(samples, items, classes)``: SWAG's samples, for BALD."""
        return self.model.sample_proba(self.featurizer.transform(texts))

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """Return the most probable class name and its calibrated probability for each text."""
        p = self.predict_proba(texts)
        best = p.argmax(axis=1)
        return [(self.classes[int(c)], float(p[i, c])) for i, c in enumerate(best)]


def _class_indices(labels: Sequence[str], classes: Sequence[str] | None) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(classes) if classes is not None else tuple(sorted(set(labels)))
    if len(set(names)) != len(names):
        raise ValidationError("classes must not repeat a name", field="classes")
    if len(names) < 2:
        raise ValidationError(f"at least two classes are needed, got {len(names)}", field="classes")
    index = {c: i for i, c in enumerate(names)}
    out = np.empty(len(labels), dtype=np.int64)
    for i, label in enumerate(labels):
        if label not in index:
            raise ValidationError(f"labels[{i}] is {label!r:.60}, not one of the classes", field=f"labels[{i}]")
        out[i] = index[label]
    return names, out


def train_text_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    classes: Sequence[str] | None = None,
    config: TrainConfig | None = None,
    featurizer: TextFeaturizer | None = None,
    held_out: float = 0.1,
    progress: Progress | None = None,
) -> TextClassifier:
    """Return a text classifier trained on ``texts`` and their ``labels`` (class names), calibrated.

    ``classes`` fixes the output order (default: the sorted label names). A share ``held_out`` of the labels
    (chosen with ``config.seed``) is kept out of training to fit the temperature; with fewer than 20 such
    labels the temperature stays 1. ``featurizer`` may be one already fitted on a larger pool of texts;
    otherwise one is fitted on ``texts``.
    """
    items = _texts(texts)
    tags = _texts(labels, "labels")
    if len(tags) != len(items):
        raise ValidationError(f"labels has {len(tags)} entries for {len(items)} texts", field="labels")
    share = check_number(held_out, "held_out", low=0.0, high=0.5)
    cfg = config or TrainConfig()
    names, y = _class_indices(tags, classes)
    feats = featurizer if featurizer is not None else TextFeaturizer(seed=cfg.seed).fit(items)
    x = feats.transform(items)
    order = np.random.default_rng(cfg.seed).permutation(len(items))
    n_out = round(len(items) * share)
    if n_out < MIN_HELD_OUT:
        n_out = 0
    fit_rows, out_rows = np.sort(order[n_out:]), np.sort(order[:n_out])
    model = train_head(x[fit_rows], y[fit_rows], len(names), cfg, progress=progress)
    report = None
    if n_out:
        if progress is not None:
            progress(1.0, f"fitting the temperature on {n_out} held-out labels")
        logits = model.logit_samples(x[out_rows])  # the weight samples are drawn once for the three uses below
        before = model.proba_from_logits(logits)
        model = model.with_temperature(fit_temperature(logits, y[out_rows]))
        after = model.proba_from_logits(logits)
        report = HeldOutReport(n=n_out, temperature=model.temperature, nll_before=nll(before, y[out_rows]),
                               nll_after=nll(after, y[out_rows]), ece_before=ece(before, y[out_rows]),
                               ece_after=ece(after, y[out_rows]))  # fmt: skip
    return TextClassifier(classes=names, featurizer=feats, model=model, held_out=report)
