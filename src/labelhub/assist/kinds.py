"""The predictors of the classifiers trained here (``text_classifier``, ``image_classifier``).

Importing this module registers their loaders with :func:`labelhub.assist.predictors.register_loader`, as
that registry asks of each kind's module; :mod:`labelhub.services.models` imports it, so any server code
that reaches model versions through the services has them. :func:`register` may be called again safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labelhub.assist.image import ImageClassifier
from labelhub.assist.persist import Classifier, load_classifier
from labelhub.assist.predictors import ItemInput, ModelRef, Prediction, Predictor, Proposal, register_loader
from labelhub.assist.text import TextClassifier
from labelhub.errors import FormatError, LabelhubError

__all__ = ["ClassifierPredictor", "load_classifier_predictor", "register"]

KINDS = ("text_classifier", "image_classifier")


class ClassifierPredictor:
    """A trained classifier as a :class:`Predictor`: one ``class`` proposal per item, with probabilities.

    ``samples`` carries SWAG's per-sample distributions for BALD (none for SGD and SWA models).
    """

    def __init__(self, clf: Classifier) -> None:
        self.clf = clf
        self.classes = clf.classes
        # Items per ``predict`` call that cost little more than one: a SWAG text model draws its 30 weight samples
        # (two million weights each, ~1.5 s in all) on every call, whatever the batch; images are decoded per item.
        swag_text = isinstance(clf, TextClassifier) and clf.model.posterior is not None
        self.batch_hint = 2048 if swag_text else 0

    def _inputs(self, items: Sequence[ItemInput]) -> tuple[list[int], list[str] | list[Path], dict[int, Prediction]]:
        """Return the positions of the usable items, their texts or files, and the others' errors by position."""
        ok: list[int] = []
        failed: dict[int, Prediction] = {}
        text = isinstance(self.clf, TextClassifier)
        texts: list[str] = []
        paths: list[Path] = []
        for i, item in enumerate(items):
            if text and item.text is None:
                failed[i] = Prediction(item.item_id, error="the item has no text")
            elif not text and (item.path is None or not item.path.is_file()):
                failed[i] = Prediction(item.item_id, error="the item's image file is not available")
            else:
                ok.append(i)
                if text:
                    texts.append(item.text or "")
                else:
                    paths.append(item.path or Path())
        return ok, (texts if text else paths), failed

    def predict(self, items: Sequence[ItemInput]) -> list[Prediction]:
        ok, inputs, out = self._inputs(items)
        if ok:
            try:
                samples = self._samples(inputs)
            except LabelhubError as exc:  # one bad file fails its batch: retry item by item to isolate it
                if len(ok) == 1:
                    out[ok[0]] = Prediction(items[ok[0]].item_id, error=exc.detail)
                else:
                    out |= {i: self.predict([items[i]])[0] for i in ok}
                return [out[i] for i in range(len(items))]
            probs = samples.mean(axis=0)
            with_samples = self.clf.model.posterior is not None
            for row, i in enumerate(ok):
                p = probs[row]
                best = int(p.argmax())
                proposal = Proposal(kind="class", label=self.classes[best], score=float(p[best]), geometry={})
                out[i] = Prediction(
                    items[i].item_id,
                    proposals=(proposal,),
                    probs=p,
                    samples=samples[:, row, :] if with_samples else None,
                )
        return [out[i] for i in range(len(items))]

    def embed(self, items: Sequence[ItemInput]) -> np.ndarray:
        """Return the model's own embedding of each item, for the diversity strategies (k-center, hybrid) when
        the project has no stored embeddings: the featurizer's LSA vectors for text, the backbone's for images.
        Raises ValueError when an item lacks its text or file."""
        _, inputs, failed = self._inputs(items)
        if failed:
            raise ValueError(f"{len(failed)} of {len(items)} items have no text or image to embed")
        if isinstance(self.clf, TextClassifier):
            return self.clf.featurizer.embed([str(t) for t in inputs])
        if isinstance(self.clf, ImageClassifier):
            return self.clf.backbone.embed([Path(p) for p in inputs])
        raise TypeError(f"unknown classifier {type(self.clf).__name__}")  # pragma: no cover

    def _samples(self, inputs: list[str] | list[Path]) -> np.ndarray:
        if isinstance(self.clf, TextClassifier):
            return self.clf.sample_proba([str(t) for t in inputs])
        if isinstance(self.clf, ImageClassifier):
            return self.clf.sample_proba([Path(p) for p in inputs])
        raise TypeError(f"unknown classifier {type(self.clf).__name__}")  # pragma: no cover


def load_classifier_predictor(ref: ModelRef) -> Predictor:
    """Return the predictor of a trained classifier version from its ``state`` artifact."""
    state = ref.artifacts.get("state")
    if not isinstance(state, str):
        raise FormatError(f"model version {ref.tag} has no saved state", field="artifacts")
    return ClassifierPredictor(load_classifier(ref.models_dir / state))


def register() -> None:
    """Register the loaders of the kinds trained here."""
    for kind in KINDS:
        register_loader(kind, load_classifier_predictor)


register()
