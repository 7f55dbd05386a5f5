"""Saving and loading trained classifiers, and the ONNX export of their heads run by onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from tests.assist._rows import banking_rows

from labelhub.assist import TextFeaturizer, TrainConfig, TrainMode, train_text_classifier
from labelhub.assist.persist import MODEL_FILE, ONNX_FILE, head_proba, load_classifier, save_classifier
from labelhub.assist.text import TextClassifier
from labelhub.errors import FormatError

Rows = tuple[list[str], list[str], list[str]]


@pytest.fixture(scope="module")
def rows() -> Rows:
    """(train texts, train labels, test texts): 8 intents, 30 of each, and 20 of each from the test file."""
    train = banking_rows(8, 30)
    test = banking_rows(8, 20, "test.csv")
    return [t for t, _ in train], [c for _, c in train], [t for t, _ in test]


def _train(rows: Rows, mode: TrainMode) -> TextClassifier:
    texts, labels, _ = rows
    feats = TextFeaturizer(dim=2**10).fit(texts)
    cfg = TrainConfig(mode=mode, min_steps=150, hidden=32, swag_samples=8)
    return train_text_classifier(texts, labels, featurizer=feats, config=cfg)


@pytest.fixture(scope="module")
def swag(rows: Rows) -> TextClassifier:
    return _train(rows, TrainMode.SWAG)


def test_a_saved_swag_classifier_predicts_exactly_as_before(swag: TextClassifier, rows: Rows, tmp_path: Path) -> None:
    files = save_classifier(swag, tmp_path / "v1")
    assert files == {"state": MODEL_FILE, "onnx": ONNX_FILE}
    loaded = load_classifier(tmp_path / "v1")
    assert isinstance(loaded, TextClassifier)
    assert loaded.classes == swag.classes
    assert loaded.model.temperature == swag.model.temperature
    assert loaded.held_out == swag.held_out
    texts = rows[2][:50]
    np.testing.assert_array_equal(loaded.sample_proba(texts), swag.sample_proba(texts))
    assert loaded.predict(texts) == swag.predict(texts)
    np.testing.assert_array_equal(loaded.featurizer.embed(texts), swag.featurizer.embed(texts))


@pytest.mark.parametrize("mode", [TrainMode.SGD, TrainMode.SWA])
def test_the_onnx_export_gives_the_torch_probabilities(mode: TrainMode, rows: Rows, tmp_path: Path) -> None:
    clf = _train(rows, mode)
    save_classifier(clf, tmp_path)
    x = clf.featurizer.transform(rows[2][:64])
    session = ort.InferenceSession(str(tmp_path / ONNX_FILE), providers=["CPUExecutionProvider"])
    onnx_probs = session.run(["probs"], {"features": x.toarray().astype(np.float32)})[0]
    torch_probs = clf.predict_proba(rows[2][:64])
    assert onnx_probs.shape == torch_probs.shape == (64, len(clf.classes))
    np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-4)


def test_the_onnx_export_of_swag_is_the_posterior_mean(swag: TextClassifier, rows: Rows, tmp_path: Path) -> None:
    save_classifier(swag, tmp_path)
    x = swag.featurizer.transform(rows[2][:32])
    session = ort.InferenceSession(str(tmp_path / ONNX_FILE), providers=["CPUExecutionProvider"])
    onnx_probs = session.run(["probs"], {"features": x.toarray().astype(np.float32)})[0]
    np.testing.assert_allclose(onnx_probs, head_proba(swag.model, x), atol=1e-4)
    # The mean weights and the sampled average pick the same class almost always.
    agree = (onnx_probs.argmax(1) == swag.predict_proba(rows[2][:32]).argmax(1)).mean()
    assert agree >= 0.9


def test_loading_refuses_what_is_not_a_saved_model(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no saved model"):
        load_classifier(tmp_path)
    torch.save({"weights": torch.zeros(2)}, tmp_path / MODEL_FILE)
    with pytest.raises(FormatError, match="not a labelhub model"):
        load_classifier(tmp_path)
    (tmp_path / MODEL_FILE).write_bytes(b"not a torch file")
    with pytest.raises(FormatError, match="not a saved labelhub model"):
        load_classifier(tmp_path / MODEL_FILE)


def test_a_trained_text_model_embeds_items_for_the_diversity_strategies(swag: TextClassifier, rows: Rows) -> None:
    """k-center and hybrid need embeddings; without stored ones the queue asks the model for its own."""
    from labelhub.assist.kinds import ClassifierPredictor
    from labelhub.assist.predictors import ItemInput

    texts = rows[2][:12]
    predictor = ClassifierPredictor(swag)
    z = predictor.embed([ItemInput(item_id=i, kind="text", text=t) for i, t in enumerate(texts)])
    assert z.shape[0] == len(texts) and z.shape[1] > 1
    assert np.allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-4)
    assert np.allclose(z[0], predictor.embed([ItemInput(item_id=0, kind="text", text=texts[0])])[0], atol=1e-5)
    with pytest.raises(ValueError, match="no text"):
        predictor.embed([ItemInput(item_id=1, kind="text", text=None)])


def test_a_swag_text_predictor_asks_for_large_batches_and_answers_them_as_small_ones(
    swag: TextClassifier, rows: Rows
) -> None:
    """A SWAG text model draws its weight samples once per call: pre-labelling and the queue send it large batches
    (``batch_hint``), which must give what small batches give."""
    from labelhub.assist.kinds import ClassifierPredictor
    from labelhub.assist.predictors import ItemInput

    predictor = ClassifierPredictor(swag)
    assert predictor.batch_hint == 2048
    assert ClassifierPredictor(_train(rows, TrainMode.SGD)).batch_hint == 0  # one set of weights: no cost per call
    items = [ItemInput(item_id=i, kind="text", text=t) for i, t in enumerate(rows[2][:40])]
    whole = predictor.predict(items)
    pieces = [p for start in range(0, 40, 7) for p in predictor.predict(items[start : start + 7])]
    assert [p.item_id for p in whole] == [p.item_id for p in pieces] == list(range(40))
    for a, b in zip(whole, pieces, strict=True):
        assert a.probs is not None and b.probs is not None and np.allclose(a.probs, b.probs, atol=1e-6)


def test_probabilities_from_logits_drawn_once_are_the_models_probabilities(swag: TextClassifier, rows: Rows) -> None:
    model = swag.model
    x = swag.featurizer.transform(rows[2][:30])
    assert model.temperature != 1.0  # fitted on held-out labels: the division by it is part of what is checked
    assert np.allclose(model.proba_from_logits(model.logit_samples(x)), model.predict_proba(x), rtol=0, atol=1e-12)
