"""The volume orientation: a slice shows anterior at the top and the patient's right on the left, from any affine."""

from __future__ import annotations

import numpy as np
import pytest

from labelhub.domain.volume import (
    canonical_order,
    default_windows,
    display_slice,
    place_slice,
    to_source_order,
)
from labelhub.errors import ValidationError


def _marked(shape: tuple[int, int, int]) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)


def test_ras_volume_shows_anterior_up_and_right_on_the_left() -> None:
    data = np.zeros((4, 3, 2), dtype=np.int16)  # X=4 (right grows), Y=3 (anterior grows), Z=2
    data[3, 2, 1] = 7  # the most right, most anterior voxel of the upper slice
    canon, _ = canonical_order(data, np.eye(4))
    shown = display_slice(canon, 1)
    assert shown.shape == (3, 4)  # rows = Y, columns = X
    assert shown[0, 0] == 7  # top-left of the screen
    assert shown.sum() == 7


def test_flipped_source_gives_the_same_picture() -> None:
    ras = _marked((4, 3, 2))
    affine = np.diag([-1.0, 1.0, -1.0, 1.0])  # LAS, slices from superior to inferior
    source = ras[::-1, :, ::-1].copy()  # the same anatomy stored flipped on x and z
    canon, canon_affine = canonical_order(source, affine)
    assert np.array_equal(canon, ras)
    assert np.all(np.diag(canon_affine)[:3] > 0)
    assert np.array_equal(to_source_order(canon, affine), source)


def test_place_slice_inverts_display_slice() -> None:
    canon = _marked((5, 4, 3))
    target = np.zeros_like(canon)
    for k in range(3):
        place_slice(target, k, display_slice(canon, k))
    assert np.array_equal(target, canon)


def test_place_slice_with_a_value_writes_a_mask_only_where_set() -> None:
    labels = np.zeros((5, 4, 2), dtype=np.uint8)
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[0, 0] = 1
    place_slice(labels, 1, mask, value=3)
    assert labels[4, 3, 1] == 3 and int(labels.sum()) == 3


def test_wrong_sizes_and_slices_are_named() -> None:
    canon = np.zeros((5, 4, 3), dtype=np.uint8)
    with pytest.raises(ValidationError, match="slice 3 is outside the volume") as exc:
        display_slice(canon, 3)
    assert exc.value.context["field"] == "slice"
    with pytest.raises(ValidationError, match=r"5x4 .*got 4x5"):
        place_slice(canon, 0, np.zeros((5, 4), dtype=np.uint8))
    with pytest.raises(ValidationError, match="3 dimensions"):
        canonical_order(np.zeros((2, 2)), np.eye(4))


def test_windows_put_the_files_first_then_auto_then_ct_presets() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(0, 100, size=(20, 20, 10)).astype(np.float32)
    from labelhub.domain.volume import Window

    wins = default_windows(data, "CT", Window("File", 40, 400))
    assert [w.name for w in wins] == ["File", "Auto", "Soft tissue", "Lung", "Bone", "Brain"]
    auto = wins[1]
    assert -300 < auto.center - auto.width / 2 < -200 and 200 < auto.center + auto.width / 2 < 300
    assert [w.name for w in default_windows(data, "MR")] == ["Auto"]
    no_file_window = [w.name for w in default_windows(data, "CT")]
    assert no_file_window == ["Soft tissue", "Auto", "Lung", "Bone", "Brain"]
    flat = default_windows(np.zeros((2, 2, 2)), None)[0]
    assert flat.width == 1.0
