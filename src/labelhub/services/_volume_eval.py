"""The validation report of a ``volume_segmenter`` version (see :func:`labelhub.services.model_eval.evaluate_version`).

Truth: the segmenter's training rule (:mod:`labelhub.services._volume_seg_train`): the accepted masks and polygons
on the slices of the project's volumes; in a volume a reviewer approved, or whose imported label map nobody has
saved since, every slice counts (no mask is background), elsewhere only the slices that hold one. The model's
side: the masks it would propose on those slices (each pixel's most likely class, less the pieces under the
model's ``min_component``), so the figures are about what a person is shown. Scored by
:mod:`labelhub.assist.report_volume`.

Volumes the version trained on are left out, as a classifier's training labels are: the items of its training
masks that were not held out, and the volumes it took whole (``_volume_seg_train.counts_whole``) outside its
validation set. When no other volume is left, every volume is evaluated and the report says so
(``on_training_data``: the figures are then optimistic). Human masks of classes the model does not output are
not scored (``not_scored``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.assist._volume_seg_net import normalise, pad_stack, shown_stack
from labelhub.assist.predictors import ModelRef, load_predictor
from labelhub.assist.report_volume import VolumeScore, example_slice, overlap_counts, segmentation_report
from labelhub.assist.train import threads
from labelhub.assist.volume_seg import VolumeSegmenter, VolumeSegPredictor, keep_components
from labelhub.domain.enums import ItemKind
from labelhub.domain.volume import display_slice
from labelhub.errors import LabelhubError, ValidationError
from labelhub.hub import Hub
from labelhub.services.models import Report
from labelhub.services.volumes import VolumeItem, decoded
from labelhub.storage.models import Annotation, Item, Media

__all__ = ["example_images", "volume_report"]

_BATCH = 32


def trained_items(session: Session, trained: dict[str, Any], validation: Iterable[int]) -> set[int]:
    """Return the volumes a version trained on: the items of its training masks that were not held out, and the
    volumes it took whole outside its validation set (``trained`` is the version's ``data``)."""
    fit = sorted(set(trained.get("annotation_ids") or []) - set(trained.get("held_out_ids") or []))
    out: set[int] = set()
    for start in range(0, len(fit), 5_000):  # one IN list stays under SQLite's bound-value limit
        out.update(session.scalars(select(Annotation.item_id).where(Annotation.id.in_(fit[start : start + 5_000]))))
    return out | (set(trained.get("whole_items") or []) - set(validation))


def predicted_slices(seg: VolumeSegmenter, volume: np.ndarray, slices: list[int]) -> np.ndarray:
    """Return the label stack ``(len(slices), Y, X)`` the segmenter proposes on the shown slices ``slices`` of a RAS+
    volume (0 = background, ``c`` = ``seg.classes[c - 1]``), as its proposals cut them."""
    stack = shown_stack(normalise(volume))[slices]
    n, h, w = stack.shape
    best = np.zeros((n, h, w), dtype=np.int64)
    with threads(seg.config.threads), torch.random.fork_rng(devices=[]), torch.inference_mode():
        seg.net.eval()
        for start in range(0, n, _BATCH):
            x = torch.from_numpy(pad_stack(stack[start : start + _BATCH])[:, None])
            best[start : start + _BATCH] = seg.net(x).argmax(dim=1)[:, :h, :w].numpy()
    out = np.zeros((n, h, w), dtype=np.uint8)
    for k in range(n):
        for c in range(1, len(seg.classes) + 1):
            out[k][keep_components(best[k] == c, seg.config.min_component)] = c
    return out


def volume_report(hub: Hub, project_id: int, ref: ModelRef, trained: dict[str, Any], metrics: dict[str, Any],
                  progress: Report) -> dict[str, Any]:  # fmt: skip
    """Return the report of a segmenter version (``trained``: its ``data``; ``metrics``: its training metrics)
    against the project's labelled slices; the caller adds the share of its proposals accepted unchanged."""
    from labelhub.services._volume_seg_train import select_volume_data  # loads MONAI's side of the assist engine

    with hub.db.session() as s:
        data = select_volume_data(s, hub, project_id)
        fitted = trained_items(s, trained, metrics.get("validation_item_ids") or [])
        ids = [v.item_id for v in data.volumes]
        names: dict[int, str] = {i: n for i, n in s.execute(select(Item.id, Item.name).where(Item.id.in_(ids)))}
    left = [v for v in data.volumes if v.item_id not in fitted]
    on_training = not left
    volumes = left or data.volumes
    if not volumes:
        raise ValidationError(
            f"nothing to evaluate {ref.tag} against: the project has no accepted masks on volume slices yet; label "
            "some slices (or accept the model's proposals after checking them) and evaluate again",
            field="model_id",
        )
    predictor = load_predictor(ref)
    if not isinstance(predictor, VolumeSegPredictor):
        raise ValidationError(f"{ref.tag} is not a volume segmenter", field="model_id")
    seg = predictor.seg
    progress(0.05, "model loaded")
    classes = list(seg.classes)
    # The truth's values follow the project's classes (data.classes); the model's, its own outputs.
    remap = np.zeros(len(data.classes) + 1, dtype=np.uint8)
    for i, name in enumerate(data.classes, start=1):
        remap[i] = classes.index(name) + 1 if name in classes else 0
    scores: list[VolumeScore] = []
    for n, v in enumerate(volumes):
        pred = predicted_slices(seg, v.image, v.slices)
        truth = remap[shown_stack(v.labels)[v.slices]]
        name = names.get(v.item_id) or f"item {v.item_id}"
        example = example_slice(pred, truth, v.slices, classes)
        scores.append(VolumeScore(v.item_id, name, len(v.slices), overlap_counts(pred, truth, len(classes)), example))
        progress(0.05 + 0.85 * (n + 1) / len(volumes), f"evaluated {n + 1} of {len(volumes)} volumes")
    report: dict[str, Any] = {
        "kind": ref.kind, "n": len(scores), "classes": classes, "accuracy": None, "per_class": [], "confusion": [],
        "reliability": [], "ece": None, "on_training_data": on_training,
        "excluded_volumes": 0 if on_training else len(data.volumes) - len(left),
        "not_scored": [c for c in data.classes if c not in classes],
    }  # fmt: skip
    return report | segmentation_report(scores, classes)


def example_images(
    hub: Hub, session: Session, project_id: int, report: dict[str, Any]
) -> dict[tuple[int, int], np.ndarray]:
    """Return the shown slice images of a segmentation report's examples by (item id, slice); those whose volume
    is gone or unreadable are left out (the report draws their outlines on black)."""
    wanted = {(int(e["item_id"]), int(e["slice"])) for e in (report.get("segmentation") or {}).get("examples") or []}
    if not wanted:
        return {}
    rows = session.execute(
        select(Item.id, Item.media_key, Media.path, Item.frame_count, Item.meta)
        .outerjoin(Media, Media.key == Item.media_key)
        .where(Item.project_id == project_id, Item.kind == ItemKind.VOLUME.value, Item.id.in_({i for i, _ in wanted}))
    ).all()
    out: dict[tuple[int, int], np.ndarray] = {}
    for item_id, key, linked, frames, meta in rows:
        if not key:
            continue
        volume_meta = (meta or {}).get("volume")
        ref = VolumeItem(item_id, key, linked, volume_meta if isinstance(volume_meta, dict) else {}, frames)
        try:
            vol = decoded(hub, ref)
            for i, k in wanted:
                if i == item_id and 0 <= k < vol.data.shape[2]:
                    out[(i, k)] = display_slice(vol.data, k)
        except (LabelhubError, OSError):  # a file removed or replaced since: outlines only
            continue
    return out
