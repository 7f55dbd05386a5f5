"""Fixtures for the format tests: the real data sets in ../shared/data (skipped when absent) and tiny images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def _data(rel: str) -> Path:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"real data {path} is not here")
    return path


@pytest.fixture
def case() -> Path:
    """The dcmqi CT case: ct_dicom/ (3 slices of 512x512), seg_nrrd/ label maps and seg_dicom/ (a DICOM-SEG)."""
    return _data("medical_dcmqi_ct3slice_seg")


@pytest.fixture
def coco128() -> Path:
    """The COCO128 folder: annotations/, images/train2017/, labels_yolo/."""
    return _data("detection_coco128")


@pytest.fixture
def coco_captions() -> Path:
    """COCO-MINI captions: annotations/captions_{val,train}2017.json, images/{val,train}2017/, xtd10/."""
    return _data("captions_coco_mini_en_plus_xtd10")


@pytest.fixture
def banking77_train() -> Path:
    """BANKING77 train.csv: text,category with 10,003 rows."""
    return _data("text_banking77/train.csv")


@pytest.fixture
def hymenoptera() -> Path:
    """50 ants and 50 bees in class folders."""
    return _data("classification_hymenoptera_val_subset100")


@pytest.fixture
def otb_crossing() -> Path:
    """OTB-2015 Crossing: img/0001.jpg ... img/0120.jpg (360x240) and groundtruth_rect.txt."""
    return _data("tracking_otb_crossing")


@pytest.fixture
def make_image() -> Callable[..., Path]:
    """Return a function that writes a small solid PNG or JPEG of the given size."""

    def make(path: Path, width: int = 64, height: int = 48) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (width, height), (120, 80, 40)).save(path)
        return path

    return make
