"""Label maps become one mask per class and slice, and paint back into the same label map."""

from __future__ import annotations

import numpy as np

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.records import AnnotationRecord
from labelhub.formats._volume_masks import mask_array, mask_geometry, paint_label_map, slice_masks, unnamed_values


def _label_map() -> np.ndarray:
    labels = np.zeros((6, 5, 3), dtype=np.uint8)
    labels[1:3, 1:4, 0] = 1
    labels[4, 0:2, 0] = 2
    labels[0:6, 2, 2] = 2
    return labels


def test_masks_round_trip_through_annotations() -> None:
    labels = _label_map()
    names = {1: "left", 2: "right"}
    anns = list(slice_masks(labels, names, origin="case.nii.gz"))
    assert [(a.label, a.frame) for a in anns] == [("left", 0), ("right", 0), ("right", 2)]
    assert all(a.geometry["size"] == [5, 6] for a in anns)  # height = Y, width = X
    assert anns[0].origin == "case.nii.gz, slice 0"
    painted = paint_label_map(anns, labels.shape, {"left": 1, "right": 2})
    assert np.array_equal(painted.labels, labels)
    assert painted.written == [0, 1, 2] and painted.overlapping_voxels == 0


def test_mask_geometry_reads_back_both_rle_forms() -> None:
    mask = np.zeros((4, 3), dtype=np.uint8)
    mask[1:3, 2] = 1
    g = mask_geometry(mask)
    assert isinstance(g["counts"], str)
    assert np.array_equal(mask_array(g), mask)
    assert np.array_equal(mask_array({"size": [4, 3], "counts": [9, 2, 1]}), mask)


def test_later_class_wins_and_overlap_is_counted() -> None:
    full = np.ones((2, 2), dtype=np.uint8)
    square = {"points": [0, 0, 2, 0, 2, 2, 0, 2]}
    anns = [
        AnnotationRecord(kind=AnnotationKind.MASK, label="b", geometry=mask_geometry(full), frame=0),
        AnnotationRecord(kind=AnnotationKind.POLYGON, label="a", geometry=square, frame=0),
        AnnotationRecord(kind=AnnotationKind.BOX, label="a", geometry={"bbox": [0, 0, 1, 1]}, frame=0),
        AnnotationRecord(kind=AnnotationKind.MASK, label="a", geometry=mask_geometry(full), frame=5),
    ]
    painted = paint_label_map(anns, (2, 2, 1), {"a": 1, "b": 2})
    assert painted.written == [0, 1]  # the box and the mask past the last slice are left out
    assert np.all(painted.labels == 2)
    assert painted.overlapping_voxels == 4


def test_unnamed_values_are_listed() -> None:
    assert unnamed_values(_label_map(), {1: "left"}) == [2]
