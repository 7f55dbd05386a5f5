"""DICOM image series: the files of a source grouped by series, stacked into a volume with its RAS affine.

A series is every image file of one ``SeriesInstanceUID``. Its slices are sorted along the slice normal (the
cross product of the row and column direction cosines of ``ImageOrientationPatient``, dotted with each
``ImagePositionPatient``); every slice must share the size, orientation and pixel spacing of the series, and
the gaps between them must be regular (within 10 %), or the series is a Problem naming the file at fault.

Voxel ``(i, j, k)`` of the stacked array is column ``i``, row ``j`` of slice ``k`` (``pixel_array[j, i]``).
DICOM's patient coordinates are LPS (x towards the patient's left, y posterior, z superior); the affine built
here maps voxels to RAS (nibabel's and NIfTI's convention), so x and y change sign. Stored values are turned
into modality values (Hounsfield units for CT) with RescaleSlope and RescaleIntercept.

Hand-written: pydicom reads the files but does not stack single-frame images into a volume, and highdicom's
volume reading needs every file to pass its own checks without naming the file at fault; this is the
classic dcm2niix-style stacking, kept to what labelhub needs.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from nibabel import orientations as ornt
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError

from labelhub.media.volume import MAX_VOXELS  # a header cannot make the importer allocate more

#: What pydicom raises on a damaged file (it parses values lazily, so also on reading an attribute).
READ_ERRORS: tuple[type[Exception], ...] = (
    InvalidDicomError,
    BytesLengthException,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    AttributeError,
    OverflowError,
    NotImplementedError,
    struct.error,
)
#: What decoding pixel data raises besides: RuntimeError when no decoder (plugin) can do it.
_PIXEL_ERRORS: tuple[type[Exception], ...] = (RuntimeError, *READ_ERRORS)
#: LPS (DICOM) to RAS (NIfTI): x and y change sign.
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
#: Suffixes of files that are DICOM by name: one that pydicom cannot read is a Problem, not skipped.
DICOM_SUFFIXES = frozenset({".dcm", ".dicom", ".dic", ".ima"})
#: Suffixes of files that are plainly something else: never opened as DICOM.
OTHER_SUFFIXES = frozenset(
    {".nrrd", ".nhdr", ".nii", ".gz", ".json", ".txt", ".md", ".csv", ".tsv", ".xml", ".html", ".pdf", ".yaml"}
    | {".yml", ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".zip", ".tar", ".mha", ".mhd", ".raw", ".py"}
    | {".log", ".ini", ".cfg", ".sh", ".bat", ".exe", ".db", ".sqlite", ".mat", ".npy", ".npz", ".h5", ".vtk"}
    | {".stl", ".obj", ".mrb", ".mrml", ".fcsv"}
)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Largest relative spread of the gaps between slices taken as regular.
GAP_TOLERANCE = 0.10


class SeriesProblem(Exception):
    """A series that cannot be stacked; ``file`` is the file at fault (or the series' first file)."""

    def __init__(self, message: str, file: Path) -> None:
        super().__init__(message)
        self.message = message
        self.file = file


@dataclass(slots=True)
class Slice:
    """One image file of a series, its header read without the pixels."""

    path: Path
    header: Dataset
    position: np.ndarray  # ImagePositionPatient (LPS, mm)
    orientation: tuple[float, ...]  # ImageOrientationPatient, rounded for comparison
    size: tuple[int, int]  # (Rows, Columns)
    spacing: tuple[float, float]  # PixelSpacing: (between rows, between columns)


@dataclass(slots=True)
class Series:
    """The image files of one series (sorted once :func:`stack` ran) and its geometry."""

    uid: str
    slices: list[Slice] = field(default_factory=list)
    affine: np.ndarray = field(default_factory=lambda: np.eye(4))  # voxel (column, row, slice) -> RAS mm
    name: str = ""

    @property
    def first(self) -> Dataset:
        return self.slices[0].header

    @property
    def shape(self) -> tuple[int, int, int]:
        rows, cols = self.slices[0].size
        return cols, rows, len(self.slices)

    @property
    def number(self) -> str:
        value = self.first.get("SeriesNumber")
        return "" if value is None or str(value) == "" else str(value)

    @property
    def description(self) -> str:
        return str(self.first.get("SeriesDescription") or "").strip()


def read_header(path: Path) -> Dataset | None:
    """Return the header of the DICOM file at ``path`` (pixels left unread), or None when it is not DICOM.

    A file named as DICOM (``.dcm``) without the DICM preamble is read once more without it (old files lack
    it). Raises one of :data:`READ_ERRORS` on a damaged file, for the caller to name it.
    """
    try:
        ds = dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        if path.suffix.lower() not in DICOM_SUFFIXES:
            return None
        ds = dcmread(path, stop_before_pixels=True, force=True)
        if "SOPInstanceUID" not in ds:
            raise InvalidDicomError("it has no DICOM preamble and no SOP Instance UID") from None
    for _element in ds.iterall():
        pass  # parse every value now: pydicom parses lazily, and a damaged value must fail here, named
    return ds


def as_slice(path: Path, ds: Dataset) -> Slice:
    """Return the slice an image file makes, or raise SeriesProblem naming what it lacks."""
    missing = [k for k in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing") if k not in ds]
    if missing:
        raise SeriesProblem(f"{path.name} has no {', '.join(missing)}: it cannot be placed in a volume", path)
    frames = int(ds.get("NumberOfFrames") or 1)
    if frames != 1:
        raise SeriesProblem(f"{path.name} is a multi-frame image ({frames} frames); only single-frame series", path)
    if int(ds.get("SamplesPerPixel") or 1) != 1:
        raise SeriesProblem(f"{path.name} is a colour image; a volume needs grey-level slices", path)
    try:
        position = np.array([float(v) for v in ds.ImagePositionPatient], dtype=np.float64)
        cosines = tuple(round(float(v), 4) for v in ds.ImageOrientationPatient)
        spacing = (float(ds.PixelSpacing[0]), float(ds.PixelSpacing[1]))
        size = (int(ds.Rows), int(ds.Columns))
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise SeriesProblem(f"{path.name}: unreadable geometry ({exc})", path) from None
    finite = bool(np.all(np.isfinite(position)) and np.all(np.isfinite(cosines)) and np.all(np.isfinite(spacing)))
    if not finite:
        what = "ImagePositionPatient, ImageOrientationPatient or PixelSpacing"
        raise SeriesProblem(f"{path.name}: {what} is not a finite number", path)
    if position.shape != (3,) or len(cosines) != 6 or min(spacing) <= 0 or min(size) <= 0:
        raise SeriesProblem(f"{path.name}: malformed position, orientation, pixel spacing or size", path)
    return Slice(path, ds, position, cosines, size, spacing)


def _normal(cosines: Sequence[float]) -> np.ndarray:
    row, col = np.asarray(cosines[:3], dtype=np.float64), np.asarray(cosines[3:], dtype=np.float64)
    n = np.cross(row, col)
    length = float(np.linalg.norm(n))
    return n / length if length > 0 else n


def stack(series: Series) -> None:
    """Sort the slices of ``series`` along their normal, check they make a regular grid, and set its affine.

    Raises SeriesProblem naming the series and the odd file: a size, orientation or pixel spacing unlike the
    rest, two slices at one position, or a gap more than 10 % off the usual one.
    """
    slices = series.slices
    label = f"series {series.uid}"
    for attr, what in (("size", "size (Rows x Columns)"), ("orientation", "orientation"), ("spacing", "pixel spacing")):
        usual, _ = Counter(getattr(s, attr) for s in slices).most_common(1)[0]
        odd = next((s for s in slices if getattr(s, attr) != usual), None)
        if odd is not None:
            raise SeriesProblem(
                f"{label}: {odd.path.name} has {what} {_show(getattr(odd, attr))}, the other slices {_show(usual)}",
                odd.path,
            )
    normal = _normal(slices[0].orientation)
    if not np.any(normal):
        raise SeriesProblem(f"{label}: {slices[0].path.name} has row and column directions in one line", slices[0].path)
    slices.sort(key=lambda s: (float(s.position @ normal), s.path.name))
    depth = np.array([float(s.position @ normal) for s in slices])
    gaps = np.diff(depth)
    if len(slices) > 1:
        at = int(np.argmin(gaps))
        if gaps[at] < 1e-3:
            raise SeriesProblem(
                f"{label}: {slices[at].path.name} and {slices[at + 1].path.name} lie at one position", slices[at].path
            )
        # The usual gap is the most frequent one (the smallest of the most frequent: slices go missing more often
        # than extra ones appear); the median is no judge with three slices.
        values, counts = np.unique(np.round(gaps, 2), return_counts=True)
        usual_gap = float(values[counts == counts.max()].min())
        worst = int(np.argmax(np.abs(gaps - usual_gap)))
        if abs(gaps[worst] - usual_gap) > GAP_TOLERANCE * usual_gap:
            raise SeriesProblem(
                f"{label}: the gap between {slices[worst].path.name} and {slices[worst + 1].path.name} is "
                f"{gaps[worst]:.3g} mm, the usual one {usual_gap:.3g} mm (missing or extra slices?)",
                slices[worst + 1].path,
            )
        step = (slices[-1].position - slices[0].position) / (len(slices) - 1)
    else:
        first = slices[0].header
        thickness = first.get("SpacingBetweenSlices") or first.get("SliceThickness") or 1.0
        step = normal * abs(float(thickness))
    row_spacing, col_spacing = slices[0].spacing
    cos = np.asarray(slices[0].orientation, dtype=np.float64)
    lps = np.eye(4)
    lps[:3, 0] = cos[:3] * col_spacing  # along a row: the next column
    lps[:3, 1] = cos[3:] * row_spacing  # along a column: the next row
    lps[:3, 2] = step
    lps[:3, 3] = slices[0].position
    series.affine = LPS_TO_RAS @ lps


def _show(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return "[" + ", ".join(f"{v:g}" for v in value) + "]"


class PixelProblem(SeriesProblem):
    """Pixel data pydicom cannot decode (a compressed transfer syntax without its decoder)."""


def read_volume(series: Series) -> np.ndarray:
    """Return the modality values of ``series`` (stacked, sorted) as int16 when they fit, else float32.

    Filled slice by slice in int16, switching to float32 at the first slice whose values do not fit, so a
    500-slice CT never needs more than its int16 size (plus one float32 copy when it must switch).
    """
    cols, rows, depth = series.shape
    if cols * rows * depth > MAX_VOXELS:
        first = series.slices[0].path
        raise SeriesProblem(f"{cols}x{rows}x{depth} voxels is more than the {MAX_VOXELS:,} labelhub reads", first)
    out = np.empty((cols, rows, depth), dtype=np.int16)
    for k, s in enumerate(series.slices):
        try:
            ds = dcmread(s.path)
        except READ_ERRORS as exc:
            raise SeriesProblem(f"{s.path.name} can no longer be read: {exc}", s.path) from None
        try:
            pixels = ds.pixel_array
        except _PIXEL_ERRORS as exc:
            meta = getattr(ds, "file_meta", None)
            syntax = meta.get("TransferSyntaxUID") if meta is not None else None
            name = f"{syntax.name} ({syntax})" if syntax is not None else "an unknown transfer syntax"
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PixelProblem(
                f"{s.path.name}: cannot decode its pixel data, stored as {name}: {first_line}", s.path
            ) from None
        if pixels.shape != (rows, cols):
            raise SeriesProblem(f"{s.path.name}: pixel data is {pixels.shape}, its header says {rows}x{cols}", s.path)
        slope = float(ds.get("RescaleSlope") or 1.0)
        intercept = float(ds.get("RescaleIntercept") or 0.0)
        values = pixels.T.astype(np.float64) * slope + intercept
        if values.size and not np.all(np.abs(values) <= _FLOAT32_MAX):
            raise SeriesProblem(
                f"{s.path.name}: RescaleSlope {slope:g} and RescaleIntercept {intercept:g} give values beyond what "
                "a volume holds (not finite, or past float32)",
                s.path,
            )
        if out.dtype == np.int16 and narrowest(values).dtype != np.int16:
            out = out.astype(np.float32)
        out[:, :, k] = values
    return out


def narrowest(values: np.ndarray) -> np.ndarray:
    """Return ``values`` as int16 when each is a whole number in its range, else as float32."""
    if values.size and np.all(np.isfinite(values)) and np.array_equal(values, np.round(values)):
        lo, hi = float(values.min()), float(values.max())
        if lo >= np.iinfo(np.int16).min and hi <= np.iinfo(np.int16).max:
            return values.astype(np.int16)
    return values.astype(np.float32)


def canonical_geometry(shape: tuple[int, ...], affine: np.ndarray) -> tuple[tuple[int, int, int], np.ndarray]:
    """Return the RAS+ shape and affine :func:`labelhub.domain.volume.canonical_order` would give, without data."""
    transform = ornt.ornt_transform(ornt.io_orientation(affine), ornt.axcodes2ornt(("R", "A", "S")))
    out = [0, 0, 0]
    for axis, (target, _flip) in enumerate(transform):
        out[int(target)] = int(shape[axis])
    inv = ornt.inv_ornt_aff(transform, shape[:3])
    return (out[0], out[1], out[2]), affine @ inv


def same_grid(shape_a: tuple[int, ...], affine_a: np.ndarray, shape_b: tuple[int, ...], affine_b: np.ndarray) -> bool:
    """True when two RAS+ grids have one shape and voxels within a tenth of a voxel of each other."""
    if tuple(shape_a) != tuple(shape_b):
        return False
    voxel = float(np.min(np.linalg.norm(affine_a[:3, :3], axis=0)))
    tol = 0.1 * voxel
    corner = np.array([*(np.asarray(shape_a, dtype=np.float64) - 1), 1.0])
    return bool(
        np.allclose(affine_a[:3, 3], affine_b[:3, 3], atol=tol)
        and np.allclose((affine_a @ corner)[:3], (affine_b @ corner)[:3], atol=tol)
        and np.allclose(affine_a[:3, :3], affine_b[:3, :3], atol=1e-3 * voxel + 1e-6)
    )
