"""The text assistant: trained from texts and class names, calibrated on a held-out slice, predicting names."""

from __future__ import annotations

import numpy as np
import pytest
from tests.assist.conftest import Banking

from labelhub.assist import TextFeaturizer, TrainConfig, train_text_classifier
from labelhub.errors import ValidationError


def test_text_classifier_predicts_class_names_with_calibrated_scores(banking: Banking) -> None:
    clf = train_text_classifier(banking.train_texts, banking.train_labels, classes=banking.classes,
                                featurizer=banking.featurizer, config=TrainConfig(mode="swag"))  # fmt: skip
    assert clf.held_out is not None and clf.held_out.n == 150
    assert clf.held_out.nll_after <= clf.held_out.nll_before  # fitted there: it cannot be worse
    predictions = clf.predict(banking.test_texts)
    right = np.mean([label == banking.classes[y] for (label, _), y in zip(predictions, banking.test_y, strict=True)])
    assert right > 0.65
    assert all(0.0 < score <= 1.0 for _, score in predictions)
    probs = clf.predict_proba(banking.test_texts[:3])
    assert probs.shape == (3, 77) and np.allclose(probs.sum(axis=1), 1.0)
    assert clf.sample_proba(banking.test_texts[:3]).shape == (30, 3, 77)


def test_featurizer_rows_are_unit_tfidf_and_embeddings_unit_length() -> None:
    texts = ["my card has not arrived", "card arrival time", "how do I top up", "top up failed", "hello"]
    feats = TextFeaturizer(dim=256, embedding_dim=3).fit(texts)
    rows = feats.transform(["my card has not arrived yet", ""])
    assert rows.shape == (2, 512) and rows.dtype == np.float32
    assert np.linalg.norm(rows[0].toarray()) == pytest.approx(1.0, abs=1e-5)
    assert rows[1].nnz == 0  # an empty text has no n-grams
    emb = feats.embed(texts)
    assert emb.shape == (5, 3) and np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert TextFeaturizer().n_features == 2 * 2**13


@pytest.mark.parametrize(
    ("texts", "labels", "kwargs", "field"),
    [
        (["a", "b", "c"], ["x", "y"], {}, "labels"),
        (["a", "b", "c"], ["x", "y", "z"], {"classes": ["x", "y"]}, "labels[2]"),
        (["a", "b", "c"], ["x", "x", "x"], {}, "classes"),
        (["a", 5, "c"], ["x", "y", "x"], {}, "texts[1]"),
        ("abc", ["x", "y", "x"], {}, "texts"),
        (["a", "b", "c"], ["x", "y", "x"], {"held_out": 0.9}, "held_out"),
    ],
)
def test_bad_input_names_the_field(texts: object, labels: list[str], kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        train_text_classifier(texts, labels, **kwargs)  # type: ignore[arg-type]
    assert err.value.context["field"] == field


def test_an_unfitted_featurizer_says_so() -> None:
    with pytest.raises(ValidationError) as err:
        TextFeaturizer().transform(["hello"])
    assert err.value.context["field"] == "featurizer"
