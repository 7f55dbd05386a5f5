"""Synthetic volumes for the volume segmenter's tests: a bright ball ("ball") and a dark cube ("box") at seeded
random places in a noisy 32 x 32 x 12 volume (RAS+ order), and the same written as NIfTI files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelhub.assist.volume_seg import LabelledVolume

SHAPE = (32, 32, 12)
CLASSES = ["ball", "box"]


def synthetic(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return (image, label map): 1 = ball (radius 5 in-plane, 2.5 slices), 2 = a 6 x 6 x 4 box, not touching."""
    img = rng.normal(100.0, 8.0, SHAPE).astype(np.float32)
    lab = np.zeros(SHAPE, np.uint8)
    x, y, z = np.mgrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    cx, cy, cz = rng.integers([8, 8, 3], [24, 24, 9])
    ball = (x - cx) ** 2 + (y - cy) ** 2 + ((z - cz) * 2) ** 2 <= 25
    box = np.zeros(SHAPE, bool)
    for _ in range(100):
        bx, by, bz = rng.integers([1, 1, 1], [SHAPE[0] - 7, SHAPE[1] - 7, SHAPE[2] - 5])
        box[:] = False
        box[bx : bx + 6, by : by + 6, bz : bz + 4] = True
        if not (box & ball).any():
            break
    img[ball] += 80.0
    img[box] -= 80.0
    lab[ball], lab[box] = 1, 2
    return img, lab


def volumes(n: int, seed: int = 0) -> list[LabelledVolume]:
    """Return ``n`` synthetic volumes, every slice labelled (item ids 1..n)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        img, lab = synthetic(rng)
        out.append(LabelledVolume(i + 1, img, lab, list(range(SHAPE[2]))))
    return out


def write_nifti(path: Path, data: np.ndarray) -> Path:
    """Write ``data`` as a NIfTI file in RAS+ order (identity affine, 1 mm voxels)."""
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(path))
    return path


def write_msd(root: Path, labelled: int, unlabelled: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Write an MSD-layout folder: ``labelled`` volumes with label maps (imagesTr/, labelsTr/) and ``unlabelled``
    ones without (imagesTs/); return every volume's true label map by file name."""
    rng = np.random.default_rng(seed)
    truth: dict[str, np.ndarray] = {}
    for i in range(labelled + unlabelled):
        img, lab = synthetic(rng)
        name = f"case_{i:02d}.nii.gz"
        if i < labelled:
            write_nifti(root / "imagesTr" / name, img)
            write_nifti(root / "labelsTr" / name, lab)
        else:
            write_nifti(root / "imagesTs" / name, img)
        truth[name] = lab
    return truth
