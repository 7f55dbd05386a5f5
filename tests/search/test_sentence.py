"""The ``sentence`` embedder: a sentence-transformers model from a folder, as search uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.assist._encoders import WIDTH, Synonyms, synonym_encoder

from labelhub.errors import ValidationError
from labelhub.search import SentenceConfig, create_embedder, embedder_names


@pytest.fixture(scope="module")
def synonyms(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Synonyms]:
    return synonym_encoder(tmp_path_factory.mktemp("sentence"))


def test_texts_become_unit_vectors_and_synonyms_neighbours(synonyms: tuple[Path, Synonyms]) -> None:
    folder, words = synonyms
    assert "sentence" in embedder_names()
    embedder = create_embedder("sentence", SentenceConfig(path=folder, batch_size=2))
    assert (embedder.name, embedder.dim, embedder.modalities) == ("sentence", WIDTH, frozenset({"text"}))
    assert embedder.version.startswith("sentence-") and len(embedder.version) == len("sentence-") + 16
    texts = [words["travel"][0][0], words["travel"][1][2], words["fraud"][1][0]]
    v = embedder.embed_texts(texts)
    assert v.shape == (3, WIDTH) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > 0.8 and float(v[0] @ v[2]) < 0.3
    again = create_embedder("sentence", SentenceConfig(path=folder))
    assert again.version == embedder.version and np.allclose(again.embed_texts(texts), v)
    with pytest.raises(ValidationError, match="reads texts, not images"):
        embedder.embed_images([folder / "a.jpg"])


def test_a_config_without_a_model_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a folder") as err:
        SentenceConfig(path=tmp_path / "nothing-here")
    assert err.value.context["field"] == "path"
    with pytest.raises(ValidationError, match="neither modules") as err:
        create_embedder("sentence", SentenceConfig(path=tmp_path))
    assert err.value.context["field"] == "path" and str(tmp_path) in str(err.value)
