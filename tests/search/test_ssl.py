"""The self-supervised image encoder on real photos: NT-Xent is right, training lowers it, embeddings are unit rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tests.search._data import coco128_images

from labelhub.errors import ValidationError
from labelhub.search import create_embedder, get_embedder
from labelhub.search.dual import EncoderCheckpoint, SslConfig
from labelhub.search.dual.model import save_encoder
from labelhub.search.ssl import SslEncoder, SslHistory, nt_xent, train_ssl

SMALL: dict[str, Any] = {"dim": 32, "projection": 16, "image_size": 32, "width": 8, "batch_size": 10}


def test_nt_xent_rewards_matching_views() -> None:
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(16, 8, generator=gen)
    matched = nt_xent(z, z + 0.01 * torch.randn(16, 8, generator=gen), 0.5)
    shuffled = nt_xent(z, z[torch.randperm(16, generator=gen)], 0.5)
    assert float(matched) < float(shuffled)
    # The smallest possible loss: each view's partner identical, all others orthogonal.
    eye = torch.eye(8)
    assert float(nt_xent(eye, eye, 0.1)) == pytest.approx(float(torch.log1p(14 * torch.exp(torch.tensor(-10.0)))),
                                                          abs=1e-5)  # fmt: skip


@pytest.fixture(scope="module")
def trained() -> tuple[SslEncoder, SslHistory, list[Path]]:
    images = coco128_images(10)
    model, history = train_ssl(images, SslConfig(epochs=1, min_steps=30, seed=1, **SMALL))
    return model, history, images


def test_training_lowers_the_loss(trained: tuple[SslEncoder, SslHistory, list[Path]]) -> None:
    _, history, _ = trained
    assert history.steps == 30 and history.averaged_passes == 8
    # 20 views a step: a random encoder scores about log(19) = 2.94; the two views of an image learn to agree.
    assert np.mean(history.loss[:5]) > 2.5
    assert np.mean(history.loss[-5:]) < np.mean(history.loss[:5]) - 0.3


def test_embeddings_are_unit_rows_and_load_back(trained: tuple[SslEncoder, SslHistory, list[Path]],
                                                tmp_path: Path) -> None:  # fmt: skip
    model, _, images = trained
    version = save_encoder(tmp_path / "ssl", "ssl", model, SslConfig(**SMALL).architecture())
    embedder = create_embedder("ssl", EncoderCheckpoint(path=tmp_path / "ssl"))
    assert (embedder.name, embedder.version, embedder.dim) == ("ssl", version, 32)
    out = embedder.embed_images(images)
    assert out.shape == (10, 32) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(out, create_embedder("ssl", EncoderCheckpoint(path=tmp_path / "ssl")).embed_images(images))
    # Each image is its own nearest neighbour, and not all images collapse onto one vector.
    sims = out @ out.T
    assert (sims.argmax(axis=1) == np.arange(10)).all()
    assert float(sims[~np.eye(10, dtype=bool)].mean()) < 0.95
    with pytest.raises(ValidationError) as info:
        embedder.embed_texts(["a dog"])
    assert info.value.context["field"] == "modality"


def test_registry_and_input_checks() -> None:
    assert get_embedder("ssl").modalities == frozenset({"image"})
    with pytest.raises(ValidationError) as info:
        train_ssl(coco128_images(1))
    assert info.value.context["field"] == "images"
    with pytest.raises(ValidationError) as info:
        SslConfig(temperature=0)
    assert info.value.context["field"] == "temperature"
