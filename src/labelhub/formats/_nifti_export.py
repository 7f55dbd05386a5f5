"""The NIfTI exporter: one label map per volume item, in the source file's voxel order, with an MSD dataset.json.

``DEST/labels/<stem>.nii.gz`` holds value ``v`` where the ``v``-th class of the project's label list
(1-based) is painted (masks and polygons of each slice; :func:`labelhub.formats._volume_masks.paint_label_map`,
the later class winning a voxel two classes claim), uint8 for up to 255 classes, else uint16. The map is put
back in the stored image's voxel order (:func:`labelhub.domain.volume.to_source_order`) and saved with its
affine and header, so it overlays the original in 3D Slicer or ITK-SNAP. ``dataset.json`` names the values the
MSD way (``{"0": "background", "1": ...}``) with ``numTraining`` and a ``training`` list, and says how many
voxels two classes claimed (``labelhub.overlapping_voxels``); with ``copy_media`` the images go to
``DEST/images/<stem>.nii[.gz]``, which the ``nifti`` importer reads back with their label maps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.volume import to_source_order
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, copy_media
from labelhub.formats._dicom_series import canonical_geometry
from labelhub.formats._export_base import FolderExporter
from labelhub.formats._nifti_read import DATASET_JSON, nifti_stem
from labelhub.formats._volume_masks import paint_label_map
from labelhub.formats.base import ExportItem, ExportOptions
from labelhub.media.volume import check_header, read_nifti_header


class NiftiExporter(FolderExporter):
    """Writes a label map per volume item, ``dataset.json``, and with ``copy_media`` the images."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._values = {name: i + 1 for i, name in enumerate(labels)}
        self._stems: set[str] = set()
        self._training: list[dict[str, str]] = []
        self._modality: str | None = None
        self.overlapping_voxels = 0

    def write(self, item: ExportItem) -> None:
        """Paint and write the item's label map (and copy its image with ``copy_media``)."""
        out = self._opened("write")
        rec = item.record
        if rec.kind is not ItemKind.VOLUME:
            raise FormatError(
                f"item {rec.name!r} is a {rec.kind.value} item; the nifti format holds volumes", item=rec.name
            )
        stem = nifti_stem(rec.name)
        if not stem or stem in (".", "..") or stem.lower() in self._stems:
            raise FormatError(
                f"item {rec.name!r} would overwrite another item's label map labels/{stem}.nii.gz (two volumes with "
                "the same file name in different folders)",
                item=rec.name,
            )
        self._stems.add(stem.lower())
        volume = rec.meta.get("volume") if isinstance(rec.meta.get("volume"), dict) else {}
        self._modality = self._modality or (volume or {}).get("modality")
        src = self._source(item)
        if src is not None:
            affine = np.asarray(src.affine, dtype=np.float64)
            (x, y, z), _ = canonical_geometry(check_header(src, rec.name), affine)
        else:
            spacing = (volume or {}).get("spacing") or [1.0, 1.0, 1.0]
            affine = np.diag([*(float(v) for v in spacing[:3]), 1.0])
            x, y, z = (int(v) for v in (rec.width or 0, rec.height or 0, rec.frame_count or 0))
        painted = paint_label_map(rec.annotations, (x, y, z), self._values)
        self.overlapping_voxels += painted.overlapping_voxels
        self.tally.count_at(rec.annotations, set(painted.written))
        self._save(out.path(f"labels/{stem}.nii.gz"), to_source_order(painted.labels, affine), affine, src)
        entry = {"label": f"./labels/{stem}.nii.gz"}
        if self.wants_media(item) and item.media_file is not None:
            with item.media_file.open("rb") as fh:
                ext = ".nii.gz" if fh.read(2) == b"\x1f\x8b" else ".nii"
            copy_media(item.media_file, out.path(f"images/{stem}{ext}"))
            entry = {"image": f"./images/{stem}{ext}", **entry}
        self._training.append(entry)

    def _source(self, item: ExportItem) -> Any | None:
        """Return the stored image with its voxels unread (None without stored media): its header, shape and
        affine are all the label map needs."""
        if item.media_file is None:
            return None
        return read_nifti_header(item.media_file, item.record.name)

    def _save(self, path: Path, labels: np.ndarray, affine: np.ndarray, src: Any | None) -> None:
        import nibabel as nib

        if src is not None:
            img = src
            header = img.header.copy()
            cls = type(img)
            shape = check_header(img, path.name)
            if labels.shape != shape:  # a 4-D file holding one volume: the label map is written 3-D
                labels = labels.reshape(shape)
        else:
            header, cls = None, nib.Nifti1Image
        out = cls(labels, affine, header=header)
        out.header.set_data_dtype(labels.dtype)
        out.header.set_slope_inter(1.0, 0.0)
        out.header.set_intent("label")
        out.header["descrip"] = b"labelhub label map"
        nib.save(out, str(path))

    def _complete(self, out: AtomicDir) -> None:
        """Write ``dataset.json``."""
        doc: dict[str, Any] = {
            "name": str(self.options.extra.get("project_name") or "labelhub export"),
            "labels": {"0": "background", **{str(v): name for name, v in self._values.items()}},
            "numTraining": len(self._training),
            "training": self._training,
            "labelhub": {"overlapping_voxels": self.overlapping_voxels},
        }
        if self._modality:
            doc["modality"] = {"0": self._modality}
        out.path(DATASET_JSON).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
