"""The DICOM-SEG exporter: one binary DICOM Segmentation object per volume item, referencing its DICOM series.

A DICOM-SEG names the images it segments (their SOP Instance UIDs, frame by frame) and copies their patient,
study and frame-of-reference headers, which labelhub does not keep: the import stores the series as a NIfTI
volume and only its study and series UIDs in ``meta.volume``. So, as dcmqi's ``itkimage2segimage`` does, the
export reads the original series from ``-o source_dir=PATH`` (a folder read recursively, headers only; series
matched by ``SeriesInstanceUID``). The series is stacked exactly as the import stacked it
(:func:`labelhub.formats._dicom_scan.scan_source`: slices sorted along the normal by ``ImagePositionPatient``),
so slice ``k`` of the stacked series is the file at its ``k``-th position, whatever order the files or the
RAS+ slices are in, and the series must have the stored volume's grid.

Per item ``segmentations/<SeriesInstanceUID>.dcm``: one segment per project class with painted voxels, in the
project's order (numbered from 1), each painted from the class's masks and polygons
(:func:`labelhub.formats._volume_masks.paint_label_map`; segments may overlap, as DICOM-SEG allows). Segment
label = the class name, display colour = the class colour, category and type = SNOMED "Tissue" (labelhub knows no
anatomy codes), algorithm MANUAL, or SEMIAUTOMATIC with the model versions named when a model proposed some of
its masks. Content creator = the user who saved most of the painted masks (none when a model made them all).
Frames without voxels are left out (highdicom's default). ``segmentations.json`` lists each file with
its series and segments, and the items left out because they had no masks (a SEG holds at least one segment).

An item that did not come from DICOM, a series missing from ``source_dir`` or on another grid stops the
export with a FormatError naming the item and the series UID; nothing is written then.

Hand-written: highdicom builds the object; matching the stored volume back to its source files is labelhub's.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from labelhub import __version__
from labelhub.domain.enums import AnnotationKind, ItemKind, Source
from labelhub.domain.records import ItemRecord
from labelhub.domain.volume import to_source_order
from labelhub.errors import FormatError
from labelhub.formats._class_colours import class_colours
from labelhub.formats._common import AtomicDir
from labelhub.formats._dicom_scan import Scan, scan_source
from labelhub.formats._dicom_series import Series, canonical_geometry, same_grid
from labelhub.formats._export_base import FolderExporter
from labelhub.formats._volume_masks import paint_label_map
from labelhub.formats.base import ExportItem, ExportOptions
from labelhub.media.volume import check_header, read_nifti_header

MANIFEST = "segmentations.json"
#: The SEG's own series number: out of the way of the numbers a scanner gives (dcmqi's examples use 300 and up).
SERIES_NUMBER = 1000
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
#: SegmentLabel is a DICOM LO: at most 64 characters, no backslash (the value separator).
_LABEL_MAX = 64


@dataclass(slots=True)
class _Segment:
    label: str
    planes: dict[int, np.ndarray]  # stacked slice index -> its (rows, columns) 0/1 pixels, slices with voxels only
    model_versions: list[str]  # of the model-made annotations painted into it


class DicomSegExporter(FolderExporter):
    """Writes a DICOM-SEG per volume item that came from DICOM; option ``source_dir``: the original series."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        raw = options.extra.get("source_dir")
        self._source_dir = Path(str(raw)).expanduser() if raw else None
        if self._source_dir is not None and not self._source_dir.is_dir():
            raise FormatError(
                f"source_dir {raw} is not a folder; give the folder holding the original DICOM series",
                file=str(self._source_dir),
                field="source_dir",
            )
        self._colours = class_colours(options.extra, labels)
        self._scan: Scan | None = None
        self._files: list[dict[str, Any]] = []
        self._empty: list[str] = []
        self._series_done: dict[str, str] = {}  # series uid -> the item written for it

    def write(self, item: ExportItem) -> None:
        """Write the item's DICOM-SEG, or note it as empty when no class has voxels in it."""
        out = self._opened("write")
        rec = item.record
        uid = _series_uid(rec)
        if uid in self._series_done:
            raise FormatError(
                f"items {self._series_done[uid]!r} and {rec.name!r} both hold DICOM series {uid}; one SEG file per "
                "series: export one of them at a time (filter the items)",
                item=rec.name,
            )
        size = (int(rec.width or 0), int(rec.height or 0), int(rec.frame_count or 0))
        segments: list[_Segment] = []
        written: set[int] = set()
        if any(self._paintable(a.kind, a.label, a.frame, size[2]) for a in rec.annotations):
            series = self._series(uid, rec.name)
            _check_grid(item, series, self._source_dir)
            segments, written = self._segments(rec, size, series)
        self.tally.count_at(rec.annotations, written)
        if not segments:
            self._empty.append(rec.name)  # no mask, or only empty ones: no SEG without a segment
            return
        creator = _creator(rec, written)
        seg = self._build(rec, series, segments, creator)
        seg.save_as(out.path(f"segmentations/{uid}.dcm"))
        self._series_done[uid] = rec.name
        self._files.append(
            {
                "item": rec.name,
                "file": f"segmentations/{uid}.dcm",
                "series_uid": uid,
                "study_uid": str(series.first.get("StudyInstanceUID") or ""),
                "sop_instance_uid": str(seg.SOPInstanceUID),
                "frames": int(seg.NumberOfFrames),
                "content_creator": creator,
                "segments": [
                    {"number": n, "label": s.label, "color": _hex(self._colours[s.label])}
                    for n, s in enumerate(segments, start=1)
                ],
            }
        )

    def _series(self, uid: str, name: str) -> Series:
        """Return the stacked source series ``uid`` from ``source_dir`` (scanned once), or raise naming the item."""
        if self._source_dir is None:
            raise FormatError(
                f"item {name!r} is DICOM series {uid}; a DICOM-SEG references the series' own files, which labelhub "
                "does not keep: give the folder holding the original series with -o source_dir=PATH (the API's "
                "options.source_dir)",
                item=name,
                field="source_dir",
            )
        if self._scan is None:
            try:
                self._scan = scan_source(self._source_dir, None)
            except FormatError:
                self._scan = Scan()  # no series at all: each item says its own is missing
        scan = self._scan
        if uid in scan.broken:
            problem = scan.broken[uid]
            raise FormatError(
                f"item {name!r}: its series {uid} in {self._source_dir} cannot be stacked: {problem.message}",
                item=name,
                file=problem.file,
            )
        found = next((s for s in scan.series if s.uid == uid), None)
        if found is None:
            others = len(scan.series)
            raise FormatError(
                f"item {name!r}: its DICOM series {uid} is not in {self._source_dir} ({others} other series found);"
                " source_dir must hold the series the volume was imported from",
                item=name,
                field="source_dir",
            )
        return found

    def _paintable(self, kind: AnnotationKind, label: str | None, frame: int | None, slices: int) -> bool:
        """True for an annotation :func:`paint_label_map` paints: a mask or polygon of a class, on a slice."""
        return (
            kind in (AnnotationKind.MASK, AnnotationKind.POLYGON)
            and label in self._colours
            and frame is not None
            and 0 <= frame < slices
        )

    def _segments(
        self, rec: ItemRecord, shape: tuple[int, int, int], series: Series
    ) -> tuple[list[_Segment], set[int]]:
        """Return one segment per class with voxels (project order) and the positions of the annotations painted.

        One class's label map at a time is painted in full; a segment keeps only its slices that hold voxels, in
        the series' voxel order (:func:`to_source_order` gives column, row, stacked slice).
        """
        segments: list[_Segment] = []
        written: set[int] = set()
        for label in self.labels:
            painted = paint_label_map(rec.annotations, shape, {label: 1})
            written.update(painted.written)
            source = to_source_order(painted.labels, series.affine)
            used = np.flatnonzero(source.any(axis=(0, 1)))
            if not used.size:
                continue
            if len(label) > _LABEL_MAX or "\\" in label:
                raise FormatError(
                    f"class {label!r} of item {rec.name!r} cannot be a DICOM segment label (at most {_LABEL_MAX} "
                    "characters, no backslash): rename the class",
                    item=rec.name,
                    field="label",
                )
            models = sorted(
                {
                    rec.annotations[i].model_version or "unknown"
                    for i in painted.written
                    if rec.annotations[i].source is Source.MODEL
                }
            )
            planes = {int(k): np.ascontiguousarray(source[:, :, k].T) for k in used}
            segments.append(_Segment(label, planes, models))
        return segments, written

    def _build(self, rec: ItemRecord, series: Series, segments: list[_Segment], creator: str | None) -> Any:
        """Return the highdicom Segmentation of ``segments`` on the files of ``series``, made by ``creator``."""
        import highdicom as hd
        from pydicom.sr.codedict import codes
        from pydicom.uid import generate_uid

        # Frame k of the array is the k-th stacked slice: highdicom takes its position and SOP Instance UID from
        # source_images[k], and leaves the empty frames out of the file. Every slice of the series is passed, not
        # only those with voxels: the SEG's slice spacing is the series', so a reader places frames with gaps
        # between them (highdicom's get_volume did not with a subset).
        rows, cols = series.slices[0].size
        pixels = np.zeros((len(series.slices), rows, cols, len(segments)), dtype=np.uint8)
        for n, s in enumerate(segments):
            for k, plane in s.planes.items():
                pixels[k, :, :, n] = plane
        descriptions = [
            hd.seg.SegmentDescription(
                segment_number=n,
                segment_label=s.label,
                segmented_property_category=codes.SCT.Tissue,
                segmented_property_type=codes.SCT.Tissue,
                algorithm_type=(
                    hd.seg.SegmentAlgorithmTypeValues.SEMIAUTOMATIC
                    if s.model_versions
                    else hd.seg.SegmentAlgorithmTypeValues.MANUAL
                ),
                algorithm_identification=(
                    hd.AlgorithmIdentificationSequence(
                        name="labelhub model",
                        family=codes.cid7162.ArtificialIntelligence,
                        version=", ".join(s.model_versions)[:_LABEL_MAX],
                    )
                    if s.model_versions
                    else None
                ),
                display_color=hd.color.CIELabColor.from_rgb(*self._colours[s.label]),
            )
            for n, s in enumerate(segments, start=1)
        ]
        # The same masks on the same series give the same UIDs: exporting twice names one object once.
        digest = hashlib.sha256(series.uid.encode())
        for s in segments:
            digest.update(s.label.encode() + b"\0")
            for k, plane in sorted(s.planes.items()):
                digest.update(k.to_bytes(4, "little") + np.packbits(plane).tobytes())
        entropy = [digest.hexdigest()]
        try:
            with warnings.catch_warnings():
                # highdicom warns about source headers it copies as they are (a one-part PatientName).
                warnings.simplefilter("ignore", UserWarning)
                return hd.seg.Segmentation(
                    source_images=[s.header for s in series.slices],
                    pixel_array=pixels,
                    segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
                    segment_descriptions=descriptions,
                    series_instance_uid=generate_uid(entropy_srcs=[*entropy, "series"]),
                    series_number=SERIES_NUMBER,
                    sop_instance_uid=generate_uid(entropy_srcs=[*entropy, "instance"]),
                    instance_number=1,
                    manufacturer="labelhub",
                    manufacturer_model_name="labelhub",
                    software_versions=__version__,
                    device_serial_number="0",
                    content_label="LABELHUB",
                    content_description=str(self.options.extra.get("project_name") or "labelhub export")[:64],
                    content_creator_name=creator,
                    series_description="labelhub segmentation",
                    specific_character_set="ISO_IR 192",  # UTF-8: class names are not only ASCII
                )
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FormatError(
                f"item {rec.name!r}: highdicom cannot build a DICOM-SEG on series {series.uid}: {first}",
                item=rec.name,
            ) from None

    def _complete(self, out: AtomicDir) -> None:
        """Write ``segmentations.json``."""
        doc = {
            "name": str(self.options.extra.get("project_name") or "labelhub export"),
            "segmentations": self._files,
            "empty": self._empty,
        }
        out.path(MANIFEST).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))


def _creator(rec: ItemRecord, written: set[int]) -> str | None:
    """The username that saved most of the annotations painted into the SEG (a tie: the first by name), for
    ContentCreatorName, which holds one person; None when a model or a propagation made all of them."""
    counts = Counter(a.author for a in (rec.annotations[i] for i in written) if a.author)
    return min(counts, key=lambda name: (-counts[name], name)) if counts else None


def _series_uid(rec: ItemRecord) -> str:
    """Return the series UID a volume item was imported from, or raise naming the item when it has none."""
    if rec.kind is not ItemKind.VOLUME:
        raise FormatError(f"item {rec.name!r} is a {rec.kind.value} item; DICOM-SEG holds volumes", item=rec.name)
    volume = rec.meta.get("volume")
    volume = volume if isinstance(volume, dict) else {}
    uid = str(volume.get("series_uid") or "")
    if volume.get("source") != "dicom" or not uid:
        came = f"from {volume.get('source')}" if volume.get("source") else "not from DICOM"
        raise FormatError(
            f"item {rec.name!r} was imported {came}, so there is no DICOM series for a DICOM-SEG to reference; "
            "export it with --format nifti",
            item=rec.name,
        )
    if not _UID.match(uid) or len(uid) > 64:
        raise FormatError(f"item {rec.name!r} has a malformed series UID {uid!r}", item=rec.name)
    return uid


def _check_grid(item: ExportItem, series: Series, source_dir: Path | None) -> None:
    """Raise naming the item when ``series`` has not the item's RAS+ size, or (when stored) its volume's grid."""
    rec = item.record
    shape, affine = canonical_geometry(series.shape, series.affine)
    size = (rec.width, rec.height, rec.frame_count)
    same = size == shape
    if same and item.media_file is not None:
        img = read_nifti_header(item.media_file, rec.name)
        stored_shape, stored_affine = canonical_geometry(check_header(img, rec.name), np.asarray(img.affine, float))
        same = same_grid(stored_shape, stored_affine, shape, affine)
    if not same:
        raise FormatError(
            f"item {rec.name!r}: series {series.uid} in {source_dir} is not on the grid of the stored volume "
            f"({'x'.join(str(v) for v in shape)} voxels in the series, {'x'.join(str(v) for v in size)} in the item,"
            " or other positions): slices were added or removed since the import",
            item=rec.name,
        )


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{v:02x}" for v in rgb)
