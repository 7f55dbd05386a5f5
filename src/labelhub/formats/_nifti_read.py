"""Reading NIfTI files for the ``nifti`` format: which files a source holds, their label maps, their class names.

A source is one ``.nii`` / ``.nii.gz`` file or a folder. In a folder every NIfTI file is an image except those
inside a label folder; the label map of an image in folder ``D`` is the file of the same name in ``D``'s sibling
label folder (``imagesTr`` -> ``labelsTr``, ``imagesTs`` -> ``labelsTs``, ``images`` -> ``labels``: the Medical
Segmentation Decathlon and nnU-Net layouts, and what the exporter writes), or in ``D/labels``. Hidden files
(macOS ``._`` copies in MSD archives) are skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from labelhub.errors import FormatError
from labelhub.formats._common import media_refusal
from labelhub.formats._guards import bad_label
from labelhub.media.video import natural_key
from labelhub.media.volume import READ_ERRORS, check_header, gzip_length, nibabel_errors, volume_array

NIFTI_SUFFIXES = (".nii.gz", ".nii")
#: Above this many declared bytes a gzipped file's length is counted before its voxels are allocated.
_COUNT_GZIP_ABOVE = 256 << 20
DATASET_JSON = "dataset.json"
_LABEL_DIRS = frozenset({"labels", "labelstr", "labelsts", "labelsva"})


def is_nifti(path: Path) -> bool:
    """Return True when ``path``'s name ends in ``.nii`` or ``.nii.gz`` (case-insensitive)."""
    return path.name.lower().endswith(NIFTI_SUFFIXES) and not path.name.startswith(".")


def nifti_stem(name: str) -> str:
    """Return the last part of ``name`` without ``.nii`` / ``.nii.gz``."""
    base = name.rsplit("/", 1)[-1]
    for suffix in NIFTI_SUFFIXES:
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


@dataclass(slots=True)
class VolumeEntry:
    """One image of a source and the label map found for it (None: none)."""

    name: str
    image: Path
    labels: Path | None


def scan(source: Path) -> list[VolumeEntry]:
    """Return the images of ``source`` in natural order of their names, each with its label map when there is one."""
    if source.is_file():
        if not is_nifti(source):
            raise FormatError(f"{source} is not a NIfTI file (.nii or .nii.gz)", file=str(source))
        return [VolumeEntry(source.name, source, None)]
    entries: list[VolumeEntry] = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d.lower() not in _LABEL_DIRS)
        base = Path(dirpath)
        rel = base.relative_to(source).as_posix()
        for f in filenames:
            path = base / f
            if is_nifti(path):
                name = f if rel == "." else f"{rel}/{f}"
                entries.append(VolumeEntry(name, path, _label_file(source, base, f)))
    if not entries:
        raise FormatError(f"no NIfTI files (.nii, .nii.gz) in {source}", file=str(source))
    entries.sort(key=lambda e: natural_key(e.name))
    return entries


def _label_file(source: Path, folder: Path, name: str) -> Path | None:
    low = folder.name.lower()
    candidates = [folder / "labels" / name]
    if low.startswith("images") and folder != source:
        candidates.insert(0, folder.parent / f"labels{folder.name[len('images') :]}" / name)
    return next((c for c in candidates if c.is_file()), None)


def read_dataset_json(source: Path) -> dict[str, Any]:
    """Return the MSD ``dataset.json`` of a folder source ({} when there is none); FormatError when unreadable."""
    path = source / DATASET_JSON if source.is_dir() else source.parent / DATASET_JSON
    if not path.is_file():
        return {}
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise FormatError(f"{path} must hold a JSON object", file=str(path))
    return data


def dataset_names(doc: dict[str, Any], file: str) -> dict[int, str]:
    """Return the value -> class name map of a dataset.json's ``labels`` (``{"1": "Anterior"}`` or, as nnU-Net v2
    writes it, ``{"Anterior": 1}``), without background (0)."""
    labels = doc.get("labels")
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise FormatError(f"{file}: labels must be an object of value -> name", file=file, field="labels")
    out: dict[int, str] = {}
    for k, v in labels.items():
        if isinstance(v, list):  # nnU-Net v2 region-based training: a region is a list of values
            raise FormatError(
                f"{file}: label {k!r} is a region of several values {v!r:.60}; labelhub reads one value per class",
                file=file,
                field=f"labels.{k}",
            )
        value, name = (v, k) if isinstance(v, int) and not isinstance(v, bool) else (k, v)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise FormatError(
                f"{file}: label value {value!r} is not a whole number", file=file, field="labels"
            ) from None
        if not isinstance(name, str) or not name.strip():
            raise FormatError(f"{file}: label {number} has no name", file=file, field=f"labels.{number}")
        why = bad_label(name.strip())
        if why is not None:
            raise FormatError(f"{file}: the name of label {number} {why}", file=file, field=f"labels.{number}")
        if number != 0:
            _add_name(out, number, name.strip(), file, f"labels.{number}")
    return out


def _add_name(names: dict[int, str], value: int, name: str, file: str | None, field: str) -> None:
    """Add ``value -> name``, refusing a name another value has (the two would merge into one class)."""
    other = next((v for v, n in names.items() if n == name), None)
    if other is not None:
        where = f"{file}: " if file else ""
        raise FormatError(
            f"{where}labels {other} and {value} are both named {name!r}; each value needs its own class name",
            file=file,
            field=field,
        )
    names[value] = name


def option_names(value: object) -> dict[int, str]:
    """Return the value -> name map of the ``labels=a,b,c`` option (value i is the i-th name)."""
    if value is None:
        return {}
    names = [n.strip() for n in (value if isinstance(value, list) else str(value).split(","))]
    if not names or any(not n for n in names):
        raise FormatError(f"option labels must be class names separated by commas, got {value!r}", field="labels")
    out: dict[int, str] = {}
    for i, name in enumerate(names):
        why = bad_label(name)
        if why is not None:
            raise FormatError(f"option labels: class name {name!r:.60} {why}", field=f"labels[{i}]")
        _add_name(out, i + 1, name, None, f"labels[{i}]")
    return out


def modality_of(doc: dict[str, Any]) -> str | None:
    """Return the first modality of a dataset.json (``MRI`` is called ``MR``, as DICOM does), or None."""
    mod = doc.get("modality") or doc.get("channel_names")
    first = next(iter(mod.values()), None) if isinstance(mod, dict) else mod
    if not isinstance(first, str) or not first.strip():
        return None
    text = first.strip().upper()
    return {"MRI": "MR", "T1": "MR", "T2": "MR", "FLAIR": "MR"}.get(text, text)


def load(path: Path, name: str) -> tuple[Any, np.ndarray]:
    """Return the nibabel image at ``path`` and its 3-D voxels; FormatError naming the file when it cannot be."""
    import nibabel as nib

    refused = media_refusal(path)
    if refused is not None:
        raise FormatError(refused, file=str(path))
    if path.exists() and not path.is_file():  # a read of a FIFO blocks, of a device never ends
        raise FormatError(f"{name} is not a regular file (a folder, a FIFO or a device)", file=str(path))
    refusals: tuple[type[Exception], ...] = (*READ_ERRORS, *nibabel_errors())
    try:
        img = nib.load(str(path))
    except refusals as exc:
        raise FormatError(f"{name} is not a readable NIfTI file: {exc}", file=str(path)) from exc
    if not isinstance(img, nib.Nifti1Image | nib.Nifti2Image):
        raise FormatError(f"{name} is not a NIfTI file ({type(img).__name__})", file=str(path))
    available = _available(path, img)
    return img, volume_array(img, str(path), available)


def _available(path: Path, img: Any) -> int | None:
    """Return how many bytes the file's voxels may come from (its size, or its inflated size when gzipped and
    large), so a header cannot declare more than the file holds; the header is checked first."""
    check_header(img, str(path))
    try:
        if not path.name.lower().endswith(".gz"):
            return path.stat().st_size
        dims = int(np.prod([int(v) for v in img.shape], dtype=np.int64))
        declared = int(img.header.get("vox_offset", 0) or 0) + dims * np.dtype(img.get_data_dtype()).itemsize
        return gzip_length(path, declared) if declared > _COUNT_GZIP_ABOVE else None
    except READ_ERRORS as exc:
        raise FormatError(f"{path.name} is not a readable NIfTI file: {exc}", file=str(path)) from exc


def ras_spacing(img: Any) -> list[float]:
    """Return the voxel size in mm along the RAS+ axes (the header's zooms put in RAS+ order)."""
    from nibabel import orientations as ornt

    zooms = [float(v) for v in img.header.get_zooms()[:3]]
    axes = ornt.io_orientation(img.affine)
    out = [0.0, 0.0, 0.0]
    for i, (axis, _) in enumerate(axes):
        out[int(axis)] = round(zooms[i], 6)
    return out
