"""The HTML report's pictures and table for people: every class named on the confusion matrix's axes, a dash for a
class with nothing to measure on, every reliability bin that holds items drawn (also one with none right), and
the download's file name."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import to_hex

from labelhub.assist.report import (
    classification_report,
    confusion_figure,
    reliability_figure,
    render_html,
    report_filename,
)


def _many_classes(k: int = 74, n: int = 600) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    classes = [f"intent_{i:02d}_{'x' * (i % 5)}" for i in range(k)]
    truth = [classes[int(i)] for i in rng.integers(0, k, n)]
    probs = rng.dirichlet(np.ones(k) * 0.3, n)
    return classification_report(truth, probs, classes)


def test_the_confusion_matrix_names_every_class_on_both_axes() -> None:
    r = _many_classes()
    fig = confusion_figure(r)
    assert fig is not None
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == r["classes"]
    assert [t.get_text() for t in ax.get_yticklabels()] == r["classes"]
    # The figure grows with the classes (about 0.2 inch a class) rather than squeezing 74 names into 12 inches.
    assert fig.get_size_inches()[1] >= 0.2 * 74
    page = render_html(r, title="many")
    assert '<figure class="wide">' in page  # shown at its size, scrolling, not shrunk to the window
    assert "Most confused" in page


def test_a_class_with_nothing_to_measure_on_shows_a_dash() -> None:
    r = classification_report(["cat", "cat", "dog"], np.array([[0.9, 0.1, 0.0]] * 3), ["cat", "dog", "bird"])
    bird = next(c for c in r["per_class"] if c["label"] == "bird")
    assert bird["support"] == 0
    page = render_html(r, title="t").split("<h2>Per class</h2>", 1)[1]
    row = page.split("<td>bird</td>", 1)[1].split("</tr>", 1)[0]
    assert row.count("—") == 3 and "0.000" not in row, row
    dog = page.split("<td>dog</td>", 1)[1].split("</tr>", 1)[0]
    assert "0.000" in dog and "—" not in dog  # support 1, all wrong: a measured zero


def _bin(lo: float, count: int, accuracy: float | None, confidence: float | None) -> dict[str, object]:
    return {"lo": lo, "hi": lo + 0.1, "count": count, "accuracy": accuracy, "confidence": confidence}


def test_every_reliability_bin_with_items_is_drawn() -> None:
    report = {
        "ece": 0.1,
        "reliability": [
            _bin(0.0, 0, None, None),  # empty: nothing drawn
            _bin(0.3, 4, 0.0, 0.35),  # none right: a stub, and the whole gap up to 0.35
            _bin(0.6, 10, 0.8, 0.65),  # under-confident
            _bin(0.9, 20, 0.9, 0.95),  # over-confident
        ],
    }
    fig = reliability_figure(report)
    assert fig is not None
    bars: list[tuple[float, float, float, str]] = [
        (p.get_x() + p.get_width() / 2, p.get_y(), p.get_height(), to_hex(p.get_facecolor()))
        for p in fig.axes[0].patches
    ]

    def at(x: float) -> list[tuple[float, float, str]]:
        """The bars centred on ``x``: (bottom, height, colour), bottom first."""
        return sorted((round(y, 3), round(h, 3), c) for cx, y, h, c in bars if abs(cx - x) < 1e-9)

    assert at(0.05) == []
    stub, gap = at(0.35)
    assert stub[0] == 0 and 0 < stub[1] < 0.01 and stub[2] == "#6d66ea"
    assert gap == (0.0, 0.35, "#ef8a80")
    assert at(0.65) == [(0.0, 0.8, "#6d66ea"), (0.65, 0.15, "#f4b740")]
    assert at(0.95) == [(0.0, 0.9, "#6d66ea"), (0.9, 0.05, "#ef8a80")]
    assert reliability_figure({"reliability": [_bin(0.0, 0, None, None)]}) is None


def test_the_download_is_named_after_the_project_and_the_version() -> None:
    assert (
        report_filename("BANKING77 intents", "text-classifier", 4) == "BANKING77-intents-text-classifier@4-report.html"
    )
    assert report_filename("../a/b: c", "m", 1) == "a-b-c-m@1-report.html"
    assert report_filename("***", "m", 2) == "project-m@2-report.html"
