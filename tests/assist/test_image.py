"""The image assistant on images the test draws: the small CNN trained here, and a tiny open_clip backbone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from labelhub.assist import TrainConfig, TrainMode
from labelhub.assist.image import (
    CnnBackbone,
    EmbedderBackbone,
    ImageClassifier,
    backbone_from_state,
    resolve_backbone,
    train_image_classifier,
)
from labelhub.assist.kinds import ClassifierPredictor
from labelhub.assist.persist import load_classifier, save_classifier
from labelhub.assist.predictors import ItemInput
from labelhub.errors import ValidationError
from labelhub.search import embedder_names

CFG = TrainConfig(mode=TrainMode.SWAG, min_steps=120, hidden=16, swag_samples=6)
TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def _draw(folder: Path, n: int, seed: int) -> tuple[list[Path], list[str]]:
    """Return ``n`` 48x48 images of a filled circle or a filled square, in random colours, and their labels."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths, labels = [], []
    for i in range(n):
        shape = "circle" if i % 2 else "square"
        im = Image.new("RGB", (48, 48), tuple(int(v) for v in rng.integers(0, 80, 3)))
        d = ImageDraw.Draw(im)
        cx, cy, r = (int(v) for v in (rng.integers(16, 32), rng.integers(16, 32), rng.integers(9, 14)))
        fill = tuple(int(v) for v in rng.integers(150, 256, 3))
        (d.ellipse if shape == "circle" else d.rectangle)((cx - r, cy - r, cx + r, cy + r), fill=fill)
        paths.append(folder / f"{i:03d}.png")
        im.save(paths[-1])
        labels.append(shape)
    return paths, labels


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[str], list[Path], list[str]]:
    root = tmp_path_factory.mktemp("shapes")
    return (*_draw(root / "train", 120, 0), *_draw(root / "test", 40, 1))


@pytest.fixture(scope="module")
def cnn_model(shapes: tuple[list[Path], list[str], list[Path], list[str]]) -> ImageClassifier:
    paths, labels, _, _ = shapes
    # The default 30 passes: at 12 the CNN is a coin flip on some draws (test accuracy 0.5-0.93 over seeds).
    return train_image_classifier(paths, labels, config=CFG, held_out=0.2)


def test_without_a_backbone_a_small_cnn_is_trained_and_tells_the_shapes_apart(
    cnn_model: ImageClassifier, shapes: tuple[list[Path], list[str], list[Path], list[str]]
) -> None:
    _, _, test_paths, test_labels = shapes
    assert isinstance(cnn_model.backbone, CnnBackbone)
    assert cnn_model.classes == ("circle", "square")
    assert cnn_model.held_out is not None and cnn_model.held_out.n == 24
    predicted = [label for label, _ in cnn_model.predict(test_paths)]
    accuracy = np.mean([p == t for p, t in zip(predicted, test_labels, strict=True)])
    assert accuracy >= 0.85  # chance is 0.5


def test_the_same_seed_trains_the_same_image_model(shapes: tuple[list[Path], list[str], list[Path], list[str]]) -> None:
    paths, labels, test_paths, _ = shapes
    a = train_image_classifier(paths[:60], labels[:60], config=CFG, held_out=0.0, cnn_epochs=3)
    b = train_image_classifier(paths[:60], labels[:60], config=CFG, held_out=0.0, cnn_epochs=3)
    np.testing.assert_array_equal(a.sample_proba(test_paths), b.sample_proba(test_paths))


def test_a_saved_image_model_predicts_as_before_through_its_predictor(
    cnn_model: ImageClassifier, shapes: tuple[list[Path], list[str], list[Path], list[str]], tmp_path: Path
) -> None:
    _, _, test_paths, _ = shapes
    save_classifier(cnn_model, tmp_path)
    loaded = load_classifier(tmp_path)
    assert isinstance(loaded, ImageClassifier) and isinstance(loaded.backbone, CnnBackbone)
    np.testing.assert_array_equal(loaded.predict_proba(test_paths), cnn_model.predict_proba(test_paths))
    items = [ItemInput(item_id=i + 1, kind="image", path=p) for i, p in enumerate(test_paths[:4])]
    items.append(ItemInput(item_id=99, kind="image", path=tmp_path / "missing.png"))
    out = ClassifierPredictor(loaded).predict(items)
    assert [p.item_id for p in out] == [1, 2, 3, 4, 99]
    expected = cnn_model.predict(test_paths[:4])
    for p, (label, score) in zip(out[:4], expected, strict=True):
        assert p.error is None and p.proposals[0].kind == "class" and p.proposals[0].geometry == {}
        assert p.proposals[0].label == label and p.proposals[0].score == pytest.approx(score)
        assert p.samples is not None and p.samples.shape == (CFG.swag_samples, 2)
    assert out[4].error is not None and not out[4].proposals


def test_a_configured_open_clip_checkpoint_is_the_backbone(
    shapes: tuple[list[Path], list[str], list[Path], list[str]], tmp_path: Path
) -> None:
    import torch

    from labelhub.search._torch_compat import import_open_clip

    oc = import_open_clip()
    config = tmp_path / "tiny-clip-assist.json"
    config.write_text(json.dumps(TINY_CLIP))
    oc.add_model_config(config)
    torch.manual_seed(0)
    checkpoint = tmp_path / "tiny.pt"
    torch.save(oc.create_model("tiny-clip-assist").state_dict(), checkpoint)
    backbone = resolve_backbone({"model": str(config), "pretrained": str(checkpoint)})
    assert isinstance(backbone, EmbedderBackbone) and backbone.name == "open_clip"
    paths, labels, test_paths, _ = shapes
    clf = train_image_classifier(paths[:40], labels[:40], backbone=backbone, config=CFG, held_out=0.0)
    assert clf.model.dim == 32
    save_classifier(clf, tmp_path / "saved")
    loaded = load_classifier(tmp_path / "saved")
    assert isinstance(loaded, ImageClassifier) and loaded.backbone.state()["embedder"] == "open_clip"
    np.testing.assert_allclose(loaded.predict_proba(test_paths[:8]), clf.predict_proba(test_paths[:8]), atol=1e-6)


def test_without_open_clip_or_a_trained_encoder_there_is_no_pretrained_backbone() -> None:
    found = resolve_backbone(None)
    if "ssl" in embedder_names():  # the ssl embedder needs the project's trained weights
        assert found is None or found.name == "ssl"
    else:
        assert found is None


def test_bad_image_training_input_is_refused(shapes: tuple[list[Path], list[str], list[Path], list[str]]) -> None:
    paths, labels, _, _ = shapes
    with pytest.raises(ValidationError, match="labels"):
        train_image_classifier(paths[:4], labels[:3])
    with pytest.raises(ValidationError, match="two distinct classes"):
        train_image_classifier(paths[:4], ["circle"] * 4)


def test_the_projects_self_supervised_encoder_is_the_backbone_when_trained(
    shapes: tuple[list[Path], list[str], list[Path], list[str]], tmp_path: Path
) -> None:
    """A tiny untrained encoder saved the way the ssl embedder training job saves its weights."""
    if "ssl" not in embedder_names():
        pytest.skip("the search package has no ssl embedder")
    import torch

    from labelhub.search.dual import SslConfig
    from labelhub.search.dual.model import save_encoder
    from labelhub.search.ssl import SslEncoder

    small = {"dim": 32, "projection": 16, "image_size": 32, "width": 8, "batch_size": 10}
    torch.manual_seed(0)
    arch = SslConfig(**small).architecture()
    save_encoder(tmp_path / "ssl", "ssl", SslEncoder.from_architecture(arch), arch)
    backbone = resolve_backbone(None, {"path": str(tmp_path / "ssl")})
    assert isinstance(backbone, EmbedderBackbone) and backbone.name == "ssl"
    paths, labels, test_paths, _ = shapes
    clf = train_image_classifier(paths[:30], labels[:30], backbone=backbone, config=CFG, held_out=0.0)
    save_classifier(clf, tmp_path / "saved")
    loaded = load_classifier(tmp_path / "saved")
    assert isinstance(loaded, ImageClassifier) and loaded.backbone.name == "ssl"
    np.testing.assert_allclose(loaded.predict_proba(test_paths[:6]), clf.predict_proba(test_paths[:6]), atol=1e-6)


def test_the_cnn_gives_unit_embeddings_and_a_model_saved_before_that_keeps_its_raw_ones(
    cnn_model: ImageClassifier, shapes: tuple[list[Path], list[str], list[Path], list[str]]
) -> None:
    _, _, test_paths, _ = shapes
    backbone = cnn_model.backbone
    assert isinstance(backbone, CnnBackbone)
    z = backbone.embed(test_paths[:6])
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, rtol=1e-5)
    old_state = {k: v for k, v in backbone.state().items() if k != "unit"}  # what earlier versions wrote
    old = backbone_from_state(old_state)
    assert isinstance(old, CnnBackbone) and not old.unit
    raw = old.embed(test_paths[:6])
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), z, rtol=1e-5, atol=1e-6)
    assert np.linalg.norm(raw, axis=1).min() > 1.5  # the pooled activations the head once saw, not unit rows
