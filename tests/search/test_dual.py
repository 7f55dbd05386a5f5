"""The built-in dual encoder on real captions: it learns, loads back exactly, repeats with a seed, reads languages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tests.conftest import data_path

from labelhub.errors import FormatError, ValidationError
from labelhub.search import create_embedder, get_embedder
from labelhub.search.dual import DualConfig, EncoderCheckpoint, TextHashing
from labelhub.search.dual.bitext import read_bitext
from labelhub.search.dual.model import DualEncoder, load_encoder, save_encoder
from labelhub.search.dual.train import train_dual

# Small enough for a test: 32-pixel images, a narrow CNN, 4096 hash buckets.
SMALL: dict[str, Any] = {"dim": 32, "image_size": 32, "width": 8, "text_width": 32,
                         "hashing": TextHashing(buckets=4096), "batch_size": 12, "translation_batch": 24}  # fmt: skip


def coco_slice(count: int = 12) -> tuple[list[Path], list[list[str]]]:
    """Return the first ``count`` COCO-mini val images (by id) and their five English captions each."""
    root = data_path("captions_coco_mini_en_plus_xtd10")
    data = json.loads((root / "annotations" / "captions_val2017.json").read_text())
    caps: dict[int, list[str]] = {}
    for a in data["annotations"]:
        caps.setdefault(int(a["image_id"]), []).append(str(a["caption"]).strip())
    images = sorted(data["images"], key=lambda im: int(im["id"]))[:count]
    return [root / "images" / "val2017" / im["file_name"] for im in images], [caps[int(im["id"])] for im in images]


def translations(count: int = 120) -> list[tuple[str, str]]:
    """Return the first ``count`` German-English pairs of Multi30K's validation split."""
    raw = data_path("captions_multi30k_text_only", "raw")
    with gzip.open(raw / "val.de.gz", "rt", encoding="utf-8") as de, gzip.open(raw / "val.en.gz", "rt",
                                                                               encoding="utf-8") as en:  # fmt: skip
        return list(zip(de.read().splitlines()[:count], en.read().splitlines()[:count], strict=True))


@pytest.fixture(scope="module")
def trained() -> tuple[DualEncoder, object, list[Path]]:
    images, captions = coco_slice()
    model, history = train_dual(images, captions, translations(), DualConfig(epochs=1, min_steps=30, seed=3, **SMALL))
    return model, history, images


def test_both_losses_fall(trained: tuple[DualEncoder, object, list[Path]]) -> None:
    _, history, _ = trained
    caption, translation = history.caption_loss, history.translation_loss  # type: ignore[attr-defined]
    assert len(caption) == len(translation) == 30  # one pass of 12 images is one step
    # InfoNCE over a batch of 12 starts near log(12) = 2.48; learning pushes it down.
    assert np.mean(caption[:5]) > 2.2
    assert np.mean(caption[-5:]) < np.mean(caption[:5]) - 0.5
    assert np.mean(translation[-5:]) < np.mean(translation[:5]) - 0.3
    assert history.averaged_passes == 8  # type: ignore[attr-defined]  # SWA from pass 22 (round(0.75 * 30))


def test_save_and_load_give_the_same_embeddings(
    trained: tuple[DualEncoder, object, list[Path]], tmp_path: Path
) -> None:
    model, _, images = trained
    version = save_encoder(tmp_path / "enc", "dual", model, DualConfig(**SMALL).architecture(), {"note": "test"})
    assert version.startswith("dual-") and len(version) == len("dual-") + 12
    embedder = create_embedder("dual", EncoderCheckpoint(path=tmp_path / "enc"))
    assert (embedder.name, embedder.version, embedder.dim) == ("dual", version, 32)
    texts = ["a man riding a wave on a surfboard", "ein Hund im Schnee"]
    with torch.inference_mode():
        from labelhub.search.dual.images import load_images, normalise
        from labelhub.search.dual.text import NgramHasher

        direct_img = model.encode_images(normalise(load_images(images[:4], 32))).numpy()
        direct_txt = model.encode_texts(NgramHasher(model.hashing).encode(texts)).numpy()
    assert np.array_equal(embedder.embed_images(images[:4]), direct_img)
    assert np.array_equal(embedder.embed_texts(texts), direct_txt)
    # A second load, and a re-save of the loaded weights, name the same weights.
    again = create_embedder("dual", EncoderCheckpoint(path=tmp_path / "enc"))
    assert np.array_equal(again.embed_images(images[:4]), direct_img)
    loaded, meta = load_encoder(tmp_path / "enc", "dual")
    assert meta["training"] == {"note": "test"}
    assert save_encoder(tmp_path / "copy", "dual", loaded, meta["architecture"]) == version


def test_same_seed_same_weights_other_seed_other_weights(tmp_path: Path) -> None:
    images, captions = coco_slice(8)
    pairs = translations(40)
    cfg = {**SMALL, "batch_size": 8, "epochs": 1, "min_steps": 6}
    arch = DualConfig(**cfg).architecture()
    versions: list[str] = []
    for seed in (5, 5, 6):
        model, _ = train_dual(images, captions, pairs, DualConfig(seed=seed, **cfg))
        versions.append(save_encoder(tmp_path / f"s{len(versions)}", "dual", model, arch))
    assert versions[0] == versions[1] != versions[2]


def test_texts_in_any_language_embed(trained: tuple[DualEncoder, object, list[Path]], tmp_path: Path) -> None:
    model, _, images = trained
    save_encoder(tmp_path / "enc", "dual", model, DualConfig(**SMALL).architecture())
    embedder = create_embedder("dual", EncoderCheckpoint(path=tmp_path / "enc"))
    texts = ["Zwei Hunde spielen im Schnee.", "Deux chiens jouent dans la neige.", "два человека", "", "   "]
    out = embedder.embed_texts(texts, lang="de")  # type: ignore[call-arg]  # the protocol has no lang; dual takes it
    assert out.shape == (5, 32) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out[:3], axis=1), 1.0, atol=1e-5)
    assert not out[3].any() and not out[4].any()  # no word characters: the zero vector, as ngram gives
    # lang is ignored: the same text gets the same vector with any language code.
    assert np.array_equal(out, embedder.embed_texts(texts, lang="fr"))  # type: ignore[call-arg]
    assert np.allclose(out[:1], embedder.embed_texts(texts[:1]), atol=1e-6)  # alone or in a batch: the same
    assert np.allclose(np.linalg.norm(embedder.embed_images(images[:3]), axis=1), 1.0, atol=1e-5)


def test_registry_and_errors(tmp_path: Path) -> None:
    assert get_embedder("dual").modalities == frozenset({"image", "text"})
    with pytest.raises(ValidationError) as info:
        create_embedder("dual")
    assert info.value.context["field"] == "config"
    with pytest.raises(ValidationError) as info:
        EncoderCheckpoint(path=tmp_path)
    assert info.value.context["field"] == "path"
    (tmp_path / "encoder.json").write_text('{"format": 1, "kind": "ssl", "architecture": {}}')
    with pytest.raises(FormatError, match="holds a 'ssl' encoder"):
        create_embedder("dual", EncoderCheckpoint(path=tmp_path))
    with pytest.raises(ValidationError) as info:
        train_dual(["a.jpg"], [["one caption"]])
    assert info.value.context["field"] == "images"
    with pytest.raises(ValidationError) as info:
        DualConfig(image_size=8)
    assert info.value.context["field"] == "image_size"


def test_bitext_files(tmp_path: Path) -> None:
    (tmp_path / "pairs.tsv").write_text("ein Hund\ta dog\tde\nun chat\ta cat\n\tmissing\n", encoding="utf-8")
    pairs = read_bitext(tmp_path / "pairs.tsv")
    assert [(p.lang, p.source, p.english) for p in pairs] == [("de", "ein Hund", "a dog"), ("?", "un chat", "a cat")]
    folder = tmp_path / "parallel"
    folder.mkdir()
    (folder / "dev.en").write_text("a dog\na cat\n")
    (folder / "dev.de").write_text("ein Hund\neine Katze\n")
    (folder / "dev.fr").write_text("un chien\n")
    with pytest.raises(FormatError, match="match line by line"):
        read_bitext(folder)
    assert [p.source for p in read_bitext(folder, langs={"de"})] == ["ein Hund", "eine Katze"]
    multi30k = read_bitext(data_path("captions_multi30k_text_only"), splits=["val"])
    assert {p.lang for p in multi30k} == {"de", "fr", "cs"} and len(multi30k) == 3 * 1014
