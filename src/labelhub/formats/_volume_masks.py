"""Label maps <-> per-slice annotations, shared by the volume formats (NIfTI, DICOM, DICOM-SEG, NRRD).

A label map is a 3-D integer array in RAS+ order (:mod:`labelhub.domain.volume`), 0 for background and ``v`` for
the class ``names[v]``. Inside labelhub it is one ``mask`` annotation per class and slice (``frame`` = the slice),
in the shown slice's pixels, as a compressed COCO RLE (pycocotools). Going back, masks and polygons of each slice
are painted into a label map; where two classes claim a voxel the class later in the project's list wins, and
the voxels so overwritten are counted for the export's report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.records import AnnotationRecord
from labelhub.domain.rle import decode_counts
from labelhub.domain.volume import display_slice, place_slice
from labelhub.errors import ValidationError


def mask_geometry(mask: np.ndarray) -> dict[str, Any]:
    """Return the ``mask`` geometry (compressed COCO RLE) of a 2-D array, non-zero = inside."""
    h, w = mask.shape
    rle = mask_utils.encode(np.asfortranarray(mask != 0, dtype=np.uint8))
    counts = rle["counts"]
    return {"size": [int(h), int(w)], "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}


def mask_array(geometry: Mapping[str, Any]) -> np.ndarray:
    """Return a stored ``mask`` geometry (validated: its runs cover the mask) as a 2-D uint8 array, 1 inside.

    Decoded from the runs with numpy rather than pycocotools, whose decode copies through a deprecated numpy
    path (a warning per mask) and is no faster for one mask.
    """
    h, w = (int(v) for v in geometry["size"])
    counts = geometry["counts"]
    runs = decode_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if runs is None or sum(runs) != h * w:
        raise ValidationError(f"mask runs do not cover {h}x{w} pixels", field="geometry.counts")
    values = np.zeros(len(runs), dtype=np.uint8)
    values[1::2] = 1
    return np.ascontiguousarray(np.repeat(values, runs).reshape(w, h).T)


def slice_masks(labels: np.ndarray, names: Mapping[int, str], origin: str | None = None) -> Iterator[AnnotationRecord]:
    """Yield one ``mask`` record per class and slice of a RAS+ label map; values without a name are skipped.

    Callers check first that every non-zero value has a name (:func:`unnamed_values`) and report the others.
    """
    for k in range(labels.shape[2]):
        plane = display_slice(labels, k)
        values = np.unique(plane)
        for v in values.tolist():
            if v == 0 or v not in names:
                continue
            yield AnnotationRecord(
                kind=AnnotationKind.MASK,
                label=names[v],
                geometry=mask_geometry(plane == v),
                frame=k,
                origin=f"{origin}, slice {k}" if origin else f"slice {k}",
            )


def unnamed_values(labels: np.ndarray, names: Mapping[int, str]) -> list[int]:
    """Return the non-zero values of a label map that ``names`` does not name, ascending."""
    return [int(v) for v in np.unique(labels).tolist() if v != 0 and v not in names]


@dataclass(slots=True)
class PaintedLabels:
    """A label map painted from annotations, with what did not fit in it."""

    labels: np.ndarray
    written: list[int]  # positions of the annotations painted
    overlapping_voxels: int = 0


def paint_label_map(
    annotations: Iterable[AnnotationRecord], shape: tuple[int, int, int], values: Mapping[str, int]
) -> PaintedLabels:
    """Paint the masks and polygons of ``annotations`` into a RAS+ label map of ``shape`` (X, Y, Z).

    ``values`` gives each class its value (1-based); classes are painted in the order of their values, so the
    later class wins a voxel two claim. Boxes, keypoints, annotations without a slice or outside the volume and
    classes not in ``values`` are left out (not in ``written``).
    """
    dtype = np.uint8 if max(values.values(), default=0) < 256 else np.uint16
    out = np.zeros(shape, dtype=dtype)
    x, y, z = shape
    per_value: dict[int, list[tuple[int, int, AnnotationRecord]]] = {}
    for i, ann in enumerate(annotations):
        v = values.get(ann.label or "")
        if v is None or ann.frame is None or not 0 <= ann.frame < z:
            continue
        if ann.kind not in (AnnotationKind.MASK, AnnotationKind.POLYGON):
            continue
        per_value.setdefault(v, []).append((i, ann.frame, ann))
    written: list[int] = []
    overlapping = 0
    for v in sorted(per_value):
        for i, k, ann in per_value[v]:
            plane = shape_plane(ann.kind, ann.geometry, y, x)
            if plane is None:
                continue
            before = display_slice(out, k)
            overlapping += int(np.count_nonzero((before != 0) & (before != v) & (plane != 0)))
            place_slice(out, k, plane, value=v)
            written.append(i)
    return PaintedLabels(out, sorted(written), overlapping)


def shape_plane(kind: str, geometry: Mapping[str, Any], height: int, width: int) -> np.ndarray | None:
    """Return a mask's or a polygon's pixels on a (height, width) slice as uint8 0/1; None for other kinds, a mask
    of another size or a polygon of fewer than 3 points. Polygon vertices are in pixel-edge coordinates (a
    pixel's centre at +0.5), as the editor draws them."""
    if kind == AnnotationKind.MASK:
        plane = mask_array(geometry)
        return plane if plane.shape == (height, width) else None
    if kind != AnnotationKind.POLYGON:
        return None
    pts = geometry.get("points") or []
    if len(pts) < 6:
        return None
    plane = np.zeros((height, width), dtype=np.uint8)
    poly = np.round(np.asarray(pts, dtype=np.float64).reshape(-1, 2) - 0.5).astype(np.int32)
    cv2.fillPoly(plane, [poly], 1)
    return plane
