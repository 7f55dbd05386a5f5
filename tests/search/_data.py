"""Real captions for the search tests: COCO-mini's English captions and XTD10's multilingual ones."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from tests.conftest import data_path

CAPTIONS = ("captions_coco_mini_en_plus_xtd10",)


@cache
def _coco(folder: Path) -> tuple[tuple[int, str], ...]:
    data = json.loads((folder / "annotations" / "captions_val2017.json").read_text())
    return tuple((int(a["image_id"]), str(a["caption"]).strip()) for a in data["annotations"])


def coco_captions() -> list[tuple[int, str]]:
    """Return (image id, caption) for the 395 English captions of the 79 COCO val2017 images."""
    return list(_coco(data_path(*CAPTIONS)))


def xtd10(language: str, folder: str = "XTD10") -> list[str]:
    """Return XTD10's 1,000 captions in ``language`` (``de`` and ``fr`` live in ``MIC``, ``jp`` in ``STAIR``)."""
    path = data_path(*CAPTIONS, "xtd10", folder, f"test_1kcaptions_{language}.txt")
    return path.read_text(encoding="utf-8").splitlines()


def coco128_images(count: int) -> list[Path]:
    """Return the first ``count`` images of detection_coco128."""
    return sorted(data_path("detection_coco128", "images").rglob("*.jpg"))[:count]
