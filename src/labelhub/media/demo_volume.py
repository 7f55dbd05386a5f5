"""A synthetic CT volume for ``labelhub demo``: a torso phantom in Hounsfield units with a partial label map.

Like the other demo media it is generated, not downloaded: a 96 x 96 x 40 ``int16`` volume (1 x 1 x 2.5 mm,
RAS+ voxel order, slice 0 the most inferior) of air (-1000 HU) around an elliptic body of soft tissue (~40 HU)
holding a vertebral column (~700 HU, posterior), a liver (~60 HU, the patient's right, lower slices) and two
lungs (~-800 HU, upper slices), with seeded Gaussian noise. It is written in the Medical Segmentation Decathlon
layout (``imagesTr/``, ``labelsTr/``, ``dataset.json`` naming the modality CT and the classes) and read back
through the ``nifti`` format, as a user's own data would be.

The label map outlines each structure on a few slices only (:data:`LABELLED_SLICES`), so "Fill between slices"
has gaps to fill; the lungs are two separate regions of one class. The same seed gives the same voxels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats import ImportOptions
from labelhub.formats.registry import get_format

__all__ = [
    "DEMO_VOLUME_LABELS",
    "HU",
    "LABELLED_SLICES",
    "SHAPE",
    "SPACING",
    "demo_volume_records",
    "phantom",
    "write_demo_volume",
]

DEMO_VOLUME_LABELS = ["liver", "spine", "lung"]  # label map values 1, 2, 3
SHAPE = (96, 96, 40)  # X (towards the patient's right), Y (anterior), Z (superior)
SPACING = (1.0, 1.0, 2.5)  # mm
#: The mean intensity of each tissue, in Hounsfield units.
HU = {"air": -1000, "body": 40, "liver": 60, "spine": 700, "lung": -800}
#: The slices whose structures the label map outlines (the rest are left for "Fill between slices").
LABELLED_SLICES = {"liver": (5, 12, 19), "spine": (4, 34), "lung": (24, 36)}
_NOISE_HU = 8.0
IMAGE_NAME = "ct_phantom.nii.gz"


def phantom(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return the phantom's intensities (int16, HU) and its full label map (uint8), both RAS+ of :data:`SHAPE`."""
    nx, ny, nz = SHAPE
    x, y, z = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    # The body narrows a little towards the top (shoulders aside, a torso is not a cylinder).
    body = ((x - 48) / (40 - 0.1 * z)) ** 2 + ((y - 50) / 30) ** 2 <= 1
    spine = ((x - 48) / 6) ** 2 + ((y - 27) / 6) ** 2 <= 1
    liver = ((x - 64) / 17) ** 2 + ((y - 54) / 15) ** 2 + ((z - 12) / 9) ** 2 <= 1
    lung_size = np.clip((z - 20) / 8, 0, 1)  # the lungs start above the liver and widen upwards
    lungs = np.zeros(SHAPE, dtype=bool)
    for cx in (29, 67):
        lungs |= (lung_size > 0) & (((x - cx) / (12 * lung_size + 1e-9)) ** 2 + ((y - 52) / 16) ** 2 <= 1)
    lungs &= ~spine & body
    labels = np.zeros(SHAPE, dtype=np.uint8)
    values = np.full(SHAPE, HU["air"], dtype=np.float64)
    values[body] = HU["body"]
    for value, (name, region) in enumerate((("liver", liver & body), ("spine", spine), ("lung", lungs)), 1):
        values[region] = HU[name]
        labels[region] = value
    rng = np.random.default_rng(seed)
    values += rng.normal(0.0, _NOISE_HU, SHAPE)
    return np.clip(np.round(values), -1024, 3071).astype(np.int16), labels


def write_demo_volume(dest: Path, seed: int = 0) -> Path:
    """Write the phantom and its partial label map to ``dest`` in the MSD layout and return ``dest``."""
    import nibabel as nib

    image, full = phantom(seed)
    partial = np.zeros_like(full)
    for value, name in enumerate(DEMO_VOLUME_LABELS, 1):
        for k in LABELLED_SLICES[name]:
            partial[:, :, k][full[:, :, k] == value] = value
    affine = np.diag([*SPACING, 1.0])
    for folder, data in (("imagesTr", image), ("labelsTr", partial)):
        (dest / folder).mkdir(parents=True, exist_ok=True)
        nifti = nib.Nifti1Image(data, affine)
        nifti.header.set_xyzt_units("mm")
        nib.save(nifti, str(dest / folder / IMAGE_NAME))
    doc = {
        "name": "labelhub CT phantom",
        "description": "A synthetic torso for the labelhub demo",
        "modality": {"0": "CT"},
        "labels": {"0": "background", **{str(i): n for i, n in enumerate(DEMO_VOLUME_LABELS, 1)}},
    }
    (dest / "dataset.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return dest


def demo_volume_records(dest: Path, seed: int = 0) -> list[ItemRecord]:
    """Write the demo volume to ``dest`` and return its item as the ``nifti`` format reads it (with its masks)."""
    folder = write_demo_volume(dest, seed)
    with get_format("nifti").importer_class()(folder, ImportOptions()) as importer:
        read: list[ItemRecord | Problem] = list(importer)
    problems = [r for r in read if isinstance(r, Problem)]
    if problems:  # the files were written just above: a problem here is a bug, not bad input
        raise FormatError(f"the demo volume did not read back: {problems[0].message}", file=str(folder))
    return [r for r in read if isinstance(r, ItemRecord)]
