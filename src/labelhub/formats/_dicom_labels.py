"""Label maps that come with DICOM series: DICOM-SEG objects (highdicom) and NRRD label maps (pynrrd).

Both are brought to RAS+ order (:mod:`labelhub.domain.volume`) on the grid of the series they belong to, so
:func:`labelhub.formats._volume_masks.slice_masks` turns them into per-slice masks of the series' item.

- A DICOM-SEG names its series in ``ReferencedSeriesSequence``; each of its segments becomes one label map
  (value = the segment number, class = ``SegmentLabel``). highdicom places its frames by their
  ``ImagePositionPatient`` (``Segmentation.get_volume``): the frames may cover only some slices of the series,
  but they must lie on its grid (same directions and spacing, an origin on a voxel of the series).
- An NRRD label map belongs to the series whose RAS+ grid it has (shape, and "space origin" and "space
  directions" within a tenth of a voxel; LPS or RAS per its "space"). Its class is the file's stem without a
  trailing ``_seg`` (``liver_seg.nrrd``: ``liver``); a file with several values names them ``<stem>_<value>``,
  unless it is a 3D Slicer ``.seg.nrrd`` whose ``SegmentN_Name`` / ``SegmentN_LabelValue`` name them.

Hand-written: matching a label map to a series by its geometry is labelhub's; the libraries read the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highdicom as hd
import nrrd
import numpy as np
from pydicom.dataset import Dataset

from labelhub.domain.volume import canonical_order
from labelhub.formats._dicom_series import LPS_TO_RAS, Series, canonical_geometry, same_grid

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
NRRD_SUFFIXES = (".nrrd", ".nhdr")
_SPACES = {
    "left-posterior-superior": LPS_TO_RAS,
    "lps": LPS_TO_RAS,
    "right-anterior-superior": np.eye(4),
    "ras": np.eye(4),
}


class LabelProblem(Exception):
    """A label map that cannot be used: the message names the file and why."""


@dataclass(slots=True)
class SegFile:
    """A DICOM-SEG object: its file, the series it references and its segments (number, label)."""

    path: Path
    series_uids: list[str]
    segments: list[tuple[int, str]]


@dataclass(slots=True)
class NrrdFile:
    """An NRRD label map: its file, grid (source order, RAS affine) and class per value."""

    path: Path
    shape: tuple[int, int, int]
    affine: np.ndarray
    names: dict[int, str] = field(default_factory=dict)


def is_seg(ds: Dataset) -> bool:
    """True for a DICOM Segmentation object."""
    return str(ds.get("SOPClassUID", "")) == SEG_SOP_CLASS or str(ds.get("Modality", "")) == "SEG"


def seg_header(path: Path, ds: Dataset) -> SegFile:
    """Return what the header of the DICOM-SEG at ``path`` says; raise LabelProblem when it names no series."""
    uids = [str(r.SeriesInstanceUID) for r in ds.get("ReferencedSeriesSequence", []) if "SeriesInstanceUID" in r]
    if not uids:
        raise LabelProblem(f"DICOM-SEG {path.name} has no ReferencedSeriesSequence: its image series is unknown")
    segments = []
    for item in ds.get("SegmentSequence", []):
        number = int(item.SegmentNumber)
        label = str(item.get("SegmentLabel") or "").strip() or f"segment_{number}"
        segments.append((number, label))
    if not segments:
        raise LabelProblem(f"DICOM-SEG {path.name} has no segments (SegmentSequence is empty)")
    return SegFile(path, uids, segments)


def seg_label_maps(seg: SegFile, series: Series) -> list[tuple[int, str, np.ndarray]]:
    """Return ``(segment number, label, RAS+ label map)`` per segment of ``seg`` on the grid of ``series``.

    Each map holds the segment number inside the segment and 0 elsewhere (fractional segments: at 0.5 and
    above). Raises LabelProblem naming the file when highdicom cannot read it or its frames are off the grid.
    """
    shape, affine = canonical_geometry(series.shape, series.affine)
    try:
        obj = hd.seg.segread(seg.path)
    except Exception as exc:  # noqa: BLE001 - highdicom raises many kinds; the file is named either way
        raise LabelProblem(f"DICOM-SEG {seg.path.name} cannot be read: {_first_line(exc)}") from None
    out: list[tuple[int, str, np.ndarray]] = []
    for number, label in seg.segments:
        try:
            volume = obj.get_volume(segment_numbers=[number])
        except Exception as exc:  # noqa: BLE001 - as above
            raise LabelProblem(
                f"DICOM-SEG {seg.path.name}: segment {number} ({label}) cannot be placed in 3-D: {_first_line(exc)}"
            ) from None
        array = np.asarray(volume.array)
        if array.ndim == 4:
            array = array[..., 0]
        # highdicom's volume axes are (slice, row, column) and its affine maps them to LPS.
        data, seg_affine = canonical_order(array, LPS_TO_RAS @ np.asarray(volume.affine, dtype=np.float64))
        labels = np.zeros(shape, dtype=np.uint16 if number > 255 else np.uint8)
        window = _window_in(data.shape, seg_affine, shape, affine)
        if window is None:
            raise LabelProblem(
                f"DICOM-SEG {seg.path.name}: segment {number} ({label}) does not lie on the grid of "
                f"{series.name or series.uid} (its frames are {array.shape[1]}x{array.shape[2]}, other positions or "
                "spacing)"
            )
        labels[window][data >= 0.5] = number
        out.append((number, label, labels))
    return out


def _window_in(
    part: tuple[int, ...], part_affine: np.ndarray, shape: tuple[int, ...], affine: np.ndarray
) -> tuple[slice, slice, slice] | None:
    """Return where a RAS+ grid ``part`` lies inside the RAS+ grid ``shape``, or None when it is not on it."""
    voxel = float(np.min(np.linalg.norm(affine[:3, :3], axis=0)))
    if not np.allclose(part_affine[:3, :3], affine[:3, :3], atol=1e-3 * voxel + 1e-6):
        return None
    offset = np.linalg.solve(affine[:3, :3], part_affine[:3, 3] - affine[:3, 3])
    start = np.round(offset)
    if np.max(np.abs(offset - start)) > 0.1:
        return None
    lo = [int(v) for v in start]
    if any(a < 0 or a + n > size for a, n, size in zip(lo, part, shape, strict=True)):
        return None
    return slice(lo[0], lo[0] + part[0]), slice(lo[1], lo[1] + part[1]), slice(lo[2], lo[2] + part[2])


def class_stem(path: Path) -> str:
    """Return the class an NRRD file names: its stem without ``.seg`` (3D Slicer) or a trailing ``_seg``."""
    stem = path.name
    for suffix in (*NRRD_SUFFIXES, ".seg"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem[:-4] if stem.lower().endswith("_seg") and len(stem) > 4 else stem


def read_nrrd(path: Path) -> tuple[np.ndarray, dict[str, Any]]:
    """Return the data and header of an NRRD file, or raise LabelProblem naming it."""
    try:
        data, header = nrrd.read(str(path))
    except Exception as exc:  # noqa: BLE001 - pynrrd raises NRRDError, OSError, ValueError, zlib errors
        raise LabelProblem(f"NRRD {path.name} cannot be read: {_first_line(exc)}") from None
    return np.asarray(data), header


def nrrd_header(path: Path) -> NrrdFile:
    """Return the grid and classes of the NRRD label map at ``path`` (reads its data once for its values)."""
    data, header = read_nrrd(path)
    if data.ndim != 3:
        raise LabelProblem(f"NRRD {path.name} has {data.ndim} dimensions; a label map needs 3 (shape {data.shape})")
    if not np.issubdtype(data.dtype, np.integer) and not np.array_equal(data, np.round(data)):
        raise LabelProblem(f"NRRD {path.name} holds fractional values ({data.dtype}); a label map holds whole numbers")
    space = str(header.get("space", "")).lower()
    to_ras = _SPACES.get(space)
    directions = header.get("space directions")
    origin = header.get("space origin")
    if to_ras is None or directions is None or origin is None:
        raise LabelProblem(
            f"NRRD {path.name} has no patient space (its 'space' is {space or 'missing'}, 'space directions' or "
            "'space origin' missing): it cannot be matched to a series"
        )
    lps_or_ras = np.eye(4)
    lps_or_ras[:3, :3] = np.asarray(directions, dtype=np.float64).T  # row i of "space directions" is axis i
    lps_or_ras[:3, 3] = np.asarray(origin, dtype=np.float64)
    values = [int(v) for v in np.unique(data) if v != 0]
    stem = class_stem(path)
    named = _slicer_names(header)
    if named:
        names = {v: named.get(v, f"{stem}_{v}") for v in values}
    elif len(values) == 1:
        names = {values[0]: stem}
    else:
        names = {v: f"{stem}_{v}" for v in values}
    return NrrdFile(path, (int(data.shape[0]), int(data.shape[1]), int(data.shape[2])), to_ras @ lps_or_ras, names)


def _slicer_names(header: dict[str, Any]) -> dict[int, str]:
    """Return value -> name from a 3D Slicer ``.seg.nrrd`` header (``SegmentN_Name``, ``SegmentN_LabelValue``)."""
    out: dict[int, str] = {}
    i = 0
    while f"Segment{i}_Name" in header:
        try:
            value = int(str(header.get(f"Segment{i}_LabelValue", i + 1)))
        except ValueError:
            value = i + 1
        out[value] = str(header[f"Segment{i}_Name"]).strip() or f"segment_{value}"
        i += 1
    return out


def nrrd_matches(label: NrrdFile, series: Series) -> bool:
    """True when the NRRD label map has the RAS+ grid of ``series``."""
    mine = canonical_geometry(label.shape, label.affine)
    theirs = canonical_geometry(series.shape, series.affine)
    return same_grid(mine[0], mine[1], theirs[0], theirs[1])


def nrrd_label_map(label: NrrdFile) -> np.ndarray:
    """Return the NRRD label map in RAS+ order (its grid was matched to a series before)."""
    data, _ = read_nrrd(label.path)
    data, _affine = canonical_order(data, label.affine)
    return data.astype(np.int64) if not np.issubdtype(data.dtype, np.integer) else data


def describe_grid(label: NrrdFile) -> str:
    """Return the shape and RAS origin of an NRRD label map, for a message."""
    origin = ", ".join(f"{v:.2f}" for v in label.affine[:3, 3])
    shape = "x".join(str(v) for v in label.shape)
    return f"shape {shape}, origin ({origin}) RAS"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
