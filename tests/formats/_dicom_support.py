"""Synthetic DICOM slices for the dicom format tests, written with pydicom, and a reader of the records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from labelhub.domain.records import ItemRecord, Problem
from labelhub.domain.volume import canonical_order
from labelhub.formats import ImportOptions
from labelhub.formats.dicom import DicomImporter

STUDY = generate_uid()
FRAME = generate_uid()


def write_slice(
    path: Path,
    pixels: np.ndarray,
    *,
    series: str,
    z: float,
    spacing: tuple[float, float] = (0.5, 0.5),
    orientation: Sequence[float] = (1, 0, 0, 0, 1, 0),
    origin: tuple[float, float] = (-10.0, -20.0),
    slope: float = 1.0,
    intercept: float = -1024.0,
    number: int = 1,
    description: str = "AX",
    syntax: str = ExplicitVRLittleEndian,
) -> Path:
    """Write one CT slice (int16 pixels) at height ``z`` mm of the LPS axis along the slice normal."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "SECRET-42"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260101", "120000", "1", "A1"
    ds.ReferringPhysicianName = ""
    ds.FrameOfReferenceUID = FRAME
    ds.Modality = "CT"
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = series
    ds.SeriesNumber = number
    ds.SeriesDescription = description
    ds.InstanceNumber = 1
    cos = np.asarray(orientation, dtype=np.float64)
    normal = np.cross(cos[:3], cos[3:])
    position = origin[0] * cos[:3] + origin[1] * cos[3:] + z * normal
    ds.ImagePositionPatient = [f"{v:.4f}" for v in position]
    ds.ImageOrientationPatient = [f"{v:g}" for v in orientation]
    ds.PixelSpacing = [f"{spacing[0]:g}", f"{spacing[1]:g}"]
    ds.SliceThickness = "2"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleSlope = f"{slope:g}"
    ds.RescaleIntercept = f"{intercept:g}"
    ds.WindowCenter = ["40", "-600"]
    ds.WindowWidth = ["400", "1500"]
    ds.PixelData = np.ascontiguousarray(pixels, dtype="<i2").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_series(
    folder: Path, slices: int = 4, rows: int = 6, cols: int = 5, *, names: Sequence[str] | None = None, **kw: Any
) -> str:
    """Write ``slices`` slices, slice ``k`` at z = 2k mm filled with ``100 * k + column``; return the series UID.

    Files are named in reverse (``s3.dcm`` holds slice 0 ...) so that file order is not slice order.
    """
    uid = str(kw.pop("series", generate_uid()))
    for k in range(slices):
        pixels = np.tile(np.arange(cols, dtype=np.int16), (rows, 1)) + 100 * k
        name = names[k] if names is not None else f"s{slices - 1 - k}.dcm"
        write_slice(folder / name, pixels, series=uid, z=2.0 * k, **kw)
    return uid


@dataclass
class Read:
    """What an importer gave: items, their RAS+ arrays (read while the file existed), problems as text."""

    items: list[ItemRecord]
    arrays: list[np.ndarray | None]
    problems: list[str]
    labels: list[str]


def read_dicom(source: Path, media: str = "copy", **extra: object) -> Read:
    """Import ``source`` with the dicom importer and read each volume written, as the import service would."""
    items: list[ItemRecord] = []
    arrays: list[np.ndarray | None] = []
    problems: list[str] = []
    with DicomImporter(source, ImportOptions(media=media, extra=dict(extra))) as importer:  # type: ignore[arg-type]
        labels = importer.labels()
        for rec in importer:
            if isinstance(rec, Problem):
                problems.append(f"{Path(rec.file or '').name}: {rec.message}")
                continue
            items.append(rec)
            if rec.media_path is None:
                arrays.append(None)
                continue
            image = nib.load(rec.media_path)
            data, _affine = canonical_order(np.asanyarray(image.dataobj), image.affine)
            arrays.append(data)
    return Read(items, arrays, problems, labels)
