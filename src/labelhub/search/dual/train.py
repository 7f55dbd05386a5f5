"""Training the dual encoder: two contrastive tasks sharing one text tower, then SWA.

The method is MURAL's (Jain et al., "MURAL: Multimodal, Multitask Retrieval Across Languages", EMNLP
Findings 2021), made small enough for a CPU: one image tower, one text tower for every language, and two
tasks trained together,

- **image-caption**: a batch of images, one of each image's captions drawn at random (in any language the
  project has); symmetric InfoNCE over the batch (each image must pick its caption among the batch's, and
  each caption its image);
- **translation**: a batch of (source-language caption, English caption) pairs; symmetric InfoNCE between
  the two sides, through the *same* text tower.

The two losses are **summed every step** (``loss = image_caption + translation_weight * translation``, as
MURAL weights and sums its task losses) rather than alternated, so every step moves the shared tower for
both tasks and the run has no schedule of tasks to tune. Each task has its own learnt temperature
(initialised at ``temperature``). The translation task is what lets a German query find an image although
no German caption of any image was seen: German learns to sit on English, English on images. Without
translation pairs (or with ``translation_batch`` 0) it is a plain CLIP-style image-text model.

Optimisation: AdamW with a cosine decay from ``lr`` to ``swa_lr_share * lr`` over the first ``swa_start``
of the passes, then that rate held constant (SWA's schedule) while the weights are averaged once a pass in
an :class:`torch.optim.swa_utils.AveragedModel` (SWA, Izmailov et al. 2018); the averaged image tower's
batch-norm statistics are then recomputed with :func:`torch.optim.swa_utils.update_bn`. The run happens
inside :func:`~labelhub.search.dual.model.deterministic`: the same seed, data and thread count give the
same weights bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, update_bn

from labelhub.errors import ValidationError
from labelhub.search.dual.config import DualConfig
from labelhub.search.dual.images import augment, load_images, normalise
from labelhub.search.dual.model import DualEncoder, Schedule, deterministic, info_nce
from labelhub.search.dual.text import NgramHasher

__all__ = ["DualHistory", "Progress", "train_dual"]

Progress = Callable[[float, str], None]
"""Called with (fraction done, message) once a pass; may raise JobCancelled to stop the run."""


@dataclass(slots=True)
class DualHistory:
    """Mean losses per pass (``translation`` empty without that task), the steps run, what was averaged."""

    caption_loss: list[float] = field(default_factory=list)
    translation_loss: list[float] = field(default_factory=list)
    steps: int = 0
    averaged_passes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"caption_loss": [round(x, 5) for x in self.caption_loss], "steps": self.steps,
                "translation_loss": [round(x, 5) for x in self.translation_loss],
                "averaged_passes": self.averaged_passes}  # fmt: skip


def _check(images: Sequence[Path | str], captions: Sequence[Sequence[str]],
           translations: Sequence[tuple[str, str]]) -> None:  # fmt: skip
    if len(images) != len(captions):
        raise ValidationError(f"{len(images)} images but {len(captions)} caption lists", field="captions")
    if len(images) < 2:
        raise ValidationError("training needs at least 2 images with captions", field="images")
    for i, caps in enumerate(captions):
        if not caps or not all(isinstance(c, str) and c.strip() for c in caps):
            raise ValidationError(f"image {images[i]} has no caption (or an empty one)", field="captions", row=i)
    for i, pair in enumerate(translations):
        if len(pair) != 2 or not all(isinstance(t, str) and t.strip() for t in pair):
            raise ValidationError(f"translation pair {i} must be two non-empty texts", field="translations", row=i)


def train_dual(
    images: Sequence[Path | str],
    captions: Sequence[Sequence[str]],
    translations: Sequence[tuple[str, str]] = (),
    config: DualConfig | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[DualEncoder, DualHistory]:
    """Return a dual encoder trained on images with their captions and (optionally) translation pairs.

    ``captions[i]`` are the captions of ``images[i]`` (any languages); ``translations`` are (source,
    English) pairs. Raises ValidationError naming the field; FormatError for an image that cannot be read.
    """
    cfg = config or DualConfig()
    _check(images, captions, translations)
    hasher = NgramHasher(cfg.hashing)
    flat = [c for caps in captions for c in caps]
    starts = np.cumsum([0] + [len(c) for c in captions])
    caption_rows = hasher.counts(flat)
    use_translation = bool(translations) and cfg.translation_batch > 0 and cfg.translation_weight > 0
    src_rows: Any = hasher.counts([s for s, _ in translations]) if use_translation else None
    dst_rows: Any = hasher.counts([t for _, t in translations]) if use_translation else None
    pixels = load_images(images, round(cfg.image_size * 1.25))
    eval_pixels = normalise(load_images(images, cfg.image_size))

    n = len(images)
    plan = Schedule.of(n, cfg)
    per_pass, passes, swa_from = plan.per_pass, plan.passes, plan.swa_from
    history = DualHistory()
    with deterministic(cfg.seed, cfg.threads):
        gen = torch.Generator().manual_seed(cfg.seed)
        model = DualEncoder(dim=cfg.dim, image_size=cfg.image_size, width=cfg.width, text_width=cfg.text_width,
                            hashing=cfg.hashing, temperature=cfg.temperature)  # fmt: skip
        no_decay = {"log_scale_caption", "log_scale_translation"}
        decay = [p for k, p in model.named_parameters() if k not in no_decay and p.dim() > 1]
        rest = [p for k, p in model.named_parameters() if k in no_decay or p.dim() <= 1]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                 {"params": rest, "weight_decay": 0.0}], lr=cfg.lr)  # fmt: skip
        sched = plan.learning_rate(opt, cfg)
        swa = AveragedModel(model) if swa_from < passes else None
        order = torch.randperm(len(translations), generator=gen) if use_translation else torch.empty(0)
        cursor = 0
        for epoch in range(passes):
            model.train()
            sums, tsums = 0.0, 0.0
            for batch in np.array_split(torch.randperm(n, generator=gen).numpy(), per_pass):
                if len(batch) < 2:
                    continue
                picks = torch.randint(0, 1 << 30, (len(batch),), generator=gen).numpy()
                rows = [int(starts[i] + picks[j] % (starts[i + 1] - starts[i])) for j, i in enumerate(batch)]
                views = normalise(augment(pixels[torch.from_numpy(batch)], cfg.image_size, gen))
                img = model.encode_images(views)
                txt = model.encode_texts(hasher.bags(caption_rows[rows]))
                loss = info_nce(img, txt, model.log_scale_caption)
                sums += float(loss.detach())
                if use_translation:
                    if cursor + cfg.translation_batch > len(order):
                        order, cursor = torch.randperm(len(translations), generator=gen), 0
                    take = order[cursor : cursor + cfg.translation_batch].numpy()
                    cursor += cfg.translation_batch
                    if len(take) >= 2:
                        src = model.encode_texts(hasher.bags(src_rows[take]))
                        dst = model.encode_texts(hasher.bags(dst_rows[take]))
                        t_loss = info_nce(src, dst, model.log_scale_translation)
                        tsums += float(t_loss.detach())
                        loss = loss + cfg.translation_weight * t_loss
                opt.zero_grad(set_to_none=True)
                cast(Any, loss).backward()  # torch leaves Tensor.backward untyped
                opt.step()
                history.steps += 1
                sched.step()
            if swa is not None and epoch >= swa_from:
                swa.update_parameters(model)
                history.averaged_passes += 1
            history.caption_loss.append(sums / per_pass)
            if use_translation:
                history.translation_loss.append(tsums / per_pass)
            if progress is not None:
                progress((epoch + 1) / passes, f"pass {epoch + 1} of {passes}: loss {sums / per_pass:.3f}")
        final: DualEncoder = model
        if swa is not None and history.averaged_passes > 0:
            final = swa.module  # type: ignore[assignment]
            loader = [eval_pixels[i : i + cfg.batch_size] for i in range(0, n, cfg.batch_size)]
            update_bn([b for b in loader if len(b) > 1], final)
    final.eval()
    return final, history
