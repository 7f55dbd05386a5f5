"""Medical volumes (CT, MR): the one orientation in which labelhub shows, edits, imports and exports them.

Every volume is brought to RAS+ voxel order first (nibabel's convention: the first axis grows towards the
patient's **R**ight, the second towards **A**nterior, the third towards **S**uperior; :func:`canonical_order`
does it from any affine). Its *slices* are the axial
planes ``z = 0 .. Z-1``, from inferior to superior, and a slice is shown and annotated as a 2-D image of ``Y``
rows by ``X`` columns in the radiological convention CT and MR viewers use: anterior at the top, the patient's
right on the left of the screen. So the pixel at row ``r``, column ``c`` of slice ``k`` is voxel
``(X-1-c, Y-1-r, k)``. A volume item stores ``width = X``, ``height = Y``, ``frame_count = Z``, and its mask,
polygon and box annotations carry their slice in ``frame``, in that image's pixel coordinates.

Formats convert at their boundary with :func:`display_slice` and :func:`place_slice`, and write label maps back
in the source file's voxel order with :func:`to_source_order`, so an exported label map overlays the original
image in 3D Slicer or ITK-SNAP.

Hand-written: nibabel gives the orientation transforms, but the display convention and the window presets are
labelhub's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from nibabel import orientations as ornt

from labelhub.errors import ValidationError

#: Window presets for CT (Hounsfield units), as radiology viewers name them: (name, centre, width).
CT_WINDOWS: tuple[tuple[str, float, float], ...] = (
    ("Soft tissue", 40.0, 400.0),
    ("Lung", -600.0, 1500.0),
    ("Bone", 400.0, 1800.0),
    ("Brain", 40.0, 80.0),
)


@dataclass(frozen=True, slots=True)
class Window:
    """A display window: intensities ``centre +- width / 2`` are spread over black to white."""

    name: str
    center: float
    width: float

    def to_json(self) -> dict[str, float | str]:
        return {"name": self.name, "center": self.center, "width": self.width}


def canonical_order(data: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``data`` (3-D, in the voxel order ``affine`` describes) in RAS+ order, and the matching affine."""
    if data.ndim != 3:
        raise ValidationError(f"a volume needs 3 dimensions, got shape {tuple(data.shape)}", field="shape")
    source = ornt.io_orientation(affine)
    target = ornt.axcodes2ornt(("R", "A", "S"))
    transform = ornt.ornt_transform(source, target)
    out = ornt.apply_orientation(data, transform)
    inv = ornt.inv_ornt_aff(transform, data.shape)
    return np.ascontiguousarray(out), affine @ inv


def to_source_order(canonical: np.ndarray, source_affine: np.ndarray) -> np.ndarray:
    """Return ``canonical`` (RAS+ order) in the voxel order of the source whose affine is ``source_affine``."""
    source = ornt.io_orientation(source_affine)
    ras = ornt.axcodes2ornt(("R", "A", "S"))
    return np.ascontiguousarray(ornt.apply_orientation(canonical, ornt.ornt_transform(ras, source)))


def slice_size(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """Return ``(width, height, slices)`` of a RAS+ volume of ``shape`` ``(X, Y, Z)``."""
    x, y, z = (int(v) for v in shape[:3])
    return x, y, z


def display_slice(canonical: np.ndarray, k: int) -> np.ndarray:
    """Return axial slice ``k`` of a RAS+ volume as shown: ``Y`` rows (anterior first), ``X`` columns (right first)."""
    if not 0 <= k < canonical.shape[2]:
        raise ValidationError(f"slice {k} is outside the volume (0..{canonical.shape[2] - 1})", field="slice")
    return np.ascontiguousarray(canonical[::-1, ::-1, k].T)


def place_slice(target: np.ndarray, k: int, image: np.ndarray, value: int | None = None) -> None:
    """Write a shown slice ``image`` (``Y`` x ``X``) into slice ``k`` of the RAS+ volume ``target``.

    With ``value``, only where ``image`` is non-zero, and ``value`` is written there (a mask into a label map).
    """
    if image.shape != (target.shape[1], target.shape[0]):
        raise ValidationError(
            f"a slice of this volume is {target.shape[0]}x{target.shape[1]} (width x height), got "
            f"{image.shape[1]}x{image.shape[0]}",
            field="size",
        )
    view = target[::-1, ::-1, k]
    if value is None:
        view[...] = image.T
    else:
        view[image.T != 0] = value


def default_windows(data: np.ndarray, modality: str | None, stored: Window | None = None) -> list[Window]:
    """Return the windows to offer for a volume, the default first.

    The window the file names (DICOM's Window Center / Width) comes first when there is one; then "Auto", the
    0.5-99.5 percentile range of the voxels (what ITK-SNAP and 3D Slicer start from on MR); then, for CT, the
    usual presets in Hounsfield units, "Soft tissue" first when the file names no window.
    """
    finite = data[np.isfinite(data)] if np.issubdtype(data.dtype, np.floating) else data
    if finite.size == 0:
        lo, hi = 0.0, 1.0
    else:
        sample = finite.ravel()[:: max(1, finite.size // 2_000_000)]
        lo, hi = (float(v) for v in np.percentile(sample, [0.5, 99.5]))
    if hi <= lo:
        hi = lo + 1.0
    auto = Window("Auto", (lo + hi) / 2.0, hi - lo)
    if (modality or "").upper() != "CT":
        return [stored, auto] if stored is not None else [auto]
    presets = [Window(n, c, w) for n, c, w in CT_WINDOWS]
    # A CT without a window of its own opens on soft tissue: its "Auto" spans air to bone (about 1,700 HU), where
    # organs differ by a few grey levels.
    return [stored, auto, *presets] if stored is not None else [presets[0], auto, *presets[1:]]
