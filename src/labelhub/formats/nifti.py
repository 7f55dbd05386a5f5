"""NIfTI volumes (``.nii``, ``.nii.gz``) as volume items, their label maps as per-slice masks.

A source is one NIfTI file, or a folder: the Medical Segmentation Decathlon layout (``imagesTr/``,
``labelsTr/``, ``imagesTs/``, ``dataset.json``), a folder of images with a sibling ``labels/`` folder of the
same file names, or just images (see :mod:`labelhub.formats._nifti_read`). Each image is one volume item named
by its path relative to the source; its size is that of the RAS+ array (``width = X``, ``height = Y``,
``frame_count = Z``) and its ``meta["volume"]`` holds the modality, the voxel spacing along the RAS+ axes and
``"source": "nifti"``.

A label map (same shape as its image, or a Problem naming both files) is brought to RAS+ the same way and cut
into one ``mask`` per class and axial slice (:func:`labelhub.formats._volume_masks.slice_masks`): the boundary
where voxel order becomes shown-slice pixels. Values are named by the ``labels=a,b,c`` option (value ``i`` is
the ``i``-th name), else by ``dataset.json``'s ``labels``, else ``label_1``, ``label_2``, ...; a value with no
name is a Problem naming the file and the value. The exporter is in ``_nifti_export.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.domain.volume import canonical_order
from labelhub.errors import FormatError
from labelhub.formats._common import absolute
from labelhub.formats._dicom_series import canonical_geometry
from labelhub.formats._guards import storable
from labelhub.formats._nifti_export import NiftiExporter
from labelhub.formats._nifti_read import (
    DATASET_JSON,
    VolumeEntry,
    dataset_names,
    is_nifti,
    load,
    modality_of,
    option_names,
    ras_spacing,
    read_dataset_json,
    scan,
)
from labelhub.formats._volume_masks import slice_masks, unnamed_values
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["NiftiExporter", "NiftiImporter", "detect"]


def detect(path: Path) -> bool:
    """Return True for a NIfTI file, or a folder with a NIfTI file somewhere below it."""
    if path.is_file():
        return is_nifti(path)
    if not path.is_dir():
        return False
    return any(p.is_file() and is_nifti(p) for p in path.rglob("*.nii*"))


class NiftiImporter(FormatImporter):
    """Reads NIfTI volumes and their label maps; option ``labels`` names the label values (``a,b,c``)."""

    item_kind = ItemKind.VOLUME

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if not source.exists():
            raise FormatError(f"{source} does not exist", file=str(source))
        self._doc = read_dataset_json(source)
        self._doc_file = str((source if source.is_dir() else source.parent) / DATASET_JSON)
        self._names = option_names(options.extra.get("labels")) or dataset_names(self._doc, self._doc_file)
        self._named = bool(self._names)
        self._entries: list[VolumeEntry] | None = None

    def _scan(self) -> list[VolumeEntry]:
        if self._entries is None:
            self._entries = scan(self.source)
        return self._entries

    def total(self) -> int | None:
        """Return the number of NIfTI images found."""
        return len(self._scan())

    def labels(self) -> list[str]:
        """Return the class names: the option's or dataset.json's, else ``label_N`` for every value the label
        maps hold (which reads them all once)."""
        if not self._named:
            found: set[int] = set()
            for entry in self._scan():
                if entry.labels is None:
                    continue
                try:
                    _, data = load(entry.labels, entry.labels.name)
                except FormatError:
                    continue  # reported when the item is read
                found.update(int(v) for v in np.unique(data).tolist() if v > 0 and float(v).is_integer())
            self._names = {v: f"label_{v}" for v in sorted(found)}
            self._named = True
        return [self._names[v] for v in sorted(self._names)]

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield one volume item per image, or Problems naming the files that cannot be read."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        self.labels()
        modality = modality_of(self._doc)
        for entry in self._scan():
            try:
                yield from self._entry(entry, modality)
            except FormatError as exc:
                yield Problem(exc.detail, file=exc.context.get("file") or str(entry.image))

    def _entry(self, entry: VolumeEntry, modality: str | None) -> Iterator[ItemRecord | Problem]:
        img, data = load(entry.image, entry.name)
        affine = np.asarray(img.affine, dtype=np.float64)
        (x, y, z), _ = canonical_geometry(data.shape, affine)  # the RAS+ shape, without a copy of the voxels
        meta: dict[str, Any] = {"modality": modality, "spacing": ras_spacing(img), "source": "nifti"}
        item = ItemRecord(
            kind=ItemKind.VOLUME,
            name=entry.name,
            width=x,
            height=y,
            frame_count=z,
            meta={"volume": meta},
            origin=str(entry.image),
        )
        if self.options.media != "none":
            item.media_path = absolute(entry.image)
        if entry.labels is not None:
            problem, keep = self._add_masks(item, entry, data.shape, affine)
            if problem is not None:
                yield problem
            if not keep:
                return
        yield item

    def _add_masks(
        self, item: ItemRecord, entry: VolumeEntry, shape: tuple[int, ...], affine: np.ndarray
    ) -> tuple[Problem | None, bool]:
        """Give ``item`` the masks of its label map (on the image's grid, so in the image's orientation); return
        the problem found and whether the item is still worth keeping (not with a label map of another shape)."""
        if entry.labels is None:
            return None, True
        _, labels = load(entry.labels, str(entry.labels))
        if labels.shape != shape:
            return Problem(
                f"label map {entry.labels} has shape {_dims(labels.shape)} but its image {entry.image} has shape "
                f"{_dims(shape)}; a label map must have its image's shape",
                file=str(entry.labels),
            ), False
        if not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.isfinite(labels)) or not np.all(np.mod(labels, 1) == 0):
                bad = f"label map {entry.labels} holds values that are not whole numbers"
                return Problem(bad, file=str(entry.labels)), False
            labels = labels.astype(np.int64)
        canonical, _ = canonical_order(labels, affine)
        unnamed = unnamed_values(canonical, self._names)
        item.annotations = list(slice_masks(canonical, self._names, origin=entry.labels.name))
        if unnamed:
            shown = ", ".join(str(v) for v in unnamed[:10])
            how = (
                "name it with -o labels=a,b,c (value i is the i-th name)" if not self._doc else "add it to dataset.json"
            )
            return Problem(
                f"label map {entry.labels} holds value{'s' if len(unnamed) > 1 else ''} {shown} without a class "
                f"name; {how}",
                file=str(entry.labels),
                field="labels",
            ), True
        return None, True


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(str(int(v)) for v in shape)
