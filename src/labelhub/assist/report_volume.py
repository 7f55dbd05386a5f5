"""Segmentation part of the validation report: a volume segmenter's masks against accepted human masks.

Per volume and class, on the volume's labelled slices only, the voxel counts ``|P ∩ T|``, ``|P|`` and ``|T|``
give the 3-D Dice ``2|P ∩ T| / (|P| + |T|)`` and IoU ``|P ∩ T| / (|P| + |T| - |P ∩ T|)``. A class absent from a
volume's truth gives no figure for that volume (as MONAI's ``DiceMetric(ignore_empty=True)``, which the
training's validation uses), but the voxels predicted there still count in the pooled figures. Per class the
report gives the mean and the population standard deviation over the volumes, and the pooled Dice and IoU (the
counts summed over every volume first, so large structures weigh more).

The counts are taken here with numpy rather than through MONAI's metrics because the pooled figures need the
counts themselves, which those metrics do not return; the per-volume Dice equals ``DiceMetric``'s (a test checks).

Pictures for the HTML export (:func:`segmentation_html`): the per-class Dice chart and, for the worst and the best
volume, the middle labelled slice holding a true mask, with the true outline solid and the predicted one dashed.
The slice's masks are kept in the report as compressed RLE (``examples``); the caller passes the slice's image.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelhub.formats._volume_masks import mask_array, mask_geometry

__all__ = [
    "VolumeScore",
    "dice_figure",
    "example_slice",
    "overlap_counts",
    "segmentation_html",
    "segmentation_report",
    "slice_figure",
]

# Colours of the classes' outlines (matplotlib's tab10 order), the first class first.
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


@dataclass(slots=True)
class VolumeScore:
    """One evaluated volume: its labelled slice count, its voxel counts ``(classes, 3)`` = (overlap, predicted,
    true) per class, and its example slice (:func:`example_slice`), if it has a true mask."""

    item_id: int
    name: str
    slices: int
    counts: np.ndarray
    example: dict[str, Any] | None = None


def overlap_counts(pred: np.ndarray, truth: np.ndarray, n_classes: int) -> np.ndarray:
    """Return ``(n_classes, 3)`` int64 counts (overlap, predicted, true) of classes ``1..n_classes`` between two
    label stacks of the same shape (0 = background)."""
    p = pred.ravel().astype(np.int64, copy=False)
    t = truth.ravel().astype(np.int64, copy=False)
    size = n_classes + 1
    out = np.zeros((n_classes, 3), dtype=np.int64)
    out[:, 0] = np.bincount(p[p == t], minlength=size)[1:size]
    out[:, 1] = np.bincount(p, minlength=size)[1:size]
    out[:, 2] = np.bincount(t, minlength=size)[1:size]
    return out


def _dice(c: np.ndarray) -> float | None:
    return None if c[2] == 0 else 2.0 * float(c[0]) / float(c[1] + c[2])


def _iou(c: np.ndarray) -> float | None:
    return None if c[2] == 0 else float(c[0]) / float(c[1] + c[2] - c[0])


def _mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    kept = [v for v in values if v is not None]
    if not kept:
        return None, None
    return round(float(np.mean(kept)), 4), round(float(np.std(kept)), 4)


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def example_slice(
    pred: np.ndarray, truth: np.ndarray, slices: Sequence[int], classes: Sequence[str]
) -> dict[str, Any] | None:
    """Return the middle labelled slice holding a true mask, with each class's true and predicted masks as RLE,
    from ``(len(slices), Y, X)`` stacks of the labelled ``slices``; None when no labelled slice has a true mask."""
    marked = [i for i in range(len(slices)) if truth[i].any()]
    if not marked:
        return None
    i = marked[len(marked) // 2]
    out: dict[str, Any] = {"slice": int(slices[i]), "truth": {}, "predicted": {}}
    for c, name in enumerate(classes, start=1):
        for key, stack in (("truth", truth), ("predicted", pred)):
            mask = stack[i] == c
            if mask.any():
                out[key][name] = mask_geometry(mask)
    return out


def segmentation_report(scores: Sequence[VolumeScore], classes: Sequence[str]) -> dict[str, Any]:
    """Return the ``segmentation`` part of the report (per class, per volume, the worst and best volume's example
    slices) and ``mean_dice``, the mean over classes of the per-class mean Dice."""
    n = len(classes)
    per_volume: list[dict[str, Any]] = []
    for v in scores:
        dice = [_r(_dice(v.counts[j])) for j in range(n)]
        known = [d for d in dice if d is not None]
        per_volume.append({
            "item_id": v.item_id, "name": v.name, "slices": v.slices, "dice": dice,
            "iou": [_r(_iou(v.counts[j])) for j in range(n)],
            "mean_dice": round(float(np.mean(known)), 4) if known else None,
        })  # fmt: skip
    per_class: list[dict[str, Any]] = []
    for j, name in enumerate(classes):
        total = np.sum([v.counts[j] for v in scores], axis=0) if scores else np.zeros(3, dtype=np.int64)
        dice_mean, dice_std = _mean_std([row["dice"][j] for row in per_volume])
        iou_mean, iou_std = _mean_std([row["iou"][j] for row in per_volume])
        per_class.append({
            "label": name, "volumes": sum(1 for row in per_volume if row["dice"][j] is not None),
            "dice_mean": dice_mean, "dice_std": dice_std, "iou_mean": iou_mean, "iou_std": iou_std,
            "dice_pooled": _r(_dice(total)), "iou_pooled": _r(_iou(total)),
            "true_voxels": int(total[2]), "predicted_voxels": int(total[1]),
        })  # fmt: skip
    ranked = sorted(
        (i for i, row in enumerate(per_volume) if row["mean_dice"] is not None),
        key=lambda i: (per_volume[i]["mean_dice"], per_volume[i]["item_id"]),
    )
    examples: list[dict[str, Any]] = []
    for which, i in (("worst", ranked[0] if ranked else None), ("best", ranked[-1] if ranked else None)):
        if i is None or scores[i].example is None or (which == "best" and len(ranked) < 2):
            continue
        examples.append({"which": which, "item_id": scores[i].item_id, "name": scores[i].name,
                         "mean_dice": per_volume[i]["mean_dice"], **(scores[i].example or {})})  # fmt: skip
    means = [c["dice_mean"] for c in per_class if c["dice_mean"] is not None]
    order = sorted(
        range(len(per_volume)), key=lambda i: (_sort_key(per_volume[i]["mean_dice"]), per_volume[i]["item_id"])
    )
    return {
        "mean_dice": round(float(np.mean(means)), 4) if means else None,
        "segmentation": {
            "volumes": len(scores),
            "slices": sum(v.slices for v in scores),
            "classes": list(classes),
            "per_class": per_class,
            "per_volume": [per_volume[i] for i in order],  # worst first
            "examples": examples,
        },
    }


def _sort_key(v: float | None) -> float:
    return math.inf if v is None else v


def _figure(size: tuple[float, float]) -> Any:
    from labelhub.assist.report import _figure as figure

    return figure(size)


def dice_figure(seg: Mapping[str, Any]) -> Any | None:
    """The per-class Dice chart as a matplotlib ``Figure`` (None without a measured class): a bar at each class's
    mean Dice over the volumes with its standard deviation, and a diamond at its pooled Dice."""
    rows = [c for c in seg.get("per_class") or [] if c.get("dice_mean") is not None]
    if not rows:
        return None
    fig = _figure((5.5, 0.9 + 0.45 * len(rows)))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))
    names = [str(c["label"]) if len(str(c["label"])) <= 28 else str(c["label"])[:27] + "…" for c in rows]
    ax.barh(ys, [c["dice_mean"] for c in rows], xerr=[c["dice_std"] or 0.0 for c in rows], color="#6d66ea",
            ecolor="#333333", capsize=3, label="mean over volumes ± std")  # fmt: skip
    pooled = [(y, c["dice_pooled"]) for y, c in zip(ys, rows, strict=True) if c.get("dice_pooled") is not None]
    if pooled:
        ax.plot([p for _, p in pooled], [y for y, _ in pooled], "D", color="#f4b740", markeredgecolor="#333333",
                label="pooled")  # fmt: skip
    ax.set_yticks(ys, names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="Dice", title="Dice per class")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=8, frameon=False)
    return fig


def _shown(image: np.ndarray) -> np.ndarray:
    """The slice mapped from its 0.5 and 99.5 percentiles to [0, 1] (the viewer's "Auto" window)."""
    data = np.nan_to_num(image.astype(np.float64))
    lo, hi = (float(v) for v in np.percentile(data, [0.5, 99.5])) if data.size else (0.0, 1.0)
    return np.asarray(np.clip((data - lo) / max(hi - lo, 1e-9), 0.0, 1.0))


def slice_figure(example: Mapping[str, Any], classes: Sequence[str], image: np.ndarray | None) -> Any:
    """An example slice as a matplotlib ``Figure``: the image (grey, black without one) with each class's true
    outline solid and its predicted outline dashed."""
    from matplotlib.lines import Line2D

    masks = {
        (key, name): mask_array(g) for key in ("truth", "predicted") for name, g in (example.get(key) or {}).items()
    }
    shape = image.shape if image is not None else next(iter(masks.values())).shape if masks else (1, 1)
    h, w = int(shape[0]), int(shape[1])
    scale = 4.5 / max(h, w)
    fig = _figure((max(2.5, w * scale), max(2.5, h * scale) + 0.5))
    ax = fig.add_subplot()
    ax.imshow(_shown(image) if image is not None else np.zeros((h, w)), cmap="gray", vmin=0, vmax=1,
              interpolation="nearest")  # fmt: skip
    handles: list[Any] = []
    for j, name in enumerate(classes):
        colour = _COLOURS[j % len(_COLOURS)]
        for key, style in (("truth", "solid"), ("predicted", "dashed")):
            mask = masks.get((key, name))
            if mask is not None and mask.shape == (h, w) and mask.any():
                ax.contour(mask.astype(np.float64), levels=[0.5], colors=[colour], linestyles=[style], linewidths=1.4)
        handles.append(Line2D([], [], color=colour, label=name))
    handles += [Line2D([], [], color="white", label="human (solid)"),
                Line2D([], [], color="white", linestyle="dashed", label="model (dashed)")]  # fmt: skip
    # Beside the slice, not over it: a hippocampus crop is 35 pixels wide, the outlines fill it.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, facecolor="#222222",
              labelcolor="white", framealpha=0.9)  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    dice = example.get("mean_dice")
    ax.set_title(f"{example.get('which', '')}: {example.get('name', '')}, slice {int(example.get('slice', 0)) + 1}"
                 + (f" (mean Dice {dice:.3f})" if isinstance(dice, int | float) else ""), fontsize=9)  # fmt: skip
    return fig


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else html.escape(str(v))


def segmentation_html(seg: Mapping[str, Any], images: Mapping[tuple[int, int], np.ndarray], png: Any) -> str:
    """The report's segmentation part as HTML: the Dice chart, the example slices (``images`` by (item id,
    slice); ``png`` turns a figure into a data URL), and the per-class and per-volume tables."""
    esc = html.escape
    classes = [str(c) for c in seg.get("classes") or []]
    figures: list[tuple[str, str]] = []
    fig = dice_figure(seg)
    if fig is not None:
        figures.append(("Dice per class", png(fig)))
    for ex in seg.get("examples") or []:
        image = images.get((int(ex["item_id"]), int(ex["slice"])))
        what = "Worst volume" if ex.get("which") == "worst" else "Best volume"
        figures.append(
            (f"{what}: {ex.get('name', '')}, slice {int(ex['slice']) + 1}", png(slice_figure(ex, classes, image)))
        )
    out = "".join(
        f'<figure class="plot"><img alt="{esc(name)}" src="{src}"><figcaption>{esc(name)}</figcaption></figure>'
        for name, src in figures
    )
    rows = "".join(
        f"<tr><td>{esc(str(c['label']))}</td><td>{_pm(c['dice_mean'], c['dice_std'])}</td>"
        f"<td>{_fmt(c['dice_pooled'])}</td>"
        f"<td>{_pm(c['iou_mean'], c['iou_std'])}</td><td>{_fmt(c['iou_pooled'])}</td><td>{c['volumes']}</td>"
        f"<td>{c['true_voxels']}</td><td>{c['predicted_voxels']}</td></tr>"
        for c in seg.get("per_class") or []
    )
    out += (
        "<h2>Per class</h2><table><tr><th>label</th><th>Dice (mean ± std)</th><th>Dice pooled</th>"
        "<th>IoU (mean ± std)</th><th>IoU pooled</th><th>volumes</th><th>human voxels</th><th>predicted voxels</th>"
        f"</tr>{rows}</table>"
    )
    head = "".join(f"<th>Dice {esc(c)}</th>" for c in classes) + "".join(f"<th>IoU {esc(c)}</th>" for c in classes)
    body = "".join(
        f"<tr><td>{esc(str(v['name']))}</td><td>{v['slices']}</td><td>{_fmt(v['mean_dice'])}</td>"
        + "".join(f"<td>{_fmt(d)}</td>" for d in v["dice"])
        + "".join(f"<td>{_fmt(d)}</td>" for d in v["iou"])
        + "</tr>"
        for v in seg.get("per_volume") or []
    )
    return out + (
        "<h2>Per volume (worst first)</h2><table><tr><th>volume</th><th>labelled slices</th><th>mean Dice</th>"
        f"{head}</tr>{body}</table>"
    )


def _pm(mean: float | None, std: float | None) -> str:
    return "-" if mean is None else f"{mean:.3f} ± {std or 0.0:.3f}"
