"""The hashed n-gram embedder on real captions: stable, unit length, and captions of one image find each other."""

from __future__ import annotations

import numpy as np
import pytest
from tests.search._data import coco_captions, xtd10

from labelhub.errors import ValidationError
from labelhub.search import NgramConfig, create_embedder, embedder_names, get_embedder


def test_registry_names_the_embedders() -> None:
    assert embedder_names() == ["dual", "ngram", "open_clip", "sentence", "ssl"]
    assert get_embedder("ngram").modalities == frozenset({"text"})
    with pytest.raises(ValidationError) as info:
        get_embedder("word2vec")
    assert info.value.context["field"] == "embedder"


def test_captions_of_the_same_image_are_nearest_neighbours() -> None:
    pairs = coco_captions()
    images = np.array([i for i, _ in pairs])
    vectors = create_embedder("ngram").embed_texts([c for _, c in pairs])
    assert vectors.shape == (395, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    same_image = float(np.mean(images[sims.argmax(axis=1)] == images))
    # Chance is 4 of 394 (1 %); word and subword overlap between captions of one scene does far better.
    assert same_image > 0.3


def test_vectors_do_not_depend_on_the_process_or_the_batch() -> None:
    texts = xtd10("zh")[:20] + xtd10("ru")[:20] + xtd10("en")[:20]  # scripts with and without spaces
    one = create_embedder("ngram").embed_texts(texts)
    again = np.concatenate([create_embedder("ngram").embed_texts([t]) for t in texts])
    assert np.array_equal(one, again)
    assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)


def test_case_and_width_are_folded() -> None:
    a, b = create_embedder("ngram").embed_texts(["STRASSE 12", "stra\u00dfe \uff11\uff12"])
    assert float(a @ b) == pytest.approx(1.0)


def test_version_follows_the_settings() -> None:
    assert create_embedder("ngram").version != create_embedder("ngram", NgramConfig(dim=256)).version
    assert create_embedder("ngram", NgramConfig(dim=256)).dim == 256


def test_text_without_words_gets_the_zero_vector() -> None:
    out = create_embedder("ngram").embed_texts(["", "a dog"])
    assert not out[0].any() and out[1].any()
    assert create_embedder("ngram").embed_texts([]).shape == (0, 512)


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("texts", lambda e: e.embed_texts("one string")),
        ("texts", lambda e: e.embed_texts(["ok", 3])),
        ("modality", lambda e: e.embed_images(["x.jpg"])),
    ],
)
def test_bad_input_names_the_field(field: str, call: object) -> None:
    with pytest.raises(ValidationError) as info:
        call(create_embedder("ngram"))  # type: ignore[operator]
    assert info.value.context["field"] == field


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("dim", {"dim": 8}), ("char_ngrams", {"char_ngrams": (5, 3)}), ("word_ngrams", {"word_ngrams": (0, 1)})],
)
def test_bad_settings_name_the_field(field: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as info:
        NgramConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.context["field"] == field


def test_wrong_config_type_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        create_embedder("ngram", {"dim": 64})
    assert info.value.context["field"] == "config"
