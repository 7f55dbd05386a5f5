"""The segmentation part of the validation report: 3-D Dice and IoU per volume and class (MONAI's Dice), mean ± std
and pooled per class, worst volume first, the worst and best volumes' example slices, and the HTML export's
pictures (a Dice chart and the two slices with their outlines)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from labelhub.assist._volume_seg_net import dice_per_class
from labelhub.assist.report import render_html
from labelhub.assist.report_volume import VolumeScore, example_slice, overlap_counts, segmentation_report
from labelhub.formats._volume_masks import mask_array


def test_the_per_volume_dice_is_monais_and_the_iou_follows_from_the_same_counts() -> None:
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 3, (4, 20, 24))
    truth = np.where(rng.random((4, 20, 24)) < 0.7, pred, rng.integers(0, 3, (4, 20, 24)))
    truth[truth == 2] = 0  # class 2 is absent from the truth: no figure for it, as MONAI's ignore_empty
    counts = overlap_counts(pred, truth, 2)
    monai = dice_per_class(pred, truth, 2)
    report = segmentation_report([VolumeScore(1, "v", 4, counts)], ["a", "b"])["segmentation"]
    (row,) = report["per_volume"]
    assert row["dice"][0] == pytest.approx(monai[0], abs=1e-4) and row["dice"][1] is None and math.isnan(monai[1])
    inter, union = int(((pred == 1) & (truth == 1)).sum()), int(((pred == 1) | (truth == 1)).sum())
    assert row["iou"][0] == pytest.approx(inter / union, abs=1e-4)
    b = report["per_class"][1]
    assert (b["volumes"], b["dice_mean"], b["true_voxels"]) == (0, None, 0)
    assert b["predicted_voxels"] == int((pred == 2).sum()) and b["dice_pooled"] is None


def _score(item_id: int, name: str, counts: list[tuple[int, int, int]], example: bool = True) -> VolumeScore:
    ex = {"slice": 2, "truth": {}, "predicted": {}} if example else None
    return VolumeScore(item_id, name, 5, np.asarray(counts, dtype=np.int64), ex)


def test_per_class_mean_std_and_pooled_figures_and_the_worst_volume_first() -> None:
    # a: Dice 1.0 on a small volume, 0.5 on a large one; b: only on the second.
    scores = [_score(7, "small", [(10, 10, 10), (0, 0, 0)]), _score(8, "large", [(100, 200, 200), (30, 40, 40)])]
    out = segmentation_report(scores, ["a", "b"])
    seg = out["segmentation"]
    a, b = seg["per_class"]
    assert (a["dice_mean"], a["dice_std"], a["volumes"]) == (0.75, 0.25, 2)
    assert a["dice_pooled"] == pytest.approx(2 * 110 / 420, abs=1e-4)  # large volumes weigh more
    assert a["iou_mean"] == pytest.approx((1.0 + 100 / 300) / 2, abs=1e-4)
    assert a["iou_pooled"] == pytest.approx(110 / 310, abs=1e-4)
    assert (b["dice_mean"], b["dice_std"], b["volumes"]) == (0.75, 0.0, 1)
    assert out["mean_dice"] == 0.75
    assert [v["name"] for v in seg["per_volume"]] == ["large", "small"]  # worst first
    assert seg["per_volume"][0]["mean_dice"] == pytest.approx((0.5 + 0.75) / 2)
    assert [(e["which"], e["item_id"]) for e in seg["examples"]] == [("worst", 8), ("best", 7)]
    assert (seg["volumes"], seg["slices"]) == (2, 10)


def test_one_volume_has_a_worst_example_only_and_no_figure_gives_no_example() -> None:
    one = segmentation_report([_score(1, "only", [(5, 10, 10)])], ["a"])["segmentation"]
    assert [e["which"] for e in one["examples"]] == ["worst"]
    none = segmentation_report([_score(1, "empty", [(0, 3, 0)])], ["a"])
    assert none["mean_dice"] is None and none["segmentation"]["examples"] == []
    assert none["segmentation"]["per_class"][0]["predicted_voxels"] == 3


def test_the_example_is_the_middle_labelled_slice_with_a_true_mask() -> None:
    truth = np.zeros((5, 8, 8), np.uint8)
    pred = np.zeros((5, 8, 8), np.uint8)
    for i in (1, 2, 4):
        truth[i, 2:5, 2:5] = 1
    pred[2, 3:6, 3:6] = 2
    ex = example_slice(pred, truth, [10, 11, 12, 13, 14], ["a", "b"])
    assert ex is not None and ex["slice"] == 12
    assert set(ex["truth"]) == {"a"} and set(ex["predicted"]) == {"b"}
    assert mask_array(ex["truth"]["a"]).sum() == 9 and mask_array(ex["predicted"]["b"]).sum() == 9
    assert example_slice(pred, np.zeros_like(truth), [0, 1, 2, 3, 4], ["a", "b"]) is None


def test_the_html_export_draws_the_dice_chart_and_the_worst_and_best_slices() -> None:
    truth = np.zeros((3, 16, 20), np.uint8)
    truth[:, 4:10, 5:12] = 1
    good, bad = truth.copy(), np.roll(truth, 3, axis=2)
    scores = []
    for item_id, name, pred in ((1, "good", good), (2, "<bad>", bad)):
        scores.append(VolumeScore(item_id, name, 3, overlap_counts(pred, truth, 1),
                                  example_slice(pred, truth, [0, 1, 2], ["hippo<campus>"])))  # fmt: skip
    report = {"kind": "volume_segmenter", "n": 2, "classes": ["hippo<campus>"], "per_class": [], "confusion": [],
              "reliability": [], "ece": None, "on_training_data": False,
              "accepted_unchanged": {"proposals": 4, "reviewed": 2, "accepted_unchanged": 1, "auto_accepted": 0,
                                     "share": 0.5}}  # fmt: skip
    report |= segmentation_report(scores, ["hippo<campus>"])
    image = np.linspace(0, 500, 16 * 20).reshape(16, 20)
    page = render_html(report, title="Validation report: seg v1", slices={(2, 1): image})
    assert "hippo<campus>" not in page and "hippo&lt;campus&gt;" in page and "&lt;bad&gt;" in page
    figures = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert figures == ["Dice per class", "Worst volume: &lt;bad&gt;, slice 2", "Best volume: good, slice 2"]
    assert "Per volume (worst first)" in page
    assert re.search(r"<th>mean Dice</th><td>0\.\d{3}</td>", page)
    assert "1 of 2 reviewed" in page
