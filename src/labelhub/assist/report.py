"""The validation report: a model against accepted human labels, as JSON and as a self-contained HTML page.

- Classification: per-class precision, recall and F1 and the confusion matrix (scikit-learn's
  ``precision_recall_fscore_support`` and ``confusion_matrix``; rows are the human label, columns the
  model's), and the reliability diagram with its ECE (:func:`labelhub.assist.calibration.reliability_bins`,
  so the figure and the number agree).
- Detection: mAP at IoU 0.5 and averaged over IoU 0.5:0.95, and AP per class, by pycocotools' ``COCOeval``
  (:mod:`labelhub.assist.report_detection`).
- The share of the model's proposals accepted unchanged is counted by the service that reads the annotations
  (:mod:`labelhub.services.models`) and added to the report.

:func:`render_html` draws the plots with matplotlib's Agg backend into PNGs inlined as ``data:`` URLs, and
escapes every string that came from a user (class names, model names).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from labelhub.assist.calibration import ece, reliability_bins
from labelhub.assist.report_detection import Box, detection_map, detection_report
from labelhub.errors import ValidationError

__all__ = [
    "Box",
    "classification_report",
    "confusion_figure",
    "detection_map",
    "detection_report",
    "reliability_figure",
    "render_html",
    "report_filename",
]


def classification_report(
    true_labels: Sequence[str], probs: npt.ArrayLike, classes: Sequence[str], *, n_bins: int = 15
) -> dict[str, Any]:
    """Return the report of class probabilities ``(items, classes)`` against the human ``true_labels``.

    ``classes`` are the model's outputs in order; a human label the model does not know counts as always
    wrong (it appears in ``per_class`` and in the confusion matrix with an all-zero column).
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support  # type: ignore[import-untyped]

    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape != (len(true_labels), len(classes)):
        raise ValidationError(
            f"probs must have shape ({len(true_labels)}, {len(classes)}), got {p.shape}", field="probs"
        )
    if not len(true_labels):  # nothing to compare with (a detector judged on boxes only): an empty part
        return {"kind": "classification", "n": 0, "classes": list(classes), "accuracy": None, "per_class": [],
                "confusion": [], "reliability": [], "ece": None}  # fmt: skip
    names = list(classes) + sorted({t for t in true_labels} - set(classes))
    index = {c: i for i, c in enumerate(names)}
    y_true = np.array([index[t] for t in true_labels], dtype=np.int64)
    y_pred = p.argmax(axis=1) if len(p) else np.zeros(0, dtype=np.int64)
    labels = list(range(len(names)))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    confusion = confusion_matrix(y_true, y_pred, labels=labels) if len(p) else np.zeros((len(names),) * 2)
    report: dict[str, Any] = {
        "kind": "classification",
        "n": len(true_labels),
        "classes": names,
        "accuracy": float((y_true == y_pred).mean()) if len(p) else None,
        "per_class": [
            {
                "label": names[i],
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i in labels
        ],
        "confusion": [[int(v) for v in row] for row in confusion],
        "reliability": [],
        "ece": None,
    }
    known = y_true < len(classes)  # calibration is about the model's own classes
    if known.any():
        bins = reliability_bins(p[known], y_true[known], n_bins)
        report["reliability"] = [
            {
                "lo": b.lower,
                "hi": b.upper,
                "count": b.count,
                "accuracy": None if math.isnan(b.accuracy) else b.accuracy,
                "confidence": None if math.isnan(b.confidence) else b.confidence,
            }
            for b in bins
        ]
        report["ece"] = ece(p[known], y_true[known], n_bins)
    return report


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(size: tuple[float, float]) -> Any:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=size)


# The web app's reliability colours (web/src/lib/assist/charts.ts), drawn opaque so that a gap over a bar keeps
# the colour its legend shows.
_ACCURACY, _OVER, _UNDER = "#6d66ea", "#ef8a80", "#f4b740"
_STUB = 0.006  # a bin with items and none right still shows this much bar (in accuracy units)


def reliability_figure(report: dict[str, Any]) -> Any | None:
    """The reliability diagram as a matplotlib ``Figure`` (None without scored predictions): per bin that holds
    items, a bar at its accuracy (a stub when none was right) and the gap to its confidence, red where the model
    is over-confident and amber where it is under-confident, with the diagonal of perfect calibration."""
    bins = [b for b in report.get("reliability") or [] if b.get("count") and b.get("confidence") is not None]
    if not bins:
        return None
    fig = _figure((4.5, 4.5))
    ax = fig.add_subplot()
    centres = [(b["lo"] + b["hi"]) / 2 for b in bins]
    widths = [(b["hi"] - b["lo"]) * 0.9 for b in bins]
    acc = [float(b["accuracy"] or 0.0) for b in bins]
    conf = [float(b["confidence"]) for b in bins]
    ax.bar(centres, [max(a, _STUB) for a in acc], width=widths, color=_ACCURACY, label="accuracy")
    for over, colour, name in ((True, _OVER, "over-confident"), (False, _UNDER, "under-confident")):
        picked = [i for i in range(len(bins)) if (conf[i] > acc[i]) == over and abs(conf[i] - acc[i]) > 1e-9]
        if picked:
            ax.bar(
                [centres[i] for i in picked],
                [abs(conf[i] - acc[i]) for i in picked],
                bottom=[min(conf[i], acc[i]) for i in picked],
                width=[widths[i] for i in picked],
                color=colour,
                edgecolor="#00000030",
                linewidth=0.5,
                label=name,
            )
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ece_value = report.get("ece")
    ax.set(
        xlabel="confidence",
        ylabel="accuracy",
        xlim=(0, 1),
        ylim=(0, 1),
        title="Reliability" + (f" (ECE {ece_value:.3f})" if isinstance(ece_value, int | float) else ""),
    )
    ax.legend(loc="upper left", fontsize=8)
    return fig


def confusion_figure(report: dict[str, Any]) -> Any | None:
    """The confusion matrix as a matplotlib ``Figure`` (None when empty), every class named on both axes: the
    figure grows with the class count (about 0.2 inch a class) instead of the names being left out."""
    confusion = report.get("confusion") or []
    if not confusion:
        return None
    n = len(confusion)
    names = [str(c) for c in report.get("classes") or range(n)]
    names = [c if len(c) <= 28 else c[:27] + "…" for c in names]
    side = min(32.0, max(5.0, 2.5 + 0.2 * n))
    font = 8.0 if n <= 30 else max(5.5, 8.0 - (n - 30) / 20)
    fig = _figure((side + 1.2, side))
    ax = fig.add_subplot()
    image = ax.imshow(np.asarray(confusion, dtype=np.float64), cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.6)
    ticks = list(range(n))
    ax.set_xticks(ticks, names, rotation=90, fontsize=font)
    ax.set_yticks(ticks, names, fontsize=font)
    ax.set(xlabel="model", ylabel="human label", title="Confusion matrix")
    return fig


def _plots(report: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, PNG data URL, wide) of each plot; a wide one is shown at its size, scrolling."""
    out: list[tuple[str, str, bool]] = []
    fig = reliability_figure(report)
    if fig is not None:
        out.append(("Reliability diagram", _png(fig), False))
    fig = confusion_figure(report)
    if fig is not None:
        out.append(("Confusion matrix", _png(fig), len(report.get("confusion") or []) > 30))
    return out


def _confused_pairs(report: dict[str, Any], limit: int = 15) -> list[tuple[str, str, int]]:
    """The off-diagonal cells with the most items: (human label, model's label, count), largest first."""
    classes = [str(c) for c in report.get("classes") or []]
    cells = [
        (int(v), i, j)
        for i, row in enumerate(report.get("confusion") or [])
        for j, v in enumerate(row)
        if i != j and v and i < len(classes) and j < len(classes)
    ]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [(classes[i], classes[j], v) for v, i, j in cells[:limit]]


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


def _per_class_row(c: dict[str, Any]) -> str:
    """A per-class row; a class with no item to measure on (support 0) shows a dash, not 0.000, as the web app."""
    label = html.escape(str(c["label"]))
    if not c.get("support"):
        cells = '<td class="none" title="No labels of this class to measure on">—</td>' * 3
    else:
        cells = f"<td>{_fmt(c['precision'])}</td><td>{_fmt(c['recall'])}</td><td>{_fmt(c['f1'])}</td>"
    return f"<tr><td>{label}</td>{cells}<td>{c.get('support', 0)}</td></tr>"


def report_filename(project: str, name: str, version: int) -> str:
    """The HTML report's download name, ``<project>-<model>@<version>-report.html``, safe on every system (the
    web app names its download link the same way)."""

    def safe(s: str, fallback: str) -> str:
        return re.sub(r"^[-.]+|-+$", "", re.sub(r"[^A-Za-z0-9._@-]+", "-", s)) or fallback

    return f"{safe(project, 'project')}-{safe(name, 'model')}@{version}-report.html"


def render_html(
    report: dict[str, Any], *, title: str, slices: Mapping[tuple[int, int], np.ndarray] | None = None
) -> str:
    """Return the report as one self-contained HTML page (inline PNG plots, no external resources).

    ``slices``: a volume segmenter's example slices, shown slice images by (item id, slice) (drawn black without).
    """
    esc = html.escape
    rows = "".join(_per_class_row(c) for c in report.get("per_class") or [])
    summary: list[tuple[str, Any]] = []
    if report.get("per_class"):
        summary += [("items", report.get("n")), ("accuracy", report.get("accuracy")), ("ECE", report.get("ece"))]
    det = report.get("detection")
    if "map50" in report:
        summary += [("mAP@0.5", report.get("map50")), ("mAP@0.5:0.95", report.get("map50_95"))]
    if det:
        summary.append(("boxes scored", f"{det['true_boxes']} human boxes in {det['images']} images, "
                                        f"{len(det['classes'])} class(es) the model proposes"))  # fmt: skip
        other = det["not_scored"]
        if other["classes"]:
            summary.append(
                (
                    "not scored",
                    f"{other['true_boxes']} human boxes of {other['classes']} class(es) the model does not propose",
                )
            )
    seg = report.get("segmentation")
    if seg:
        left_out = report.get("excluded_volumes") or 0
        scope = (
            "volumes it trained on: the figures are optimistic"
            if report.get("on_training_data")
            else "the volumes it did not train on" + (f"; {left_out} it trained on left out" if left_out else "")
        )
        summary += [("volumes", f"{seg['volumes']} ({scope}), {seg['slices']} labelled slices"),
                    ("mean Dice", report.get("mean_dice"))]  # fmt: skip
    saved = report.get("accepted_unchanged") or {}
    if saved:
        summary.append(
            (
                "proposals accepted unchanged",
                f"{saved.get('accepted_unchanged', 0)} of {saved.get('reviewed', 0)} reviewed"
                f" ({_fmt(saved.get('share'))}); {saved.get('auto_accepted', 0)} auto-accepted, not reviewed;"
                f" {saved.get('proposals', 0)} proposals in all",
            )
        )
    facts = "".join(
        f"<tr><th>{esc(k)}</th><td>{_fmt(v) if not isinstance(v, str) else esc(v)}</td></tr>" for k, v in summary
    )
    figures = "".join(
        f'<figure class="{"wide" if wide else "plot"}"><img alt="{esc(name)}" src="{src}">'
        f"<figcaption>{esc(name)}</figcaption></figure>"
        for name, src, wide in _plots(report)
    )
    pairs = _confused_pairs(report)
    if pairs:
        figures += (
            "<h2>Most confused</h2><table><tr><th>human label</th><th>model's label</th><th>items</th></tr>"
            + "".join(f"<tr><td>{esc(h)}</td><td>{esc(m)}</td><td>{v}</td></tr>" for h, m, v in pairs)
            + "</table>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
        "figure{display:inline-block;margin:1em}img{max-width:100%}figure.wide{display:block;overflow:auto}"
        "figure.wide img{max-width:none}td.none{color:#888;text-align:center}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{style}</style></head><body><h1>{esc(title)}</h1><table>{facts}</table>{figures}"
        + (
            "<h2>Per class</h2><table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th>"
            f"<th>support</th></tr>{rows}</table>"
            if rows
            else ""
        )
        + _detection_table(det)
        + (_segmentation(seg, slices or {}) if seg else "")
        + "</body></html>"
    )


def _segmentation(seg: dict[str, Any], slices: Mapping[tuple[int, int], np.ndarray]) -> str:
    from labelhub.assist.report_volume import segmentation_html

    return segmentation_html(seg, slices, _png)


def _detection_table(det: dict[str, Any] | None) -> str:
    """AP per class of the box part, as the web app shows it."""
    if not det or not det.get("per_class"):
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(str(c['label']))}</td><td>{_fmt(c['ap50'])}</td><td>{_fmt(c['ap50_95'])}</td>"
        f"<td>{c['true_boxes']}</td><td>{c['predicted_boxes']}</td></tr>"
        for c in det["per_class"]
    )
    return (
        "<h2>Boxes per class</h2><table><tr><th>label</th><th>AP@0.5</th><th>AP@0.5:0.95</th>"
        f"<th>human boxes</th><th>predicted</th></tr>{rows}</table>"
    )
