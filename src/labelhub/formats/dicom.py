"""DICOM series as volume items, with their DICOM-SEG segmentations and NRRD label maps as per-slice masks.

A source is a folder (read recursively) or one DICOM file. Every image series (``SeriesInstanceUID``) becomes
one volume item: its slices are stacked and checked (:mod:`._dicom_series`), turned into modality values
(RescaleSlope / RescaleIntercept; int16 when they fit, else float32) and written as a NIfTI file with the RAS
affine (DICOM's LPS coordinates with x and y negated) into a temporary folder the importer owns; the import
service stores it before asking for the next record, and :meth:`DicomImporter.close` removes the folder. The
item's ``width``, ``height`` and ``frame_count`` are those of the RAS+ array (:mod:`labelhub.domain.volume`).

The item is named by the series' folder relative to the source (the source's own name when the files sit in
it), followed by ``series <number> <description>`` when one folder holds several series. Its metadata
(``meta["volume"]``) keeps the modality, the RAS+ spacing, the file's display window (WindowCenter /
WindowWidth, the first when several), the study and series UIDs, description and number, and nothing about
the patient.

Segmentations (:mod:`._dicom_labels`): DICOM-SEG objects in the source, and NRRD label maps in the source or
in ``-o labels_dir=PATH`` (relative to the source; a folder of NRRD and DICOM-SEG files), become ``mask``
annotations, one per class and slice. A file that is plainly not DICOM (``.nrrd``, ``.json``, a README) is
passed over; a ``.dcm`` file pydicom cannot read, a series that does not stack, pixel data in a compressed
transfer syntax without its decoder, a SEG whose series is missing and a label map that fits no series are
Problems naming the file.

Import with media copied (or metadata only: then no pixel is read): a converted file cannot be linked in place.
The exporter (one DICOM-SEG per volume, referencing the original series) is in ``_dicom_seg_export.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._dicom_labels import (
    LabelProblem,
    NrrdFile,
    SegFile,
    nrrd_label_map,
    seg_label_maps,
)
from labelhub.formats._dicom_scan import Scan, has_preamble, maybe_dicom, scan_source
from labelhub.formats._dicom_seg_export import DicomSegExporter
from labelhub.formats._dicom_series import (
    DICOM_SUFFIXES,
    Series,
    SeriesProblem,
    canonical_geometry,
    read_volume,
)
from labelhub.formats._guards import check_labels, storable
from labelhub.formats._volume_masks import slice_masks
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["DicomImporter", "DicomSegExporter", "detect"]

_DETECT_FILES = 200  # how many files detection looks at before giving up


def detect(path: Path) -> bool:
    """Return True for a DICOM file, or a folder with one among its first files (``.dcm`` or the DICM mark)."""
    if path.is_file():
        return path.suffix.lower() in DICOM_SUFFIXES or (maybe_dicom(path) and has_preamble(path))
    if not path.is_dir():
        return False
    for n, p in enumerate(q for q in path.rglob("*") if q.is_file() and maybe_dicom(q)):
        if p.suffix.lower() in DICOM_SUFFIXES or has_preamble(p) or p.name == "DICOMDIR":
            return True
        if n >= _DETECT_FILES:
            break
    return False


class DicomImporter(FormatImporter):
    """Reads DICOM series (and their DICOM-SEG / NRRD segmentations) as volume items with mask annotations.

    Options (``extra``): ``labels_dir``, a folder (relative to the source) of NRRD label maps and DICOM-SEG
    objects that are not inside the source.
    """

    item_kind = ItemKind.VOLUME

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if not source.exists():
            raise FormatError(f"{source} does not exist", file=str(source))
        if options.media == "link":
            raise FormatError(
                "a DICOM series is converted to a NIfTI volume, which cannot be linked in place; import with media "
                "copied (or metadata only)",
                file=str(source),
                field="media",
            )
        self.root = source if source.is_dir() else source.parent
        self.labels_dir: Path | None = None
        extra = options.extra.get("labels_dir")
        if extra:
            self.labels_dir = (self.root / str(extra)).resolve()
            if not self.labels_dir.is_dir():
                raise FormatError(
                    f"labels_dir {extra} is not a folder (looked at {self.labels_dir})",
                    file=str(source),
                    field="labels_dir",
                )
        self._scan: Scan | None = None
        self._tmp: Path | None = None

    def close(self) -> None:
        """Remove the temporary folder of converted volumes."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def labels(self) -> list[str]:
        """Return the segment labels of the DICOM-SEG objects, then the NRRD classes, each once (only of the files
        that belong to a series)."""
        scan = self.scan()
        names: list[str] = []
        for seg in scan.segs:
            if any(seg in segs for segs in scan.segs_of.values()):
                names.extend(label for _n, label in seg.segments)
        for label in scan.nrrds:
            if any(label in nrrds for nrrds in scan.nrrds_of.values()):
                names.extend(label.names[v] for v in sorted(label.names))
        return check_labels(list(dict.fromkeys(names)), self.source)

    def total(self) -> int | None:
        """Return the number of image series found."""
        return len(self.scan().series)

    def scan(self) -> Scan:
        """Return what the source's headers say, read once."""
        if self._scan is None:
            self._scan = scan_source(self.source, self.labels_dir)
        return self._scan

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield one volume item per series, or Problems naming the files that cannot be read."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        scan = self.scan()
        yield from scan.problems
        previous: Path | None = None
        for series in scan.series:
            if series.uid in scan.broken:
                yield scan.broken[series.uid]
                continue
            record, problems = self._record(series, scan.segs_of.get(series.uid, []), scan.nrrds_of.get(series.uid, []))
            yield from problems
            if record is None:
                continue
            yield record
            # The import service stored the file before asking for the next record: free the disk now.
            if previous is not None:
                previous.unlink(missing_ok=True)
            previous = record.media_path

    def _record(
        self, series: Series, segs: list[SegFile], nrrds: list[NrrdFile]
    ) -> tuple[ItemRecord | None, list[Problem]]:
        problems: list[Problem] = []
        (x, y, z), affine = canonical_geometry(series.shape, series.affine)
        media: Path | None = None
        if self.options.media != "none":
            try:
                data = read_volume(series)
            except SeriesProblem as exc:
                return None, [Problem(f"series {series.name}: {exc.message}", file=str(exc.file))]
            media = self._write(series, data)
        annotations: list[AnnotationRecord] = []
        for seg in segs:
            try:
                maps = seg_label_maps(seg, series)
            except LabelProblem as exc:
                problems.append(Problem(str(exc), file=str(seg.path)))
                continue
            for number, label, labels in maps:
                annotations.extend(slice_masks(labels, {number: label}, origin=f"{seg.path.name} segment {number}"))
        for label_file in nrrds:
            try:
                labels = nrrd_label_map(label_file)
            except LabelProblem as exc:
                problems.append(Problem(str(exc), file=str(label_file.path)))
                continue
            annotations.extend(slice_masks(labels, label_file.names, origin=label_file.path.name))
        record = ItemRecord(
            kind=ItemKind.VOLUME,
            name=series.name,
            media_path=media,
            width=x,
            height=y,
            frame_count=z,
            meta={"volume": self._meta(series, affine)},
            external_id=series.uid,
            annotations=annotations,
            origin=str(series.slices[0].path.parent),
        )
        return record, problems

    def _write(self, series: Series, data: np.ndarray) -> Path:
        """Write the stacked series as a NIfTI file (source voxel order, RAS affine) in the importer's folder."""
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="labelhub-dicom-"))
        path = self._tmp / f"{len(os.listdir(self._tmp)):06d}-{series.uid[-12:]}.nii.gz"
        image = nib.Nifti1Image(data, series.affine)
        image.set_qform(series.affine, code=1)
        image.set_sform(series.affine, code=1)
        image.header.set_xyzt_units("mm")
        nib.save(image, str(path))
        return path

    def _meta(self, series: Series, affine: np.ndarray) -> dict[str, Any]:
        first = series.first
        spacing = [round(float(v), 6) for v in np.linalg.norm(affine[:3, :3], axis=0)]
        meta: dict[str, Any] = {
            "modality": str(first.get("Modality") or "") or None,
            "spacing": spacing,
            "source": "dicom",
            "study_uid": str(first.get("StudyInstanceUID") or "") or None,
            "series_uid": series.uid,
            "series_description": series.description or None,
            "series_number": int(series.number) if series.number.lstrip("-").isdigit() else None,
        }
        center, width = _first_value(first.get("WindowCenter")), _first_value(first.get("WindowWidth"))
        if center is not None and width is not None and width > 0:
            meta["window"] = {"center": center, "width": width}
        return meta


def _first_value(value: Any) -> float | None:
    """Return the first of a possibly multi-valued DICOM number, or None."""
    if value is None:
        return None
    if not isinstance(value, str | bytes) and hasattr(value, "__len__"):
        if len(value) == 0:
            return None
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
