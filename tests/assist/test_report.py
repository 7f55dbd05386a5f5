"""The validation report against scikit-learn on a case small enough to check by hand, and its HTML page."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score

from labelhub.assist import ece
from labelhub.assist.report import classification_report, detection_map, detection_report, render_html

CLASSES = ["cat", "dog", "bird"]
TRUTH = ["cat", "cat", "cat", "dog", "dog", "bird", "bird", "bird"]
PROBS = np.array([
    [0.9, 0.05, 0.05],  # cat, right
    [0.6, 0.3, 0.1],  # cat, right
    [0.2, 0.7, 0.1],  # dog, wrong
    [0.1, 0.8, 0.1],  # dog, right
    [0.5, 0.4, 0.1],  # cat, wrong
    [0.1, 0.1, 0.8],  # bird, right
    [0.2, 0.2, 0.6],  # bird, right
    [0.3, 0.1, 0.6],  # bird, right
])  # fmt: skip


def test_the_numbers_match_scikit_learn() -> None:
    r = classification_report(TRUTH, PROBS, CLASSES)
    y_true = [CLASSES.index(t) for t in TRUTH]
    y_pred = PROBS.argmax(1)
    assert r["n"] == 8 and r["classes"] == CLASSES
    assert r["accuracy"] == pytest.approx(6 / 8)
    by = {c["label"]: c for c in r["per_class"]}
    for metric, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        expected = fn(y_true, y_pred, average=None, labels=[0, 1, 2])
        assert [by[c][metric] for c in CLASSES] == pytest.approx(list(expected))
    # By hand: cat predicted 3 times (2 right), dog twice (1 right), bird 3 times (all right).
    assert by["cat"]["precision"] == pytest.approx(2 / 3) and by["dog"]["recall"] == pytest.approx(1 / 2)
    assert [by[c]["support"] for c in CLASSES] == [3, 2, 3]
    assert r["confusion"] == confusion_matrix(y_true, y_pred, labels=[0, 1, 2]).tolist()
    assert r["confusion"] == [[2, 1, 0], [1, 1, 0], [0, 0, 3]]
    assert r["ece"] == pytest.approx(ece(PROBS, y_true))
    assert sum(b["count"] for b in r["reliability"]) == 8 and len(r["reliability"]) == 15
    filled = [b for b in r["reliability"] if b["count"]]
    assert all(0 <= b["accuracy"] <= 1 and b["lo"] <= b["confidence"] <= b["hi"] for b in filled)
    assert all(b["accuracy"] is None for b in r["reliability"] if not b["count"])


def test_a_human_label_the_model_does_not_know_counts_as_wrong() -> None:
    r = classification_report(["cat", "fish"], np.array([[0.9, 0.05, 0.05], [0.4, 0.5, 0.1]]), CLASSES)
    assert r["classes"] == [*CLASSES, "fish"]
    fish = r["per_class"][3]
    assert fish["support"] == 1 and fish["recall"] == 0.0
    assert r["confusion"][3] == [0, 1, 0, 0]
    assert sum(b["count"] for b in r["reliability"]) == 1  # calibration only over the model's own classes


def test_detection_map_is_one_for_exact_boxes_and_lower_for_poor_ones() -> None:
    truth = [[("cat", (10.0, 10.0, 50.0, 50.0))], [("dog", (0.0, 0.0, 30.0, 20.0)), ("cat", (40.0, 40.0, 80.0, 90.0))]]
    exact = [[(label, box, 0.9) for label, box in boxes] for boxes in truth]
    assert detection_map(truth, exact) == pytest.approx({"map50": 1.0, "map50_95": 1.0})
    # The dog box shifted: IoU (20 x 20) / (30 x 20 + 30 x 20 - 20 x 20) = 0.5 - counts at 0.5, not above.
    shifted = [exact[0], [("dog", (10.0, 0.0, 40.0, 20.0), 0.9), exact[1][1]]]
    m = detection_map(truth, shifted)
    assert m["map50"] == pytest.approx(1.0) and 0.5 < m["map50_95"] < 1.0
    assert detection_map(truth, [[], []]) == {"map50": 0.0, "map50_95": 0.0}


def test_a_detector_is_judged_on_the_classes_it_proposes_with_ap_per_class() -> None:
    truth = [
        [("cat", (10.0, 10.0, 50.0, 50.0)), ("zebra", (60.0, 60.0, 90.0, 90.0))],
        [("dog", (0.0, 0.0, 30.0, 20.0)), ("zebra", (40.0, 40.0, 80.0, 90.0)), ("kite", (1.0, 1.0, 9.0, 9.0))],
    ]
    found = [[("cat", (10.0, 10.0, 50.0, 50.0), 0.9)], [("dog", (100.0, 100.0, 130.0, 120.0), 0.8)]]  # dog missed
    r = detection_report(truth, found, ["cat", "dog"])
    d = r["detection"]
    assert d["classes"] == ["cat", "dog"] and d["images"] == 2 and d["true_boxes"] == 2 and d["predicted_boxes"] == 2
    per = {c["label"]: c for c in d["per_class"]}
    assert per["cat"]["ap50"] == pytest.approx(1.0) and per["dog"]["ap50"] == pytest.approx(0.0)
    assert per["cat"]["true_boxes"] == 1 and per["dog"]["predicted_boxes"] == 1
    assert r["map50"] == pytest.approx(0.5) and r["map50_95"] == pytest.approx(0.5)  # over cat and dog, not 4 classes
    assert d["not_scored"] == {"classes": 2, "true_boxes": 3, "examples": ["zebra", "kite"]}
    # Without the model's classes every class with a human box counts, as COCO averages.
    assert detection_map(truth, found)["map50"] == pytest.approx(0.25)


def test_a_report_with_no_whole_item_labels_has_an_empty_classification_part() -> None:
    r = classification_report([], np.zeros((0, 3)), ["a", "b", "c"])
    assert r["n"] == 0 and r["per_class"] == [] and r["confusion"] == [] and r["accuracy"] is None
    assert r["ece"] is None and r["classes"] == ["a", "b", "c"]


def test_the_html_page_holds_the_plots_inline_and_escapes_names() -> None:
    r = classification_report(TRUTH, PROBS, CLASSES)
    r["per_class"][0]["label"] = "<script>alert(1)</script>"
    r["accepted_unchanged"] = {"proposals": 12, "reviewed": 10, "accepted_unchanged": 7, "auto_accepted": 2}
    r["accepted_unchanged"]["share"] = 0.7
    page = render_html(r, title="model <v1>")
    assert page.startswith("<!doctype html>")
    assert page.count('src="data:image/png;base64,') == 2  # reliability diagram and confusion matrix
    assert "<script>" not in page and "&lt;script&gt;" in page and "model &lt;v1&gt;" in page
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "7 of 10 reviewed" in text and "2 auto-accepted" in text
    assert "http" not in text and 'src="/' not in text  # self-contained: nothing to fetch
