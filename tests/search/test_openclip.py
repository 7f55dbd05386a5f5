"""The open_clip loader on tiny randomly initialised models, saved and loaded back as a user's checkpoint would be.

No weights can be downloaded here, so each test model is an open_clip config with one small layer per tower:
a plain CLIP one (open_clip's own text transformer and BPE tokenizer) and a multilingual one whose text tower is
a Hugging Face XLM-RoBERTa, with a tokenizer trained on XTD10's captions in eleven languages.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.search._data import coco128_images, xtd10

from labelhub.errors import FormatError, ValidationError
from labelhub.search import OpenClipConfig, create_embedder, create_index
from labelhub.search._torch_compat import import_open_clip

VISION = {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16}
TINY = {"embed_dim": 32, "vision_cfg": VISION,
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}  # fmt: skip
TINY_XLMR = {"embed_dim": 32, "vision_cfg": VISION,
             "text_cfg": {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": "xlm-roberta-base",
                          "hf_pooler_type": "mean_pooler", "context_length": 24}}  # fmt: skip
LANGUAGES = [("en", "XTD10"), ("de", "MIC"), ("fr", "MIC"), ("zh", "XTD10"), ("ru", "XTD10"), ("ko", "XTD10"),
             ("jp", "STAIR"), ("tr", "XTD10"), ("pl", "XTD10"), ("es", "XTD10"), ("it", "XTD10")]  # fmt: skip


def _save_random_model(folder: Path, name: str, cfg: dict[str, Any], **kwargs: Any) -> Path:
    """Build ``cfg`` with random weights through open_clip and save its state dict, as a training run would."""
    import torch

    oc = import_open_clip()
    (folder / f"{name}.json").write_text(json.dumps(cfg))
    oc.add_model_config(folder / f"{name}.json")
    torch.manual_seed(0)
    model = oc.create_model(name, **kwargs)
    path = folder / f"{name}.pt"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model config JSON, checkpoint) of a tiny plain CLIP."""
    folder = tmp_path_factory.mktemp("tiny-clip")
    checkpoint = _save_random_model(folder, "tiny-clip-test", TINY)
    return folder / "tiny-clip-test.json", checkpoint


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(model config JSON naming "xlm-roberta-base", checkpoint, local text model folder) of a tiny M-CLIP."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import XLMRobertaConfig, XLMRobertaTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-mclip")
    text_dir = folder / "xlm-roberta-tiny"
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's ids 0-3, as its config expects
    lines = [line for lang, sub in LANGUAGES for line in xtd10(lang, sub)[:200]]
    tok.train_from_iterator(lines, trainers.UnigramTrainer(vocab_size=2000, special_tokens=specials, unk_token="<unk>"))
    names = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
             "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>"}  # fmt: skip
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok, **names)
    fast.save_pretrained(text_dir)
    XLMRobertaConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=40, pad_token_id=1, bos_token_id=0,
                     eos_token_id=2).save_pretrained(text_dir)  # fmt: skip
    local = json.loads(json.dumps(TINY_XLMR))
    local["text_cfg"].update(hf_model_name=str(text_dir), hf_tokenizer_name=str(text_dir))
    checkpoint = _save_random_model(folder, "tiny-mclip-build", local, pretrained_text=False)
    config = folder / "tiny-mclip.json"
    config.write_text(json.dumps(TINY_XLMR))  # as published: the text tower named by its Hub name
    return config, checkpoint, text_dir


def test_tiny_model_embeds_real_images_and_texts(tiny: tuple[Path, Path]) -> None:
    config, checkpoint = tiny
    embedder = create_embedder("open_clip", OpenClipConfig(model=str(config), pretrained=checkpoint, batch_size=3))
    assert embedder.name == "open_clip" and embedder.dim == 32
    assert embedder.version == f"tiny-clip-test@{hashlib.sha256(checkpoint.read_bytes()).hexdigest()[:12]}"
    images = coco128_images(5)
    vectors = embedder.embed_images(images)  # two batches of 3 and 2
    assert vectors.shape == (5, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embedder.embed_images(images[3:4])[0], vectors[3], atol=1e-5)
    texts = embedder.embed_texts(["a giraffe next to a tree", "two dogs on a beach", "a bowl of broccoli"])
    assert texts.shape == (3, 32) and np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    reloaded = create_embedder("open_clip", OpenClipConfig(model=str(config), pretrained=checkpoint))
    assert np.allclose(reloaded.embed_images(images[:2]), vectors[:2], atol=1e-5)  # the weights, not chance


def test_image_search_over_tiny_clip_embeddings(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    embedder = create_embedder("open_clip", OpenClipConfig(model=str(tiny[0]), pretrained=tiny[1]))
    vectors = embedder.embed_images(coco128_images(24))
    index = create_index(tmp_path / "ix", dim=embedder.dim, backend="hnswlib")
    index.add(range(24), vectors)
    assert [index.search(vectors[i], 1).ids[0] for i in range(24)] == list(range(24))


def test_published_layout_loads_from_one_folder(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    """A Hugging Face snapshot of open_clip weights: open_clip_config.json and the checkpoint side by side."""
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copy(tiny[1], snapshot / "open_clip_pytorch_model.bin")
    preprocess = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
    (snapshot / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY, "preprocess_cfg": preprocess}))
    embedder = create_embedder("open_clip", OpenClipConfig(model=str(snapshot), pretrained=snapshot))
    assert embedder.version.startswith("snapshot@")
    assert embedder.embed_images(coco128_images(2)).shape == (2, 32)


def test_multilingual_text_tower_loads_from_a_local_folder(multilingual: tuple[Path, Path, Path]) -> None:
    config, checkpoint, text_dir = multilingual
    cfg = OpenClipConfig(model=str(config), pretrained=checkpoint, text_model_dir=text_dir)
    embedder = create_embedder("open_clip", cfg)
    captions = [xtd10(lang, sub)[192] for lang, sub in LANGUAGES]  # the same image, in eleven languages
    vectors = embedder.embed_texts(captions)
    assert vectors.shape == (11, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len({v.tobytes() for v in vectors}) == 11  # each language tokenised into different input
    assert embedder.embed_images(coco128_images(2)).shape == (2, 32)


def test_multilingual_model_without_its_text_folder_says_what_to_provide(
    multilingual: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    config, checkpoint, _ = multilingual
    with pytest.raises(ValidationError, match="xlm-roberta-base") as info:
        create_embedder("open_clip", OpenClipConfig(model=str(config), pretrained=checkpoint))
    assert info.value.context["field"] == "text_model_dir"
    (tmp_path / "config.json").write_text("{}")  # a config, but no tokenizer
    with pytest.raises(ValidationError) as info:
        create_embedder("open_clip", OpenClipConfig(model=str(config), pretrained=checkpoint, text_model_dir=tmp_path))
    assert info.value.context["field"] == "text_model_dir"


def test_checkpoint_of_another_architecture_is_refused(tiny: tuple[Path, Path], multilingual: tuple[Path, ...]) -> None:
    with pytest.raises(ValidationError, match="cannot load") as info:
        create_embedder("open_clip", OpenClipConfig(model=str(tiny[0]), pretrained=multilingual[1]))
    assert info.value.context["field"] == "pretrained"


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("model", lambda d, ck: OpenClipConfig(model="ViT-Q-99", pretrained=ck)),
        ("model", lambda d, ck: OpenClipConfig(model=str(d / "not-a-model.json"), pretrained=ck)),
        ("pretrained", lambda d, ck: OpenClipConfig(model="ViT-B-32", pretrained=d / "missing.pt")),
        ("pretrained", lambda d, ck: OpenClipConfig(model="ViT-B-32", pretrained=d)),  # two checkpoints there
        ("batch_size", lambda d, ck: OpenClipConfig(model="ViT-B-32", pretrained=ck, batch_size=0)),
        ("text_model_dir", lambda d, ck: OpenClipConfig(model="ViT-B-32", pretrained=ck, text_model_dir=d / "no")),
    ],
)
def test_bad_settings_name_the_field(field: str, make: Any, tiny: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "not-a-model.json").write_text(json.dumps({"embed_dim": 3}))
    for name in ("a.pt", "b.pt"):
        shutil.copy(tiny[1], tmp_path / name)
    with pytest.raises(ValidationError) as info:
        create_embedder("open_clip", make(tmp_path, tiny[1]))
    assert info.value.context["field"] == field


def test_unreadable_image_names_the_file(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    embedder = create_embedder("open_clip", OpenClipConfig(model=str(tiny[0]), pretrained=tiny[1]))
    with pytest.raises(FormatError) as info:
        embedder.embed_images([*coco128_images(1), broken])
    assert info.value.context["file"] == str(broken)


def test_open_clip_needs_a_config() -> None:
    with pytest.raises(ValidationError) as info:
        create_embedder("open_clip")
    assert info.value.context["field"] == "config"
