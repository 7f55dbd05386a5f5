"""The volume segmenter's engine: validation Dice on held-out synthetic volumes, reproducibility, proposals on the
right slices, saving and loading (and the ONNX export) without a change in what it predicts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.assist._volume_seg_support import CLASSES, SHAPE, synthetic, volumes

from labelhub.assist._volume_seg_net import normalise, pad_stack, shown_stack, split_items, training_slices
from labelhub.assist.volume_seg import (
    VolumeSegConfig,
    VolumeSegmenter,
    load_volume_segmenter,
    save_volume_segmenter,
    train_volume_segmenter,
)
from labelhub.errors import FormatError, ValidationError
from labelhub.formats._volume_masks import mask_array

CONFIG = VolumeSegConfig(seed=1, held_out=0.25)


@pytest.fixture(scope="module")
def trained() -> VolumeSegmenter:
    return train_volume_segmenter(volumes(8), CLASSES, CONFIG)


def test_held_out_volumes_are_segmented_with_a_dice_above_0_7(trained: VolumeSegmenter) -> None:
    m = trained.metrics
    assert (m["evaluated_on"], m["n"], m["volumes"], m["slices"]) == ("held-out volumes", 2, 6, 6 * SHAPE[2])
    assert m["dice"]["ball"] > 0.7 and m["dice"]["box"] > 0.7, m["dice"]
    assert len(m["held_out"]["scores"]) == len(m["held_out"]["correct"]) > 0
    assert m["normalisation"].startswith("percentile 0.5-99.5")


def test_the_same_seed_trains_the_same_weights(trained: VolumeSegmenter) -> None:
    again = train_volume_segmenter(volumes(8), CLASSES, CONFIG)
    for (name, a), (_, b) in zip(trained.net.state_dict().items(), again.net.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    drop = ("train_seconds",)
    assert {k: v for k, v in trained.metrics.items() if k not in drop} == {
        k: v for k, v in again.metrics.items() if k not in drop
    }


def test_proposals_lie_on_the_slices_that_hold_each_class(trained: VolumeSegmenter) -> None:
    img, lab = synthetic(np.random.default_rng(99))
    proposals = trained.proposals(img)
    truth = shown_stack(lab)
    for c, name in enumerate(CLASSES, start=1):
        want = {k for k in range(SHAPE[2]) if (truth[k] == c).sum() >= 5}
        got = {p.frame for p in proposals if p.label == name}
        assert len(want & got) >= len(want) - 1 and len(got - want) <= 1, (name, want, got)
    for p in proposals:
        assert p.kind == "mask" and 0.0 <= p.score <= 1.0 and p.geometry["size"] == [SHAPE[1], SHAPE[0]]
        assert mask_array(p.geometry).sum() >= trained.config.min_component


def test_a_saved_segmenter_predicts_the_same_and_its_onnx_agrees(trained: VolumeSegmenter, tmp_path: Path) -> None:
    import onnxruntime as ort

    files = save_volume_segmenter(trained, tmp_path / "m")
    assert files == {"state": "model.pt", "onnx": "unet.onnx"}
    loaded = load_volume_segmenter(tmp_path / "m")
    assert loaded.classes == tuple(CLASSES) and loaded.config == trained.config
    img, _ = synthetic(np.random.default_rng(5))
    assert np.array_equal(loaded.probabilities(img), trained.probabilities(img))
    x = pad_stack(shown_stack(normalise(img)))[:, None]
    session = ort.InferenceSession(str(tmp_path / "m" / "unet.onnx"), providers=["CPUExecutionProvider"])
    (onnx_probs,) = session.run(["probs"], {"slices": x})
    assert np.allclose(onnx_probs, trained.probabilities(img), atol=1e-4)


def test_a_file_that_is_no_segmenter_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"not a model")
    with pytest.raises(FormatError, match=r"model\.pt"):
        load_volume_segmenter(tmp_path)
    torch.save({"format": 1, "kind": "text_classifier"}, tmp_path / "other.pt")
    with pytest.raises(FormatError, match="not a labelhub volume segmenter"):
        load_volume_segmenter(tmp_path / "other.pt")


def test_only_the_labelled_slices_are_trained_on() -> None:
    vols = volumes(2)
    vols[1] = dataclasses.replace(vols[1], slices=[3, 7])
    x, y = training_slices(vols)
    assert x.shape == (SHAPE[2] + 2, 1, 32, 32) and y.shape == x.shape
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.array_equal(y[SHAPE[2] + 1, 0], shown_stack(vols[1].labels)[7])
    with pytest.raises(ValidationError, match="no labelled slice"):
        training_slices([dataclasses.replace(vols[0], slices=[])])


def test_validation_volumes_are_whole_items_chosen_by_the_seed() -> None:
    train, val = split_items([5, 1, 9, 3, 7], 0.2, seed=4)
    assert (len(train), len(val)) == (4, 1) and set(train) | set(val) == {1, 3, 5, 7, 9}
    assert split_items([9, 7, 5, 3, 1], 0.2, seed=4) == (train, val)
    assert split_items([1, 2], 0.5, seed=0) == ([1, 2], [])  # too few volumes to keep one out
