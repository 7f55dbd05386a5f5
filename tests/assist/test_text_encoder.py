"""A pretrained sentence encoder from a local folder: loading, its errors, and what it brings the text assistant."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from tests.assist._encoders import WIDTH, Synonyms, synonym_encoder, synonym_texts

from labelhub.assist import TextFeaturizer, TrainConfig, train_text_classifier
from labelhub.assist.persist import load_classifier, save_classifier
from labelhub.errors import FormatError, ValidationError
from labelhub.search.sentence import encoder_version, load_encoder


@pytest.fixture(scope="module")
def synonyms(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Synonyms]:
    return synonym_encoder(tmp_path_factory.mktemp("encoder"))


def test_the_encoder_embeds_texts_as_unit_rows_and_synonyms_close(synonyms: tuple[Path, Synonyms]) -> None:
    folder, words = synonyms
    enc = load_encoder(folder)
    assert enc.dim == WIDTH and load_encoder(folder) is enc  # loaded once per process
    seen, unseen = " ".join(words["card"][0][:2]), " ".join(words["card"][1][:2])
    other = " ".join(words["loan"][1][:2])
    v = enc.encode([seen, unseen, other, seen])
    assert v.shape == (4, WIDTH) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > 0.8 > 0.3 > float(v[0] @ v[2])  # synonyms close, another class far
    assert np.array_equal(v[0], v[3])


def test_the_encoders_knowledge_reaches_the_classifier(synonyms: tuple[Path, Synonyms]) -> None:
    """Trained on one set of words per class, tested on their synonyms: the n-grams alone cannot know them."""
    folder, words = synonyms
    train_texts, train_labels = synonym_texts(words, 0, 200, seed=1)
    test_texts, test_labels = synonym_texts(words, 1, 200, seed=2)
    cfg = TrainConfig(seed=0)
    plain = train_text_classifier(train_texts, train_labels, config=cfg)
    feats = TextFeaturizer(dim=256, encoder=load_encoder(folder)).fit(train_texts)
    with_encoder = train_text_classifier(train_texts, train_labels, config=cfg, featurizer=feats)

    def accuracy(clf: object) -> float:
        return float(np.mean([p == t for (p, _), t in zip(clf.predict(test_texts), test_labels, strict=True)]))

    assert accuracy(plain) < 0.5  # four classes: about chance
    assert accuracy(with_encoder) > 0.95
    rows = feats.transform(test_texts[:5])
    assert rows.shape == (5, 2 * 256 + WIDTH) and feats.n_features == 2 * 256 + WIDTH
    assert np.allclose(sp.linalg.norm(rows, axis=1), 1.0, atol=1e-5)  # the two parts share a unit row
    assert np.allclose(feats.embed(test_texts[:5]), feats.embed(rows=rows), atol=1e-5)


def test_a_saved_model_reloads_its_encoder_and_refuses_a_changed_one(synonyms: tuple[Path, Synonyms],
                                                                       tmp_path: Path) -> None:  # fmt: skip
    folder, words = synonyms
    copy = tmp_path / "encoder"
    copy.mkdir()
    for f in folder.rglob("*"):
        if f.is_file():
            target = copy / f.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    texts, labels = synonym_texts(words, 0, 120, seed=3)
    feats = TextFeaturizer(dim=256, encoder=load_encoder(copy)).fit(texts)
    clf = train_text_classifier(texts, labels, config=TrainConfig(seed=0), featurizer=feats)
    save_classifier(clf, tmp_path / "model")
    again = load_classifier(tmp_path / "model")
    probe, _ = synonym_texts(words, 1, 20, seed=4)
    assert np.allclose(again.predict_proba(probe), clf.predict_proba(probe), atol=1e-6)

    config = copy / "config_sentence_transformers.json"
    settings = json.loads(config.read_text())
    config.write_text(json.dumps(settings | {"note": "re-exported"}))
    assert feats.encoder is not None and encoder_version(copy) != feats.encoder.version
    with pytest.raises(FormatError, match="has changed since this model was trained") as err:
        load_classifier(tmp_path / "model")
    assert str(copy) in str(err.value)


def test_a_folder_that_is_not_an_encoder_gets_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such folder") as err:
        load_encoder(tmp_path / "missing")
    assert err.value.context["field"] == "text_encoder" and "missing" in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match=r"neither modules\.json"):
        load_encoder(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bert"')
    with pytest.raises(FormatError, match="could not be loaded") as err:
        load_encoder(broken)
    assert str(broken) in str(err.value)
